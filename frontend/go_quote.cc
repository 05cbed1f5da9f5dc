#include "frontend/go_quote.h"

#include <cstdint>
#include <cstdio>

#include "frontend/utf8.h"

namespace cairn::frontend {
namespace {

// An approximation of Go's unicode.IsPrint for non-ASCII code points: everything except C1
// controls, format characters commonly met, line/paragraph separators and non-characters.
bool IsPrintNonAscii(uint32_t cp) {
  if (cp < 0xA0) return false;
  if (cp == 0xAD || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) return false;
  if (cp >= 0x200B && cp <= 0x200F) return false;
  if (cp >= 0x202A && cp <= 0x202E) return false;
  if (cp >= 0x2060 && cp <= 0x206F) return false;
  if (cp >= 0xE000 && cp <= 0xF8FF) return false;  // private use
  if (cp >= 0xFFF9 && cp <= 0xFFFB) return false;
  if ((cp & 0xFFFE) == 0xFFFE) return false;
  if (cp >= 0xF0000) return false;
  if (cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x1680 ||
      cp == 0x202F || cp == 0x205F) {
    return false;  // spaces other than U+0020 are not "graphic" for IsPrint
  }
  return true;
}

void AppendHex(std::string& out, const char* fmt, uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, fmt, v);
  out += buf;
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    if (IsRuneError(s, i)) {  // an invalid byte: Go writes it as \xNN
      AppendHex(out, "\\x%02x", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = DecodeRune(s, i, &n);
    std::string_view raw = s.substr(i, n);
    i += n;
    if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (cp >= 0x80 && IsPrintNonAscii(cp)) {
      out += raw;
    } else {
      switch (cp) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (cp < 0x20 || cp == 0x7F) AppendHex(out, "\\x%02x", cp);
          else if (cp <= 0xFFFF) AppendHex(out, "\\u%04x", cp);
          else AppendHex(out, "\\U%08x", cp);
      }
    }
  }
  out += '"';
  return out;
}

}  // namespace cairn::frontend
