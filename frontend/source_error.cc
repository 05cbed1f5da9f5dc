#include "frontend/source_error.h"

#include <algorithm>

namespace cairn::frontend {
namespace {

std::string FormatWhere(const plan::Location& where) {
  std::string s = where.file;
  if (where.line > 0) s += ":" + std::to_string(where.line);
  if (where.line > 0 && where.column > 0) s += ":" + std::to_string(where.column);
  return s;
}

// Tabs are kept so the caret lines up under the same characters in a terminal.
std::string CaretPadding(std::string_view line, int column) {
  std::string pad;
  for (int i = 0; i + 1 < column && i < static_cast<int>(line.size()); ++i) {
    pad += line[i] == '\t' ? '\t' : ' ';
  }
  return pad;
}

// Very long lines are cut to a window around the column so a message stays readable.
constexpr size_t kMaxShown = 160;

std::pair<std::string, int> ShownLine(const std::string& line, int column) {
  if (line.size() <= kMaxShown) return {line, column};
  size_t start = column > static_cast<int>(kMaxShown) / 2 ? column - kMaxShown / 2 : 0;
  start = std::min(start, line.size() - kMaxShown);
  std::string shown = (start > 0 ? "..." : "") + line.substr(start, kMaxShown) +
                      (start + kMaxShown < line.size() ? "..." : "");
  return {shown, column - static_cast<int>(start) + (start > 0 ? 3 : 0)};
}

}  // namespace

ParseError::ParseError(plan::Location where, const std::string& message)
    : Error(FormatWhere(where) + ": " + message), where_(std::move(where)) {}

ParseError LocatedError(const std::vector<std::string>& lines, const plan::Location& where,
                        std::string_view message) {
  std::string text(message);
  if (where.line >= 1 && where.line <= static_cast<int>(lines.size())) {
    auto [line, column] = ShownLine(lines[where.line - 1], where.column > 0 ? where.column : 1);
    std::string number = std::to_string(where.line);
    std::string gutter(number.size(), ' ');
    text += "\n " + number + " | " + line;
    text += "\n " + gutter + " | " + CaretPadding(line, column) + "^";
  }
  return ParseError(where, text);
}

}  // namespace cairn::frontend
