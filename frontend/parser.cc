// The logical-line pass: physical lines -> one logical line per instruction (+ heredoc bodies),
// following BuildKit's parser.Parse loop step by step so line numbers and edge cases match.
#include "frontend/parser.h"

#include <utility>

#include "base/error.h"
#include "frontend/directives.h"
#include "frontend/heredoc.h"
#include "frontend/line_parsers.h"
#include "frontend/source_error.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

// bufio.ScanLines: split on \n, drop one \r before it; a last line without \n still counts.
std::vector<std::string> SplitPhysicalLines(std::string_view text) {
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM on the first line
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

// bytes.TrimRight(line, "\r\n")
std::string_view TrimNewline(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool IsComment(std::string_view line) { return StartsWith(TrimLeftSpace(line), "#"); }

// The continuation regexp ([^E])E[ \t]*$|^E[ \t]*$, replaced by group 1: an escape character
// (not itself escaped) followed only by blanks. Returns the line without it, and whether the
// instruction ends here.
std::pair<std::string, bool> TrimContinuation(std::string_view line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape) return {std::string(line), true};
  if (end >= 2 && line[end - 2] == escape) return {std::string(line), true};
  return {std::string(line.substr(0, end - 1)), false};
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) {
    ast_.file = file;
    ast_.lines = SplitPhysicalLines(text);
  }

  Ast Run() {
    while (next_ < ast_.lines.size()) ParseInstruction();
    if (ast_.nodes.empty()) {
      Fail(static_cast<int>(ast_.lines.size()), 0, "file with no instructions");
    }
    ast_.directives = directives_.directives();
    ast_.start_line = ast_.nodes.front().start_line;
    ast_.end_line = ast_.nodes.back().end_line;
    return std::move(ast_);
  }

 private:
  [[noreturn]] void Fail(int line, int column, std::string_view message) {
    throw LocatedError(ast_.lines, {ast_.file, line, column}, message);
  }

  char escape() const { return directives_.directives().escape; }

  void ParseInstruction() {
    int start = static_cast<int>(next_) + 1;
    std::string_view raw = TrimNewline(ast_.lines[next_++]);
    std::string_view first = TrimLeftSpace(raw);
    int indent = static_cast<int>(raw.size() - first.size());
    try {
      directives_.Feed(first);
    } catch (const Error& e) {
      Fail(start, indent + 1, e.what());
    }
    if (IsComment(first)) return;
    auto [line, end_of_line] = TrimContinuation(first, escape());
    if (end_of_line && line.empty()) return;
    size_t first_segment = line.size();
    bool empty_continuation = false;
    while (!end_of_line && next_ < ast_.lines.size()) {
      std::string_view cont = TrimNewline(ast_.lines[next_++]);
      if (IsComment(cont)) continue;
      if (TrimLeftSpace(cont).empty()) {
        empty_continuation = true;
        ast_.empty_continuation_lines.push_back(static_cast<int>(next_));
        continue;
      }
      auto [text, eol] = TrimContinuation(cont, escape());
      line += text;
      end_of_line = eol;
    }
    if (empty_continuation) {
      ast_.warnings.push_back("[WARNING]: Empty continuation line found in:\n    " + line);
    }
    Node node;
    try {
      node = NewNodeFromLine(line, escape());
    } catch (const Error& e) {
      Fail(start, indent + 1, e.what());
    }
    node.start_line = start;
    node.column = indent + 1;
    node.rest_column = static_cast<size_t>(node.rest_column - 1) < first_segment
                           ? indent + node.rest_column
                           : indent + 1;
    if (CanContainHeredoc(node) && line.find("<<") != std::string::npos) ReadHeredocs(node, line);
    node.end_line = static_cast<int>(next_);
    ast_.nodes.push_back(std::move(node));
  }

  void ReadHeredocs(Node& node, std::string_view line) {
    std::vector<Heredoc> docs;
    try {
      docs = HeredocsFromLine(line);
    } catch (const Error& e) {
      Fail(node.start_line, node.column, e.what());
    }
    for (Heredoc& doc : docs) {
      bool terminated = false;
      while (next_ < ast_.lines.size()) {
        const std::string& body_line = ast_.lines[next_++];
        std::string_view candidate = TrimNewline(body_line);
        if (doc.chomp) {
          while (!candidate.empty() && candidate.front() == '\t') candidate.remove_prefix(1);
        }
        if (candidate == doc.name) {
          terminated = true;
          break;
        }
        doc.content += body_line + "\n";
      }
      if (!terminated) {
        Fail(node.start_line, node.column,
             "unterminated heredoc: no line \"" + doc.name + "\" ends the body started here");
      }
      node.heredocs.push_back(std::move(doc));
    }
  }

  Ast ast_;
  DirectiveScanner directives_;
  size_t next_ = 0;
};

}  // namespace

Ast Parse(std::string_view text, const std::string& file) { return Parser(text, file).Run(); }

}  // namespace cairn::frontend
