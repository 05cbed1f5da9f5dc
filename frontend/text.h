// Small string helpers with Go's exact whitespace rules, so the parser matches BuildKit byte for
// byte (strings.TrimSpace, regexp [\t\v\f\r ]+, unicode.IsSpace).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::frontend {

// unicode.IsSpace for ASCII: \t \n \v \f \r and space.
bool IsAsciiSpace(char c);
// strings.TrimSpace: ASCII whitespace plus U+0085 and U+00A0.
std::string_view TrimSpace(std::string_view s);
std::string_view TrimLeftSpace(std::string_view s);
std::string_view TrimRightSpace(std::string_view s);
// regexp.MustCompile(`[\t\v\f\r ]+`).Split(s, limit): limit < 0 means no limit.
std::vector<std::string> SplitWhitespace(std::string_view s, int limit = -1);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);
bool EqualFold(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);
// Go regexp's \s: [\t\n\f\r ].
bool IsRegexpSpace(char c);
bool IsDigit(char c);
bool IsAlpha(char c);  // ASCII letters
// True if s is 1..max_len ASCII digits.
bool IsDigits(std::string_view s, size_t max_len = std::string_view::npos);
// No std::regex on user text in frontend/: libstdc++'s matcher recurses once per character and
// overflows the stack on long lines. The few patterns needed are matched by hand.

}  // namespace cairn::frontend
