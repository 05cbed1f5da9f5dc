#include "frontend/duration.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace cairn::frontend {

bool ParseGoDuration(std::string_view s, int64_t& ns) {
  static const std::map<std::string, double> units = {
      {"ns", 1},       {"us", 1e3},     {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
      {"ms", 1e6},     {"s", 1e9},      {"m", 60e9},        {"h", 3600e9}};
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    ns = 0;
    return true;
  }
  if (s.empty()) return false;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return false;
    std::string number(s.substr(0, i));
    if (number == "." || std::count(number.begin(), number.end(), '.') > 1) return false;
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
    auto it = units.find(std::string(s.substr(0, u)));
    if (it == units.end()) return false;
    s.remove_prefix(u);
    total += std::stod(number) * it->second;
  }
  if (total > 9.2e18) return false;
  ns = static_cast<int64_t>(std::llround(total)) * (negative ? -1 : 1);
  return true;
}

std::string FormatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  auto fraction = [](uint64_t v, uint64_t unit) {
    std::string whole = std::to_string(v / unit);
    uint64_t rest = v % unit;
    if (rest == 0) return whole;
    std::string digits = std::to_string(unit + rest).substr(1);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return whole + "." + digits;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fraction(u, 1000) + "\xC2\xB5s";
  if (u < 1000000000) return sign + fraction(u, 1000000) + "ms";
  uint64_t h = u / 3600000000000ULL;
  u %= 3600000000000ULL;
  uint64_t m = u / 60000000000ULL;
  u %= 60000000000ULL;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + fraction(u, 1000000000) + "s";
}

}  // namespace cairn::frontend
