#include "frontend/text.h"

namespace cairn::frontend {
namespace {

// Length of the whitespace code point at the start of s, or 0.
size_t SpaceAt(std::string_view s) {
  if (s.empty()) return 0;
  if (IsAsciiSpace(s[0])) return 1;
  if (s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0xC2 &&
      (static_cast<unsigned char>(s[1]) == 0x85 || static_cast<unsigned char>(s[1]) == 0xA0)) {
    return 2;
  }
  return 0;
}

// Length of the whitespace code point at the end of s, or 0.
size_t SpaceBefore(std::string_view s) {
  if (s.empty()) return 0;
  if (IsAsciiSpace(s.back())) return 1;
  if (s.size() >= 2 && static_cast<unsigned char>(s[s.size() - 2]) == 0xC2 &&
      (static_cast<unsigned char>(s.back()) == 0x85 ||
       static_cast<unsigned char>(s.back()) == 0xA0)) {
    return 2;
  }
  return 0;
}

bool IsSplitSpace(char c) { return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' '; }

}  // namespace

bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view TrimLeftSpace(std::string_view s) {
  while (size_t n = SpaceAt(s)) s.remove_prefix(n);
  return s;
}

std::string_view TrimRightSpace(std::string_view s) {
  while (size_t n = SpaceBefore(s)) s.remove_suffix(n);
  return s;
}

std::string_view TrimSpace(std::string_view s) { return TrimRightSpace(TrimLeftSpace(s)); }

std::vector<std::string> SplitWhitespace(std::string_view s, int limit) {
  std::vector<std::string> out;
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (limit >= 0 && static_cast<int>(out.size()) == limit - 1) break;
    if (!IsSplitSpace(s[i])) {
      ++i;
      continue;
    }
    out.emplace_back(s.substr(start, i - start));
    while (i < s.size() && IsSplitSpace(s[i])) ++i;
    start = i;
  }
  out.emplace_back(s.substr(start));
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool EqualFold(std::string_view a, std::string_view b) { return ToLower(a) == ToLower(b); }

bool IsRegexpSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsDigits(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace cairn::frontend
