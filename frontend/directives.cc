#include "frontend/directives.h"


#include "base/error.h"
#include "frontend/text.h"

namespace cairn::frontend {

namespace {

// directives.go: ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
bool MatchDirective(std::string_view line, std::string& key, std::string& value) {
  size_t i = 0, n = line.size();
  auto skip_space = [&] {
    while (i < n && IsRegexpSpace(line[i])) ++i;
  };
  if (n == 0 || line[0] != '#') return false;
  ++i;
  skip_space();
  size_t start = i;
  if (i >= n || !IsAlpha(line[i])) return false;
  while (i < n && (IsAlpha(line[i]) || IsDigit(line[i]))) ++i;
  key = std::string(line.substr(start, i - start));
  skip_space();
  if (i >= n || line[i] != '=') return false;
  std::string_view rest = line.substr(i + 1);
  if (rest.empty()) return false;
  size_t b = 0, e = rest.size();
  while (b < e && IsRegexpSpace(rest[b])) ++b;
  while (e > b && IsRegexpSpace(rest[e - 1])) --e;
  // All blanks: the lazy (.+?) still takes one character, the last one.
  value = b < e ? std::string(rest.substr(b, e - b)) : std::string(1, rest.back());
  return true;
}

}  // namespace

bool DirectiveScanner::Feed(std::string_view line) {
  if (done_) return false;
  ++line_;  // every line is fed until the scan ends, so this is its line number
  std::string key, value;
  if (!MatchDirective(line, key, value)) {
    done_ = true;
    return false;
  }
  key = ToLower(key);
  if (key != "syntax" && key != "escape" && key != "check") {
    // An unknown directive is a comment and, like any comment, ends the scan.
    done_ = true;
    return false;
  }
  if (!seen_.insert(key).second) throw Error("only one " + key + " parser directive can be used");
  if (key == "escape") {
    if (value != "`" && value != "\\") {
      throw Error("invalid escape token '" + value + "' does not match ` or \\");
    }
    directives_.escape = value[0];
  } else if (key == "syntax") {
    directives_.syntax = value;
  } else {
    directives_.check = value;
    directives_.check_line = line_;
  }
  return true;
}

namespace {

bool ParseBool(std::string_view v, std::string_view key) {
  std::string lower = ToLower(TrimSpace(v));
  if (lower == "true" || lower == "1" || lower == "t") return true;
  if (lower == "false" || lower == "0" || lower == "f") return false;
  throw Error("invalid check directive: " + std::string(key) + " must be true or false, got \"" +
              std::string(v) + "\"");
}

std::set<std::string> SplitRules(std::string_view v) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string_view part = TrimSpace(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
    if (!part.empty()) out.insert(std::string(part));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

CheckOptions ParseCheckDirective(std::string_view value) {
  CheckOptions out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t semi = value.find(';', start);
    std::string_view part = TrimSpace(value.substr(start, semi == std::string_view::npos ? value.npos : semi - start));
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        throw Error("invalid check directive \"" + std::string(part) + "\": expected key=value");
      }
      std::string key = ToLower(TrimSpace(part.substr(0, eq)));
      std::string_view v = TrimSpace(part.substr(eq + 1));
      if (key == "skip") out.skip = SplitRules(v);
      else if (key == "error") out.error = ParseBool(v, key);
      else if (key == "experimental") out.experimental = SplitRules(v);
      else throw Error("invalid check directive: unknown key \"" + key + "\" (use skip, error or experimental)");
    }
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  return out;
}

}  // namespace cairn::frontend
