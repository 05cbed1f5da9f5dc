// The Dockerfile syntax tree, shaped like BuildKit's parser.Node so the golden tests of
// moby/buildkit (parser/testfiles/*/result) can be compared byte for byte via Dump().
#pragma once

#include <string>
#include <vector>

namespace cairn::frontend {

// A here-document attached to a RUN/COPY/ADD line (BuildKit's parser.Heredoc).
struct Heredoc {
  std::string name;      // the delimiter word with quotes removed
  unsigned fd = 0;       // the `3` of `3<<EOF`
  bool expand = true;    // false when any part of the delimiter was quoted
  bool chomp = false;    // `<<-`: leading tabs are stripped from the body and the terminator
  std::string content;   // raw body, one "\n" after each line, tabs NOT stripped
};

// One instruction as BuildKit's parser sees it: keyword, flags and argument strings, before any
// Dockerfile semantics are applied.
struct Node {
  std::string keyword;             // as written ("From"); compare with EqualFold
  std::string original;            // the logical line, trimmed (continuations joined)
  std::vector<std::string> flags;  // "--from=build", quotes removed
  std::vector<std::string> args;   // argument nodes (see line_parsers.h)
  std::vector<Node> sub;           // ONBUILD's nested instruction (0 or 1 element)
  bool json = false;               // arguments came from a JSON array (exec form)
  std::vector<Heredoc> heredocs;
  int start_line = 0;              // 1-based physical lines, inclusive, heredoc bodies included
  int end_line = 0;
  int column = 1;                  // 1-based column of the keyword on start_line
  int rest_column = 1;             // 1-based column where the arguments start (best effort)
};

struct Directives {
  std::string syntax;  // `# syntax=` value, empty if absent
  char escape = '\\';  // `# escape=` (\ or `)
  std::string check;   // `# check=` value as written, empty if absent
  int check_line = 0;  // its line, for error messages
};

struct Ast {
  std::string file;                     // name used in messages
  Directives directives;
  std::vector<Node> nodes;
  std::vector<std::string> lines;       // physical lines (no newline), for error snippets
  std::vector<std::string> warnings;    // parse-time warnings (empty continuation lines)
  std::vector<int> empty_continuation_lines;  // where they are (for the NoEmptyContinuation check)
  int start_line = 0, end_line = 0;     // range of the instructions
};

}  // namespace cairn::frontend
