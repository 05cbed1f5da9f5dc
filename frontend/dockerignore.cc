// moby/patternmatcher v0.6.1 and ignorefile.ReadAll, ported from Go. patternmatcher turns each
// pattern into a Go regexp; so does this file, and the small regexp engine at its end accepts
// the Go syntax those expressions can contain (anchors, classes, escapes, groups, * + ?) and
// answers "does it match" with a Pike VM, so no pattern can make matching exponential.
#include "frontend/dockerignore.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "base/error.h"

namespace cairn::frontend {
namespace {

constexpr char32_t kRuneError = 0xFFFD;

// Go's utf8.DecodeRune: an invalid or truncated sequence decodes as U+FFFD of width 1.
char32_t DecodeRune(std::string_view s, size_t pos, size_t* width) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  unsigned char b0 = byte(0);
  *width = 1;
  if (b0 < 0x80) return b0;
  size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 ? 2 : 0;
  if (n == 0 || b0 > 0xF4 || pos + n > s.size()) return kRuneError;
  char32_t c = b0 & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return kRuneError;
    c = (c << 6) | (byte(i) & 0x3F);
  }
  bool overlong = (n == 3 && c < 0x800) || (n == 4 && c < 0x10000);
  if (overlong || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return kRuneError;
  *width = n;
  return c;
}

bool IsRuneError(std::string_view s, size_t pos) {
  size_t w = 0;
  return DecodeRune(s, pos, &w) == kRuneError && w == 1;
}

std::vector<char32_t> ToRunes(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t pos = 0, w = 0; pos < s.size(); pos += w) out.push_back(DecodeRune(s, pos, &w));
  return out;
}

void AppendRune(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Go's strings.TrimSpace (ASCII and the Unicode White_Space runes).
bool IsSpaceRune(char32_t c) {
  switch (c) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::string_view TrimSpace(std::string_view s) {
  size_t w = 0;
  while (!s.empty() && IsSpaceRune(DecodeRune(s, 0, &w)) && !IsRuneError(s, 0)) {
    s.remove_prefix(w);
  }
  while (!s.empty()) {
    size_t start = s.size() - 1;  // back up to the first byte of the last rune
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           s.size() - start < 4) {
      --start;
    }
    char32_t c = DecodeRune(s, start, &w);
    if (start + w != s.size() || !IsSpaceRune(c)) break;
    s.remove_suffix(w);
  }
  return s;
}

std::vector<std::string> SplitSlash(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t pos; (pos = s.find('/', start)) != std::string_view::npos; start = pos + 1) {
    out.emplace_back(s.substr(start, pos - start));
  }
  out.emplace_back(s.substr(start));
  return out;
}

std::string JoinFirst(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

// filepath.Dir: everything before the last '/', cleaned; "." when there is no '/'.
std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  return CleanPath(slash == std::string_view::npos ? "" : path.substr(0, slash + 1));
}

// ---------------------------------------------------------------------------------------------
// Go filepath.Match syntax check (Go >= 1.20 validates the whole pattern).

// getEsc: one class character, possibly escaped; something must follow it.
bool GlobClassChar(std::string_view& chunk, char32_t* r) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return false;
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) return false;
  }
  size_t w = 0;
  *r = DecodeRune(chunk, 0, &w);
  if (IsRuneError(chunk, 0)) return false;
  chunk.remove_prefix(w);
  return !chunk.empty();
}

bool GlobClassValid(std::string_view& chunk) {
  chunk.remove_prefix(1);  // '['
  if (!chunk.empty() && chunk[0] == '^') chunk.remove_prefix(1);
  for (int nrange = 0;; ++nrange) {
    if (!chunk.empty() && chunk[0] == ']' && nrange > 0) {
      chunk.remove_prefix(1);
      return true;
    }
    char32_t lo = 0, hi = 0;
    if (!GlobClassChar(chunk, &lo)) return false;
    if (chunk[0] == '-') {
      chunk.remove_prefix(1);
      if (!GlobClassChar(chunk, &hi)) return false;
    }
  }
}

// matchChunk's syntax errors: bad classes and a trailing '\'.
bool GlobChunkValid(std::string_view chunk) {
  while (!chunk.empty()) {
    if (chunk[0] == '[') {
      if (!GlobClassValid(chunk)) return false;
    } else if (chunk[0] == '\\') {
      chunk.remove_prefix(1);
      if (chunk.empty()) return false;
      chunk.remove_prefix(1);
    } else {
      chunk.remove_prefix(1);
    }
  }
  return true;
}

// scanChunk: the text up to the next '*' outside a class.
std::string_view NextGlobChunk(std::string_view& pattern) {
  while (!pattern.empty() && pattern[0] == '*') pattern.remove_prefix(1);
  bool in_range = false;
  size_t i = 0;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      in_range = true;
    } else if (c == ']') {
      in_range = false;
    } else if (c == '*' && !in_range) {
      break;
    }
  }
  std::string_view chunk = pattern.substr(0, i);
  pattern.remove_prefix(i);
  return chunk;
}

// ---------------------------------------------------------------------------------------------
// patternmatcher's pattern -> regexp translation.

// regexp meta characters that mean nothing to filepath.Match, so they are escaped.
bool ShouldEscape(char32_t c) {
  return c < 0x80 && std::string_view(".+()|{}$").find(static_cast<char>(c)) !=
                         std::string_view::npos;
}

struct Translation {
  PatternMatcher::MatchType type = PatternMatcher::MatchType::kExact;
  std::string regex;
};

Translation TranslatePattern(std::string_view pattern, char sep) {
  using MT = PatternMatcher::MatchType;
  std::string esc_sep = sep == '\\' ? "\\\\" : std::string(1, sep);
  Translation t;
  std::string re = "^";
  std::vector<char32_t> runes = ToRunes(pattern);
  size_t n = runes.size();
  size_t start = !runes.empty() && runes[0] == 0xFEFF ? 1 : 0;  // Go's text/scanner skips a BOM
  for (size_t i = 0, pos = start; pos < n; ++i) {
    char32_t ch = runes[pos++];
    if (ch == '*' && pos < n && runes[pos] == '*') {
      ++pos;  // "**", and "**/" is the same as "**"
      if (pos < n && runes[pos] == static_cast<char32_t>(sep)) ++pos;
      if (pos == n) {
        // "**" at the end matches everything below, like .gitignore.
        if (t.type == MT::kExact) {
          t.type = MT::kPrefix;
        } else {
          re += ".*";
          t.type = MT::kRegexp;
        }
      } else {
        re += "(.*" + esc_sep + ")?";  // any number of directories, even none
        t.type = MT::kRegexp;
      }
      if (i == 0) t.type = MT::kSuffix;
    } else if (ch == '*') {
      re += "[^" + esc_sep + "]*";
      t.type = MT::kRegexp;
    } else if (ch == '?') {
      re += "[^" + esc_sep + "]";
      t.type = MT::kRegexp;
    } else if (ShouldEscape(ch)) {
      re += '\\';
      AppendRune(re, ch);
    } else if (ch == '\\') {
      if (sep == '\\') {
        re += esc_sep;  // Windows: '\' is the separator, never an escape
        continue;
      }
      if (pos < n) {
        re += '\\';
        AppendRune(re, runes[pos++]);
        t.type = MT::kRegexp;
      } else {
        re += '\\';  // a trailing '\' escapes the final '$' (patternmatcher quirk)
      }
    } else if (ch == '[' || ch == ']') {
      AppendRune(re, ch);
      t.type = MT::kRegexp;
    } else {
      AppendRune(re, ch);
    }
  }
  if (t.type == MT::kRegexp) t.regex = re + "$";
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// A Go regexp subset, compiled to a Pike VM program.

struct PatternMatcher::Regex {
  struct RuneSet {
    std::vector<std::pair<char32_t, char32_t>> ranges;  // sorted, merged
    bool Contains(char32_t c) const {
      for (auto& [lo, hi] : ranges) {
        if (c >= lo && c <= hi) return true;
      }
      return false;
    }
  };
  enum Op { kRune, kSplit, kJmp, kBegin, kEnd, kWordBoundary, kNotWordBoundary, kMatch };
  struct Inst {
    Op op;
    int x = 0, y = 0;  // jump targets, or the RuneSet index for kRune
  };
  std::vector<RuneSet> sets;
  std::vector<Inst> prog;

  bool MatchString(std::string_view text) const;
};

namespace {

using Regex = PatternMatcher::Regex;
using RuneRanges = std::vector<std::pair<char32_t, char32_t>>;

struct RegexError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

RuneRanges Normalize(RuneRanges r) {
  std::sort(r.begin(), r.end());
  RuneRanges out;
  for (auto& range : r) {
    if (!out.empty() && range.first <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, range.second);
    } else {
      out.push_back(range);
    }
  }
  return out;
}

RuneRanges Negate(const RuneRanges& in) {
  RuneRanges r = Normalize(in), out;
  char32_t next = 0;
  for (auto& [lo, hi] : r) {
    if (lo > next) out.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= 0x10FFFF) out.push_back({next, 0x10FFFF});
  return out;
}

// Perl classes \d \s \w (ASCII in Go) and their negations.
std::optional<RuneRanges> PerlClass(char c) {
  RuneRanges r;
  switch (c | 0x20) {
    case 'd': r = {{'0', '9'}}; break;
    case 's': r = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}; break;
    case 'w': r = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}; break;
    default: return std::nullopt;
  }
  return (c >= 'A' && c <= 'Z') ? Negate(r) : r;
}

// POSIX classes inside brackets: [:alpha:], [:^alpha:].
std::optional<RuneRanges> PosixClass(std::string_view name) {
  static const std::pair<std::string_view, RuneRanges> kTable[] = {
      {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
      {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
      {"ascii", {{0, 0x7F}}},
      {"blank", {{'\t', '\t'}, {' ', ' '}}},
      {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
      {"digit", {{'0', '9'}}},
      {"graph", {{'!', '~'}}},
      {"lower", {{'a', 'z'}}},
      {"print", {{' ', '~'}}},
      {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
      {"space", {{'\t', '\r'}, {' ', ' '}}},
      {"upper", {{'A', 'Z'}}},
      {"word", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}},
      {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
  };
  bool negated = !name.empty() && name[0] == '^';
  if (negated) name.remove_prefix(1);
  for (auto& [n, r] : kTable) {
    if (n == name) return negated ? Negate(r) : r;
  }
  return std::nullopt;
}

// AST of the subset: sequences, alternation, repetition, sets and assertions.
struct Node {
  enum Kind { kSet, kAssert, kConcat, kAlt, kStar, kPlus, kQuest } kind;
  explicit Node(Kind k) : kind(k) {}
  RuneRanges set;
  Regex::Op assertion = Regex::kBegin;
  std::vector<Node> kids;
};

class RegexParser {
 public:
  explicit RegexParser(std::string_view src) : runes_(ToRunes(src)) {}

  Node Parse() {
    Node n = ParseAlt();
    if (pos_ < runes_.size()) throw RegexError("unexpected )");
    return n;
  }

 private:
  bool AtEnd() const { return pos_ >= runes_.size(); }
  char32_t Peek() const { return runes_[pos_]; }

  Node ParseAlt() {
    Node alt(Node::kAlt);
    alt.kids.push_back(ParseConcat());
    while (!AtEnd() && Peek() == '|') {
      ++pos_;
      alt.kids.push_back(ParseConcat());
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  Node ParseConcat() {
    Node seq(Node::kConcat);
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      char32_t c = Peek();
      if (c == '*' || c == '+' || c == '?') {
        if (seq.kids.empty()) throw RegexError("missing argument to repetition operator");
        ++pos_;
        if (!AtEnd() && Peek() == '?') ++pos_;  // lazy: same answer for "does it match"
        if (!AtEnd() && (Peek() == '*' || Peek() == '+' || Peek() == '?')) {
          throw RegexError("invalid nested repetition operator");
        }
        Node rep(c == '*' ? Node::kStar : c == '+' ? Node::kPlus : Node::kQuest);
        rep.kids.push_back(std::move(seq.kids.back()));
        seq.kids.back() = std::move(rep);
        continue;
      }
      seq.kids.push_back(ParseAtom());
    }
    return seq;
  }

  static Node SetNode(RuneRanges r) {
    Node n(Node::kSet);
    n.set = Normalize(std::move(r));
    return n;
  }
  static Node AssertNode(Regex::Op op) {
    Node n(Node::kAssert);
    n.assertion = op;
    return n;
  }

  Node ParseAtom() {
    char32_t c = runes_[pos_++];
    switch (c) {
      case '(': {
        if (pos_ + 1 < runes_.size() && Peek() == '?' && runes_[pos_ + 1] == ':') pos_ += 2;
        Node inner = ParseAlt();
        if (AtEnd() || Peek() != ')') throw RegexError("missing closing )");
        ++pos_;
        return inner;
      }
      case '[':
        return SetNode(ParseClass());
      case '.':
        return SetNode(Negate({{'\n', '\n'}}));  // Go's '.' does not match a newline
      case '^':
        return AssertNode(Regex::kBegin);
      case '$':
        return AssertNode(Regex::kEnd);
      case '\\':
        return ParseEscapeAtom();
      default:
        return SetNode({{c, c}});
    }
  }

  Node ParseEscapeAtom() {
    if (AtEnd()) throw RegexError("trailing backslash at end of expression");
    char32_t c = Peek();
    if (c == 'A') return ++pos_, AssertNode(Regex::kBegin);
    if (c == 'z') return ++pos_, AssertNode(Regex::kEnd);
    if (c == 'b') return ++pos_, AssertNode(Regex::kWordBoundary);
    if (c == 'B') return ++pos_, AssertNode(Regex::kNotWordBoundary);
    if (c < 0x80) {
      if (auto perl = PerlClass(static_cast<char>(c))) return ++pos_, SetNode(*perl);
    }
    char32_t r = ParseEscape();
    return SetNode({{r, r}});
  }

  // After a '\': one literal rune (Go syntax.parseEscape).
  char32_t ParseEscape() {
    if (AtEnd()) throw RegexError("trailing backslash at end of expression");
    char32_t c = runes_[pos_++];
    bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (c < 0x80 && !alnum) return c;  // escaped punctuation is literal
    switch (c) {
      case 'a': return 7;
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      case 'x': return ParseHexEscape();
      default: break;
    }
    if (c >= '0' && c <= '7' && (c == '0' || (!AtEnd() && Peek() >= '0' && Peek() <= '7'))) {
      char32_t v = c - '0';
      for (int i = 0; i < 2 && !AtEnd() && Peek() >= '0' && Peek() <= '7'; ++i) {
        v = v * 8 + (runes_[pos_++] - '0');
      }
      return v;
    }
    throw RegexError("invalid escape sequence");
  }

  int HexDigit() {
    if (AtEnd()) throw RegexError("invalid escape sequence");
    char32_t c = runes_[pos_++];
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    throw RegexError("invalid escape sequence");
  }

  char32_t ParseHexEscape() {
    if (!AtEnd() && Peek() == '{') {
      ++pos_;
      char32_t v = 0;
      int digits = 0;
      while (!AtEnd() && Peek() != '}') {
        v = v * 16 + HexDigit();
        if (++digits > 8 || v > 0x10FFFF) throw RegexError("invalid escape sequence");
      }
      if (AtEnd() || digits == 0) throw RegexError("invalid escape sequence");
      ++pos_;
      return v;
    }
    int hi = HexDigit();
    return hi * 16 + HexDigit();
  }

  // After '[': Go's parseClass (Perl flags: '-' allowed anywhere, ']' literal when first).
  RuneRanges ParseClass() {
    bool negated = !AtEnd() && Peek() == '^';
    if (negated) ++pos_;
    RuneRanges ranges;
    for (bool first = true; AtEnd() || Peek() != ']' || first; first = false) {
      if (AtEnd()) throw RegexError("missing closing ]");
      if (ParseNamedClass(ranges)) continue;
      if (Peek() == '\\' && pos_ + 1 < runes_.size() && runes_[pos_ + 1] < 0x80) {
        if (auto perl = PerlClass(static_cast<char>(runes_[pos_ + 1]))) {
          pos_ += 2;
          ranges.insert(ranges.end(), perl->begin(), perl->end());
          continue;
        }
      }
      char32_t lo = ClassChar(), hi = lo;
      if (pos_ + 1 < runes_.size() && Peek() == '-' && runes_[pos_ + 1] != ']') {
        ++pos_;
        hi = ClassChar();
        if (hi < lo) throw RegexError("invalid character class range");
      }
      ranges.push_back({lo, hi});
    }
    ++pos_;  // ']'
    return negated ? Negate(ranges) : ranges;
  }

  bool ParseNamedClass(RuneRanges& ranges) {
    if (pos_ + 2 >= runes_.size() || Peek() != '[' || runes_[pos_ + 1] != ':') return false;
    std::string name;
    for (size_t i = pos_ + 2; i + 1 < runes_.size(); ++i) {
      if (runes_[i] == ':' && runes_[i + 1] == ']') {
        auto cls = PosixClass(name);
        if (!cls) throw RegexError("invalid character class range");
        ranges.insert(ranges.end(), cls->begin(), cls->end());
        pos_ = i + 2;
        return true;
      }
      AppendRune(name, runes_[i]);
    }
    return false;
  }

  char32_t ClassChar() {
    if (AtEnd()) throw RegexError("missing closing ]");
    char32_t c = runes_[pos_++];
    return c == '\\' ? ParseEscape() : c;
  }

  std::vector<char32_t> runes_;
  size_t pos_ = 0;
};

// Thompson construction from the AST.
class RegexCompiler {
 public:
  explicit RegexCompiler(Regex& re) : re_(re) {}

  void Emit(const Node& n) {
    switch (n.kind) {
      case Node::kSet:
        re_.sets.push_back({n.set});
        Add(Regex::kRune, static_cast<int>(re_.sets.size() - 1));
        return;
      case Node::kAssert:
        Add(n.assertion);
        return;
      case Node::kConcat:
        for (const Node& k : n.kids) Emit(k);
        return;
      case Node::kAlt:
        EmitAlt(n.kids, 0);
        return;
      default:
        EmitRepeat(n);
    }
  }

 private:
  int Add(Regex::Op op, int x = 0, int y = 0) {
    re_.prog.push_back({op, x, y});
    return static_cast<int>(re_.prog.size() - 1);
  }
  int Here() const { return static_cast<int>(re_.prog.size()); }

  void EmitAlt(const std::vector<Node>& kids, size_t i) {
    if (i + 1 == kids.size()) return Emit(kids[i]);
    int split = Add(Regex::kSplit, Here() + 1);
    Emit(kids[i]);
    int jmp = Add(Regex::kJmp);
    re_.prog[split].y = Here();
    EmitAlt(kids, i + 1);
    re_.prog[jmp].x = Here();
  }

  void EmitRepeat(const Node& n) {
    int start = Here();
    if (n.kind == Node::kPlus) {
      Emit(n.kids[0]);
      Add(Regex::kSplit, start, Here() + 1);
      return;
    }
    int split = Add(Regex::kSplit, start + 1);
    Emit(n.kids[0]);
    if (n.kind == Node::kStar) Add(Regex::kJmp, start);
    re_.prog[split].y = Here();
  }

  Regex& re_;
};

std::shared_ptr<const Regex> CompileRegex(std::string_view source) {
  auto re = std::make_shared<Regex>();
  RegexCompiler(*re).Emit(RegexParser(source).Parse());
  re->prog.push_back({Regex::kMatch});
  return re;
}

bool IsWordRune(char32_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

}  // namespace

// Pike VM: all threads advance together, one rune at a time; a new thread starts at every
// position because Go's MatchString searches.
bool Regex::MatchString(std::string_view text) const {
  std::vector<char32_t> runes = ToRunes(text);
  size_t n = runes.size();
  std::vector<int> current, next;
  std::vector<size_t> seen(prog.size(), SIZE_MAX);
  size_t generation = 0;
  auto add = [&](auto&& self, std::vector<int>& list, int pc, size_t pos) -> bool {
    if (seen[pc] == generation) return false;
    seen[pc] = generation;
    const Inst& in = prog[pc];
    bool before = pos > 0 && IsWordRune(runes[pos - 1]);
    bool after = pos < n && IsWordRune(runes[pos]);
    switch (in.op) {
      case kMatch: return true;
      case kRune: list.push_back(pc); return false;
      case kJmp: return self(self, list, in.x, pos);
      case kSplit: return self(self, list, in.x, pos) || self(self, list, in.y, pos);
      case kBegin: return pos == 0 && self(self, list, pc + 1, pos);
      case kEnd: return pos == n && self(self, list, pc + 1, pos);
      case kWordBoundary: return before != after && self(self, list, pc + 1, pos);
      case kNotWordBoundary: return before == after && self(self, list, pc + 1, pos);
    }
    return false;
  };
  // patternmatcher's expressions start with '^': then only the thread started at 0 can match,
  // and the search ends as soon as it dies.
  bool anchored = prog[0].op == kBegin;
  for (size_t pos = 0;; ++pos) {
    ++generation;
    for (int pc : current) {  // threads that consumed runes[pos - 1]
      if (add(add, next, pc + 1, pos)) return true;
    }
    if ((pos == 0 || !anchored) && add(add, next, 0, pos)) return true;
    if (pos == n || (anchored && next.empty())) return false;
    current.clear();
    for (int pc : next) {
      if (sets[prog[pc].x].Contains(runes[pos])) current.push_back(pc);
    }
    next.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Paths and the ignore file.

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string_view> parts;
  size_t dotdots = 0;  // leading ".." kept in a relative path
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.size() > dotdots) {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
        ++dotdots;
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::vector<std::string> ReadIgnoreFile(std::string_view text) {
  std::vector<std::string> patterns;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] == '#') continue;  // comments only at column 0
    line = TrimSpace(line);
    if (line.empty()) continue;
    bool invert = line[0] == '!';
    if (invert) line = TrimSpace(line.substr(1));
    std::string pattern(line);
    if (!pattern.empty()) {
      pattern = CleanPath(pattern);
      // Patterns are relative to the context root: "/a" and "./a" both mean "a".
      if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    }
    patterns.push_back(invert ? "!" + pattern : pattern);
  }
  return patterns;
}

bool IsValidGlob(std::string_view pattern) {
  while (!pattern.empty()) {
    if (!GlobChunkValid(NextGlobChunk(pattern))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// PatternMatcher.

void PatternMatcher::Pattern::Compile(char sep) {
  Translation t = TranslatePattern(cleaned, sep);
  type = t.type;
  regex_source = t.regex;
  regex.reset();
  compile_error.clear();
  if (type != MatchType::kRegexp) return;
  try {
    regex = CompileRegex(regex_source);
  } catch (const RegexError& e) {
    compile_error = e.what();
  }
}

bool PatternMatcher::Pattern::Match(std::string_view path) const {
  switch (type) {
    case MatchType::kExact:
      return path == cleaned;
    case MatchType::kPrefix:  // "dir/**": strip the "**"
      return path.substr(0, cleaned.size() - 2) ==
             std::string_view(cleaned).substr(0, cleaned.size() - 2);
    case MatchType::kSuffix: {  // "**/foo" or "**foo": strip the "**"
      std::string_view suffix = std::string_view(cleaned).substr(2);
      if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) {
        return true;
      }
      return suffix[0] == '/' && path == suffix.substr(1);  // "**/foo" matches "foo"
    }
    case MatchType::kRegexp:
      if (!regex) {
        throw Error("invalid .dockerignore pattern \"" + cleaned + "\": " + compile_error);
      }
      return regex->MatchString(path);
  }
  return false;
}

PatternMatcher PatternMatcher::New(const std::vector<std::string>& patterns) {
  PatternMatcher pm;
  for (const std::string& raw : patterns) {
    std::string_view trimmed = TrimSpace(raw);
    if (trimmed.empty()) continue;
    std::string p = CleanPath(trimmed);
    Pattern pattern;
    if (p[0] == '!') {
      if (p.size() == 1) throw Error("illegal exclusion pattern: \"!\"");
      pattern.exclusion = true;
      p.erase(0, 1);
      pm.exclusions_ = true;
    }
    if (!IsValidGlob(p)) {
      throw Error("invalid pattern \"" + p + "\": syntax error in pattern");
    }
    pattern.cleaned = p;
    pattern.dirs = SplitSlash(p);
    pattern.Compile('/');
    pm.patterns_.push_back(std::move(pattern));
  }
  return pm;
}

namespace {

// The parent directories "a", "a/b", ... of "a/b/c" (none for a top-level path).
std::vector<std::string> ParentPrefixes(std::string_view file) {
  std::string parent = DirName(file);
  std::vector<std::string> prefixes;
  if (parent == ".") return prefixes;
  std::vector<std::string> dirs = SplitSlash(parent);
  for (size_t i = 1; i <= dirs.size(); ++i) prefixes.push_back(JoinFirst(dirs, i));
  return prefixes;
}

// Errors on parents are ignored, as in patternmatcher: the file itself was already matched
// against the same pattern, which throws first.
bool AnyParentMatches(const PatternMatcher::Pattern& pattern,
                      const std::vector<std::string>& parents) {
  return std::any_of(parents.begin(), parents.end(),
                     [&](const std::string& p) { return pattern.Match(p); });
}

}  // namespace

bool PatternMatcher::MatchesOrParentMatches(std::string_view file) const {
  std::vector<std::string> parents = ParentPrefixes(file);
  bool matched = false;
  for (const Pattern& pattern : patterns_) {
    // An include cannot change an already matched path, nor an exclusion an unmatched one.
    if (pattern.exclusion != matched) continue;
    if (pattern.Match(file) || AnyParentMatches(pattern, parents)) matched = !pattern.exclusion;
  }
  return matched;
}

bool PatternMatcher::Matches(std::string_view file) const {
  bool matched = false;
  std::string parent = DirName(file);
  std::vector<std::string> parent_dirs = SplitSlash(parent);
  for (const Pattern& pattern : patterns_) {
    if (pattern.exclusion != matched) continue;
    bool match = pattern.Match(file);
    if (!match && parent != "." && pattern.dirs.size() <= parent_dirs.size()) {
      match = pattern.Match(JoinFirst(parent_dirs, pattern.dirs.size()));
    }
    if (match) matched = !pattern.exclusion;
  }
  return matched;
}

bool PatternMatcher::MatchesExact(std::string_view file) const {
  return MatchesUsingParentResult(file, false);
}

bool PatternMatcher::MatchesUsingParentResult(std::string_view file, bool parent_matched) const {
  bool matched = parent_matched;
  for (const Pattern& pattern : patterns_) {
    if (pattern.exclusion != matched) continue;
    if (pattern.Match(file)) matched = !pattern.exclusion;
  }
  return matched;
}

bool PatternMatcher::MatchesUsingParentResults(std::string_view file, const MatchInfo& parent,
                                               MatchInfo* info) const {
  const std::vector<bool>& parent_matched = parent.parent_matched;
  if (!parent_matched.empty() && parent_matched.size() != patterns_.size()) {
    throw Error("wrong number of values in parentMatched");
  }
  info->parent_matched.assign(patterns_.size(), false);
  bool matched = false;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& pattern = patterns_[i];
    bool match = !parent_matched.empty() && parent_matched[i];
    if (!match) {
      if (pattern.exclusion != matched) continue;
      match = pattern.Match(file) ||
              (parent_matched.empty() && AnyParentMatches(pattern, ParentPrefixes(file)));
    }
    info->parent_matched[i] = match;
    if (match) matched = !pattern.exclusion;
  }
  return matched;
}

bool MatchesPatterns(std::string_view file, const std::vector<std::string>& patterns) {
  PatternMatcher pm = PatternMatcher::New(patterns);
  std::string cleaned = CleanPath(file);
  if (cleaned == ".") return false;  // never exclude the whole context
  return pm.Matches(cleaned);
}

// ---------------------------------------------------------------------------------------------
// IgnoreMatcher.

IgnoreMatcher IgnoreMatcher::Parse(std::string_view text) {
  IgnoreMatcher m;
  try {
    m.matcher_ = PatternMatcher::New(ReadIgnoreFile(text));
  } catch (const Error& e) {
    throw Wrap(".dockerignore", e);
  }
  return m;
}

bool IgnoreMatcher::Excluded(std::string_view path) const {
  return matcher_.MatchesOrParentMatches(path);
}

}  // namespace cairn::frontend
