#include "frontend/syntax.h"

#include <algorithm>
#include <exception>
#include <memory>

#include "DockerfileInstructionLexer.h"
#include "DockerfileInstructionParser.h"
#include "JsonArrayLexer.h"
#include "JsonArrayParser.h"
#include "antlr4-runtime.h"
#include "frontend/text.h"
#include "frontend/utf8.h"

namespace cairn::frontend {
namespace {

using cairn_grammar::DockerfileInstructionLexer;
using cairn_grammar::DockerfileInstructionParser;
using cairn_grammar::JsonArrayLexer;
using cairn_grammar::JsonArrayParser;

// Feeds bytes to ANTLR one code point per byte. ANTLR's own UTF-8 decoding throws on invalid
// input, and byte-for-code-point keeps every token index equal to a byte offset. The grammars
// only name ASCII characters, so non-ASCII bytes are ordinary "other" characters either way.
class ByteStream : public antlr4::ANTLRInputStream {
 public:
  explicit ByteStream(std::string_view bytes) {
    _data.clear();
    _data.reserve(bytes.size());
    for (unsigned char c : bytes) _data.push_back(static_cast<char32_t>(c));
    p = 0;
  }
};

// Turns any syntax error into an exception we catch below, so ANTLR never prints.
class ThrowingListener : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t, size_t, const std::string&,
                   std::exception_ptr) override {
    throw SyntaxFailure();
  }
  struct SyntaxFailure : std::exception {};
};

// A flag word as extractBuilderFlags reads it: quotes are removed (whitespace inside them is
// kept), and `\` takes the next byte literally; a trailing `\` is dropped.
std::string UnquoteFlag(std::string_view word) {
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
      continue;
    }
    if (quote != 0 && c == quote) {
      quote = 0;
      continue;
    }
    if (c == '\\') {
      if (i + 1 == word.size()) continue;
      c = word[++i];
    }
    out.push_back(c);
  }
  return out;
}

std::string_view TokenText(std::string_view line, antlr4::ParserRuleContext* ctx) {
  size_t start = ctx->getStart()->getStartIndex();
  size_t stop = ctx->getStop()->getStopIndex();
  return line.substr(start, stop + 1 - start);
}

}  // namespace

SplitLine SplitInstruction(std::string_view line) {
  SplitLine out;
  out.rest_offset = static_cast<int>(line.size());
  if (TrimSpace(line).empty()) return out;
  ByteStream input(line);
  DockerfileInstructionLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  DockerfileInstructionParser parser(&tokens);
  parser.removeErrorListeners();
  ThrowingListener listener;
  parser.addErrorListener(&listener);
  DockerfileInstructionParser::InstructionContext* tree = nullptr;
  try {
    tree = parser.instruction();
  } catch (const std::exception&) {
    // Unreachable with a total lexer; degrade to "first word, rest" rather than fail.
    std::string_view trimmed = TrimSpace(line);
    size_t end = trimmed.find_first_of(" \t\v\f\r");
    out.keyword = std::string(trimmed.substr(0, end));
    out.keyword_offset = static_cast<int>(trimmed.data() - line.data());
    if (end != std::string_view::npos) {
      std::string_view rest = TrimSpace(trimmed.substr(end));
      out.rest = std::string(rest);
      out.rest_offset = static_cast<int>(rest.data() - line.data());
    }
    return out;
  }
  out.keyword = std::string(TokenText(line, tree->keyword()));
  out.keyword_offset = static_cast<int>(tree->keyword()->getStart()->getStartIndex());
  for (auto* flag : tree->flag()) out.flags.push_back(UnquoteFlag(TokenText(line, flag)));
  if (auto* body = tree->body()) {
    out.rest = std::string(TokenText(line, body));
    out.rest_offset = static_cast<int>(body->getStart()->getStartIndex());
  }
  return out;
}

namespace {

uint32_t Hex4(std::string_view s) {
  uint32_t v = 0;
  for (char c : s.substr(0, 4)) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else v |= c - 'A' + 10;
  }
  return v;
}

// Decodes a JSON string token (quotes included) the way Go's encoding/json does: lone surrogates
// become U+FFFD.
std::string DecodeJsonString(std::string_view token) {
  std::string_view s = token.substr(1, token.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        uint32_t cp = Hex4(s.substr(i + 1));
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < s.size() + 0 && s[i + 1] == '\\' &&
            s[i + 2] == 'u') {
          uint32_t low = Hex4(s.substr(i + 3));
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        AppendRune(out, cp);
        break;
      }
      default: out.push_back(e);  // " \ /
    }
  }
  return out;
}

// Deepest bracket nesting outside JSON strings, and whether the brackets balance.
std::pair<int, bool> Nesting(std::string_view s) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') --depth;
  }
  return {deepest, depth == 0};
}

// ANTLR's parser recurses once per nesting level; deeper input than any real exec form is
// decided without it. Nested arrays are never "all strings", so balanced input is kNotStrings.
constexpr int kMaxJsonDepth = 256;

}  // namespace

JsonArgs ParseJsonArray(std::string_view text) {
  JsonArgs out;
  std::string_view trimmed = TrimLeftSpace(text);
  if (trimmed.empty() || trimmed[0] != '[') return out;
  if (auto [depth, balanced] = Nesting(trimmed); depth > kMaxJsonDepth) {
    if (balanced) out.kind = JsonKind::kNotStrings;
    return out;
  }
  ByteStream input(trimmed);
  JsonArrayLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  JsonArrayParser parser(&tokens);
  parser.removeErrorListeners();
  ThrowingListener listener;
  parser.addErrorListener(&listener);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  JsonArrayParser::DocumentContext* doc = nullptr;
  try {
    doc = parser.document();
  } catch (const std::exception&) {
    return out;  // not JSON: the caller uses the shell form
  }
  auto* array = doc->value()->array();
  if (array == nullptr) return out;
  for (auto* value : array->value()) {
    if (value->STRING() == nullptr) {
      out.values.clear();
      out.kind = JsonKind::kNotStrings;
      return out;
    }
    std::string_view token = trimmed.substr(value->getStart()->getStartIndex(),
                                            value->getStop()->getStopIndex() + 1 -
                                                value->getStart()->getStartIndex());
    out.values.push_back(DecodeJsonString(token));
  }
  out.kind = JsonKind::kStrings;
  return out;
}

}  // namespace cairn::frontend
