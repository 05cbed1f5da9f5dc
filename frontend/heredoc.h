// Here-document detection, as BuildKit's parser does it (parser/parser.go ParseHeredoc and
// heredocsFromLine): the line is split into shell words (quotes kept), and every word shaped
// `[fd]<<[-]NAME` starts a heredoc whose body follows the instruction's line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/ast.h"

namespace cairn::frontend {

// One word -> a heredoc, or nullopt if the word is not one. Throws cairn::Error when the
// delimiter's quoting is broken (`<<'EOF`).
std::optional<Heredoc> ParseHeredocWord(std::string_view word);

// Every heredoc started on a (shell-form) line, in order. Throws cairn::Error as above.
std::vector<Heredoc> HeredocsFromLine(std::string_view line);

// `<<-`: removes leading tabs from every line of the body.
std::string ChompHeredocContent(std::string_view content);

}  // namespace cairn::frontend
