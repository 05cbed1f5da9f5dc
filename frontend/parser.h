// Dockerfile text -> Ast, with BuildKit's parser semantics (parser/parser.go): BOM, CR/LF,
// directives at the top, escape character, continuations (comment and blank lines inside them are
// skipped), heredoc bodies after their line, per-instruction argument shapes.
#pragma once

#include <string>
#include <string_view>

#include "frontend/ast.h"
#include "frontend/frontend.h"  // ParseError

namespace cairn::frontend {

// Throws ParseError ("Dockerfile:LINE:COL: message" + the line and a caret) on: a repeated or
// invalid directive, an invalid escape, a JSON array with non-strings, ENV/LABEL without a value,
// an unterminated heredoc, a file without instructions.
Ast Parse(std::string_view text, const std::string& file = "Dockerfile");

// BuildKit's Node.Dump for every instruction, one line each, "\n"-terminated: the format of
// parser/testfiles/*/result.
std::string Dump(const Ast& ast);
std::string DumpNode(const Node& node);

}  // namespace cairn::frontend
