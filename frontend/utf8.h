// UTF-8 runes with Go's semantics, shared by the ports of Go code (shell_lex.cc, dockerignore.cc,
// go_regexp.cc): utf8.DecodeRune (an invalid byte is U+FFFD of width 1), rune encoding, and
// unicode.IsLetter / IsDigit / IsSpace (letter and digit tables: Unicode 14, categories L* and Nd).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::frontend {

inline constexpr char32_t kRuneError = 0xFFFD;

// Go's utf8.DecodeRune at byte `pos` (< s.size()): sets *width to the bytes consumed; an invalid,
// overlong, surrogate or truncated sequence decodes as kRuneError with width 1.
char32_t DecodeRune(std::string_view s, size_t pos, size_t* width);
// True when the bytes at `pos` are invalid UTF-8 (not a literal U+FFFD, which has width 3).
bool IsRuneError(std::string_view s, size_t pos);
// Every rune of s, invalid bytes as kRuneError.
std::vector<char32_t> ToRunes(std::string_view s);
// Appends the UTF-8 encoding of c (c <= U+10FFFF).
void AppendRune(std::string& out, char32_t c);
std::string FromRunes(const std::vector<char32_t>& runes);

// Go's unicode.IsLetter / IsDigit / IsSpace.
bool IsGoLetter(char32_t c);
bool IsGoDigit(char32_t c);
bool IsGoSpace(char32_t c);

}  // namespace cairn::frontend
