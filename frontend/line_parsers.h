// One logical line -> Node (BuildKit parser/line_parsers.go and split_command.go): the keyword
// picks the shape of the argument nodes (JSON-or-shell, name/value triples, words, one string).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/ast.h"

namespace cairn::frontend {

// Throws cairn::Error (no location; the caller adds it) on a JSON array of non-strings and on
// ENV/LABEL without a value. Unknown keywords give one empty argument, as BuildKit's parseIgnore.
Node NewNodeFromLine(std::string_view line, char escape);

// parseWords: splits on whitespace outside quotes; quotes and escapes are kept in the words.
std::vector<std::string> ParseWords(std::string_view rest, char escape);

// True for RUN/COPY/ADD (also under ONBUILD) in shell form: only those take heredocs.
bool CanContainHeredoc(const Node& node);

}  // namespace cairn::frontend
