// A Go regexp subset (see go_regexp.h): parser -> AST -> Thompson construction -> Pike VM.
#include "frontend/go_regexp.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frontend/utf8.h"

namespace cairn::frontend {

// A Go regexp subset, compiled to a Pike VM program.

struct GoRegexp::Program {
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

using Regex = GoRegexp::Program;
using RuneRanges = std::vector<std::pair<char32_t, char32_t>>;

using RegexError = GoRegexpError;

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

std::shared_ptr<const Regex> CompileProgram(std::string_view source) {
  auto re = std::make_shared<Regex>();
  RegexCompiler(*re).Emit(RegexParser(source).Parse());
  re->prog.push_back({Regex::kMatch});
  return re;
}

bool IsWordRune(char32_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

// One search. Pike VM: all threads advance together, one rune at a time; a new thread starts at
// every position because Go's MatchString searches.
class PikeVm {
 public:
  PikeVm(const Regex& re, std::string_view text)
      : re_(re), runes_(ToRunes(text)), seen_(re.prog.size(), SIZE_MAX) {}

  bool Run() {
    // patternmatcher's expressions start with '^': then only the thread started at 0 can
    // match, and the search ends as soon as it dies.
    bool anchored = re_.prog[0].op == Regex::kBegin;
    std::vector<int> current, next;
    for (size_t pos = 0;; ++pos) {
      ++generation_;
      for (int pc : current) {  // threads that consumed runes_[pos - 1]
        if (Add(next, pc + 1, pos)) return true;
      }
      if ((pos == 0 || !anchored) && Add(next, 0, pos)) return true;
      if (pos == runes_.size() || (anchored && next.empty())) return false;
      current.clear();
      for (int pc : next) {
        if (re_.sets[re_.prog[pc].x].Contains(runes_[pos])) current.push_back(pc);
      }
      next.clear();
    }
  }

 private:
  // Follows the empty transitions from pc at `pos`, queueing rune instructions on `list`;
  // true when kMatch is reached. Each pc is visited once per position.
  bool Add(std::vector<int>& list, int pc, size_t pos) {
    if (seen_[pc] == generation_) return false;
    seen_[pc] = generation_;
    const Regex::Inst& in = re_.prog[pc];
    switch (in.op) {
      case Regex::kMatch: return true;
      case Regex::kRune: list.push_back(pc); return false;
      case Regex::kJmp: return Add(list, in.x, pos);
      case Regex::kSplit: return Add(list, in.x, pos) || Add(list, in.y, pos);
      case Regex::kBegin: return pos == 0 && Add(list, pc + 1, pos);
      case Regex::kEnd: return pos == runes_.size() && Add(list, pc + 1, pos);
      case Regex::kWordBoundary: return AtWordBoundary(pos) && Add(list, pc + 1, pos);
      case Regex::kNotWordBoundary: return !AtWordBoundary(pos) && Add(list, pc + 1, pos);
    }
    return false;
  }

  bool AtWordBoundary(size_t pos) const {
    bool before = pos > 0 && IsWordRune(runes_[pos - 1]);
    bool after = pos < runes_.size() && IsWordRune(runes_[pos]);
    return before != after;
  }

  const Regex& re_;
  std::vector<char32_t> runes_;
  std::vector<size_t> seen_;  // the generation in which each pc was last added
  size_t generation_ = 0;
};

}  // namespace

bool Regex::MatchString(std::string_view text) const { return PikeVm(*this, text).Run(); }

GoRegexp GoRegexp::Compile(std::string_view source) { return GoRegexp(CompileProgram(source)); }

bool GoRegexp::MatchString(std::string_view text) const { return program_->MatchString(text); }

}  // namespace cairn::frontend
