// BuildKit's Node.Dump and Go's strconv.Quote, for the golden parser tests.
#include <cstdio>

#include "frontend/parser.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

// Decodes one UTF-8 sequence; returns its length, or 0 if s[0] does not start a valid one.
size_t DecodeRune(std::string_view s, uint32_t& cp) {
  unsigned char c = static_cast<unsigned char>(s[0]);
  size_t n;
  uint32_t min;
  if (c < 0x80) { cp = c; return 1; }
  if ((c >> 5) == 6) { n = 2; cp = c & 0x1F; min = 0x80; }
  else if ((c >> 4) == 14) { n = 3; cp = c & 0x0F; min = 0x800; }
  else if ((c >> 3) == 30) { n = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    unsigned char d = static_cast<unsigned char>(s[i]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
  return n;
}

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
    uint32_t cp = 0;
    size_t n = DecodeRune(s.substr(i), cp);
    if (n == 0) {
      AppendHex(out, "\\x%02x", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
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

std::string DumpNode(const Node& node) {
  std::string s = ToLower(node.keyword);
  if (!node.flags.empty()) {
    s += " [";
    for (size_t i = 0; i < node.flags.size(); ++i) {
      if (i > 0) s += ' ';
      s += GoQuote(node.flags[i]);
    }
    s += ']';
  }
  for (const std::string& arg : node.args) s += " " + GoQuote(arg);
  for (const Node& sub : node.sub) s += " (" + DumpNode(sub) + ")";
  return std::string(TrimSpace(s));
}

std::string Dump(const Ast& ast) {
  std::string out;
  for (const Node& node : ast.nodes) out += "(" + DumpNode(node) + ")\n";
  return out;
}

}  // namespace cairn::frontend
