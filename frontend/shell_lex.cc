// Port of BuildKit's frontend/dockerfile/shell/lex.go (ProcessWord / ProcessWords). The structure
// follows the Go code function by function so that its quirks carry over; conformance tests run
// BuildKit's envVarTest, wordsTest and the cases of lex_test.go against it.
#include "frontend/shell_lex.h"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <utility>

#include "base/error.h"
#include "frontend/go_quote.h"
#include "frontend/utf8.h"

namespace cairn::frontend {
namespace {

constexpr int32_t kEof = -1;

// A syntax or expansion failure inside the word; ShellLex wraps it with the word once.
struct LexFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// Go's text/scanner as lex.go uses it: Peek/Next over runes, a leading BOM skipped.

class RuneScanner {
 public:
  explicit RuneScanner(std::string_view src) : src_(src) {}

  int32_t Peek() {
    if (!started_) {
      started_ = true;
      ch_ = Read();
      if (ch_ == 0xFEFF) ch_ = Read();
    }
    return ch_;
  }

  int32_t Next() {
    int32_t ch = Peek();
    if (ch != kEof) ch_ = Read();
    return ch;
  }

 private:
  int32_t Read() {
    if (pos_ >= src_.size()) return kEof;
    size_t width = 0;
    char32_t c = DecodeRune(src_, pos_, &width);
    pos_ += width;
    return static_cast<int32_t>(c);
  }

  std::string_view src_;
  size_t pos_ = 0;
  bool started_ = false;
  int32_t ch_ = kEof;
};

// ---------------------------------------------------------------------------------------------
// Word splitting (lex.go wordsStruct).

class WordSplitter {
 public:
  // A character that may split: unquoted literal text and unquoted expansion results.
  void AddChar(char32_t ch) {
    if (IsGoSpace(ch) && in_word_) {
      if (!word_.empty()) {
        words_.push_back(std::move(word_));
        word_.clear();
        in_word_ = false;
      }
    } else if (!IsGoSpace(ch)) {
      AddRawChar(ch);
    }
  }
  void AddRawChar(char32_t ch) {
    AppendRune(word_, ch);
    in_word_ = true;
  }
  void AddString(std::string_view s) {
    for (char32_t c : ToRunes(s)) AddChar(c);
  }
  void AddRawString(std::string_view s) {
    word_ += s;
    in_word_ = true;
  }
  std::vector<std::string> Finish() {
    if (!word_.empty()) words_.push_back(std::move(word_));
    word_.clear();
    in_word_ = false;
    return std::move(words_);
  }

 private:
  std::string word_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// ---------------------------------------------------------------------------------------------
// Shell patterns of ${V#p} ${V%p} ${V/p/r}: '*' any run, '?' one char, "\x" a literal x.
// lex.go compiles them to a Go regexp; this is the same automaton as a tiny backtracking
// matcher (leftmost match, '*' greedy or lazy, '.' never matching '\n' as in Go's regexp).

struct PatternToken {
  enum Kind { kLiteral, kAnyChar, kAnyRun } kind;
  char32_t ch = 0;
};

struct ShellPattern {
  std::vector<PatternToken> tokens;
  std::string go_regex;  // what lex.go hands to regexp.Compile (for tests and messages)
  bool greedy = true;
  bool anchored = false;
};

bool IsGoRegexMeta(char32_t c) {
  switch (c) {
    case '[': case ']': case '{': case '}': case '.': case '+': case '(': case ')': case '|':
    case '^': case '$':
      return true;
    default:
      return false;
  }
}

// lex.go convertShellPatternToRegex. Throws LexFailure("invalid escape '\x'").
ShellPattern CompileShellPattern(std::string_view pattern, bool greedy, bool anchored) {
  ShellPattern out;
  out.greedy = greedy;
  out.anchored = anchored;
  if (anchored) out.go_regex = "^";
  RuneScanner s(pattern);
  for (int32_t tok = s.Next(); tok != kEof; tok = s.Next()) {
    if (tok == '*') {
      out.tokens.push_back({PatternToken::kAnyRun});
      out.go_regex += greedy ? ".*" : ".*?";
      continue;
    }
    if (tok == '?') {
      out.tokens.push_back({PatternToken::kAnyChar});
      out.go_regex += '.';
      continue;
    }
    if (tok == '\\') {
      // "\}" and "\/" were needed to write } and / inside ${}; the escape is not part of p.
      if (s.Peek() == '}' || s.Peek() == '/') continue;
      out.go_regex += '\\';
      tok = s.Next();
      if (tok != '*' && tok != '?' && tok != '\\') {
        std::string bad;
        AppendRune(bad, tok == kEof ? kRuneError : static_cast<char32_t>(tok));
        throw LexFailure("invalid escape '\\" + bad + "'");
      }
    } else if (IsGoRegexMeta(tok)) {
      out.go_regex += '\\';
    }
    out.tokens.push_back({PatternToken::kLiteral, static_cast<char32_t>(tok)});
    AppendRune(out.go_regex, tok);
  }
  return out;
}

// Runs a ShellPattern over the runes of one string, remembering failed states so that
// patterns with many '*' stay linear-ish instead of exponential.
class PatternMatcher {
 public:
  PatternMatcher(const ShellPattern& p, const std::vector<char32_t>& text)
      : p_(p), text_(text), failed_((p.tokens.size() + 1) * (text.size() + 1), false) {}

  // End of the match starting at rune `start`, if any.
  std::optional<size_t> MatchAt(size_t start) { return Match(0, start); }

  // Leftmost match at or after rune `from`: {start, end}.
  std::optional<std::pair<size_t, size_t>> Find(size_t from) {
    for (size_t start = from; start <= text_.size(); ++start) {
      if (auto end = MatchAt(start)) return std::make_pair(start, *end);
      if (p_.anchored) break;
    }
    return std::nullopt;
  }

 private:
  std::optional<size_t> Match(size_t ti, size_t ri) {
    if (ti == p_.tokens.size()) return ri;
    size_t state = ti * (text_.size() + 1) + ri;
    if (failed_[state]) return std::nullopt;
    std::optional<size_t> result = Step(p_.tokens[ti], ti, ri);
    if (!result) failed_[state] = true;
    return result;
  }

  std::optional<size_t> Step(const PatternToken& t, size_t ti, size_t ri) {
    bool more = ri < text_.size();
    switch (t.kind) {
      case PatternToken::kLiteral:
        if (more && text_[ri] == t.ch) return Match(ti + 1, ri + 1);
        return std::nullopt;
      case PatternToken::kAnyChar:
        if (more && text_[ri] != '\n') return Match(ti + 1, ri + 1);
        return std::nullopt;
      case PatternToken::kAnyRun:
        return MatchRun(ti, ri);
    }
    return std::nullopt;
  }

  // '*' as ".*" (longest first) or ".*?" (shortest first); '.' stops at a newline.
  std::optional<size_t> MatchRun(size_t ti, size_t ri) {
    size_t max = ri;
    while (max < text_.size() && text_[max] != '\n') ++max;
    for (size_t k = 0; k <= max - ri; ++k) {
      size_t end = p_.greedy ? max - k : ri + k;
      if (auto r = Match(ti + 1, end)) return r;
    }
    return std::nullopt;
  }

  const ShellPattern& p_;
  const std::vector<char32_t>& text_;
  std::vector<bool> failed_;
};

// Byte offset of rune index `i` in the string the runes came from.
size_t ByteOffset(std::string_view s, size_t rune_index) {
  size_t pos = 0, w = 0;
  for (size_t i = 0; i < rune_index && pos < s.size(); ++i, pos += w) DecodeRune(s, pos, &w);
  return pos;
}

ShellPattern CompileForSubstitution(std::string_view pattern, bool greedy, bool anchored) {
  try {
    return CompileShellPattern(pattern, greedy, anchored);
  } catch (const LexFailure& e) {
    throw LexFailure("invalid pattern (" + std::string(pattern) + ") in substitution: " + e.what());
  }
}

// lex.go trimPrefix: drop the (shortest or longest) leading match of the pattern.
std::string TrimPrefix(std::string_view pattern, std::string_view value, bool greedy) {
  ShellPattern p = CompileForSubstitution(pattern, greedy, true);
  std::vector<char32_t> runes = ToRunes(value);
  PatternMatcher m(p, runes);
  auto found = m.Find(0);
  if (!found) return std::string(value);
  return std::string(value.substr(ByteOffset(value, found->second)));
}

// lex.go reversePattern.
std::vector<char32_t> ReversePatternRunes(const std::vector<char32_t>& in) {
  std::vector<char32_t> out(in.size());
  if (in.empty()) return out;
  size_t last = in.size() - 1;
  for (size_t i = 0; i <= last;) {
    size_t out_idx = last - i;
    if (in[i] == '\\' && i != last) {
      out[out_idx - 1] = in[i];
      out[out_idx] = in[i + 1];
      i += 2;
    } else {
      out[out_idx] = in[i];
      ++i;
    }
  }
  return out;
}

std::string ReverseString(std::string_view s) {
  std::vector<char32_t> runes = ToRunes(s);
  return FromRunes({runes.rbegin(), runes.rend()});
}

// lex.go trimSuffix: a regexp cannot find the shortest rightmost match, so it reverses both
// the pattern and the value and trims a prefix instead.
std::string TrimSuffix(std::string_view pattern, std::string_view value, bool greedy) {
  std::string reversed_pattern = FromRunes(ReversePatternRunes(ToRunes(pattern)));
  return ReverseString(TrimPrefix(reversed_pattern, ReverseString(value), greedy));
}

// Go regexp's extract(): the name after '$' in a replacement template.
bool ExtractTemplateName(std::string_view t, std::string* name, size_t* consumed) {
  bool brace = !t.empty() && t[0] == '{';
  size_t i = brace ? 1 : 0, w = 0;
  size_t start = i;
  while (i < t.size()) {
    char32_t c = DecodeRune(t, i, &w);
    if (!IsGoLetter(c) && !IsGoDigit(c) && c != '_') break;
    i += w;
  }
  if (i == start) return false;
  *name = std::string(t.substr(start, i - start));
  if (brace) {
    if (i >= t.size() || t[i] != '}') return false;
    ++i;
  }
  *consumed = i;
  return true;
}

// Go regexp's Expand for a pattern without capture groups: "$$" -> "$", "$0"/"${0}" -> the
// match, any other $name -> "", a malformed "$" stays literal.
std::string ExpandTemplate(std::string_view t, std::string_view match) {
  std::string out;
  while (!t.empty()) {
    size_t dollar = t.find('$');
    if (dollar == std::string_view::npos) break;
    out += t.substr(0, dollar);
    t.remove_prefix(dollar + 1);
    if (!t.empty() && t[0] == '$') {
      out += '$';
      t.remove_prefix(1);
      continue;
    }
    std::string name;
    size_t consumed = 0;
    if (!ExtractTemplateName(t, &name, &consumed)) {
      out += '$';
      continue;
    }
    t.remove_prefix(consumed);
    if (name == "0") out += match;
  }
  out += t;
  return out;
}

// lex.go ${V/p/r} and ${V//p/r}: Go's FindStringIndex / ReplaceAllString semantics, including
// "an empty match right after a previous match is not replaced".
std::string Replace(std::string_view value, std::string_view pattern, std::string_view repl,
                    bool all) {
  ShellPattern p = CompileForSubstitution(pattern, true, false);
  std::vector<char32_t> runes = ToRunes(value);
  PatternMatcher m(p, runes);
  std::vector<size_t> offsets(runes.size() + 1);
  for (size_t i = 0, pos = 0, w = 0; i < runes.size(); ++i, pos += w) {
    offsets[i] = pos;
    DecodeRune(value, pos, &w);
    offsets[i + 1] = pos + w;
  }
  std::string out;
  size_t last_end = 0;  // rune index
  size_t search = 0;
  while (search <= runes.size()) {
    auto found = m.Find(search);
    if (!found) break;
    auto [start, end] = *found;
    out += value.substr(offsets[last_end], offsets[start] - offsets[last_end]);
    if (!all) {
      out += repl;  // FindStringIndex + concatenation: no template expansion
    } else if (end > last_end || start == 0) {
      out += ExpandTemplate(repl, value.substr(offsets[start], offsets[end] - offsets[start]));
    }
    last_end = end;
    search = end > search ? end : search + 1;
    if (!all) break;
  }
  out += value.substr(offsets[last_end]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The expander (lex.go shellWord).

bool IsSpecialParam(int32_t c) {
  switch (c) {
    case '@': case '*': case '#': case '?': case '-': case '$': case '!': case '0':
      return true;
    default:
      return false;
  }
}

class Expander {
 public:
  Expander(const ShellLexOptions& options, const EnvLookup& env, std::string_view word)
      : options_(options), env_(env), scanner_(word), raw_escapes_(options.raw_escapes) {}

  ShellWordResult Run() {
    Piece piece = ProcessStopOn(kEof, raw_escapes_);
    return {std::move(piece.text), std::move(piece.words), std::move(matched_),
            std::move(unmatched_)};
  }

 private:
  struct Piece {
    std::string text;
    std::vector<std::string> words;
  };

  // Sets raw_escapes_ for one nested scan and restores it afterwards (lex.go's defer).
  class RawEscapesScope {
   public:
    RawEscapesScope(bool& flag, bool value) : flag_(flag), saved_(flag) { flag_ = value; }
    ~RawEscapesScope() { flag_ = saved_; }

   private:
    bool& flag_;
    bool saved_;
  };

  // Scans until `stop` (consumed) or the end of the word; throws if `stop` never comes.
  Piece ProcessStopOn(int32_t stop, bool raw_escapes) {
    RawEscapesScope scope(raw_escapes_, raw_escapes);
    std::string result;
    WordSplitter words;
    while (scanner_.Peek() != kEof) {
      int32_t ch = scanner_.Peek();
      if (stop != kEof && ch == stop) {
        scanner_.Next();
        return {std::move(result), words.Finish()};
      }
      if (ch == '$') {
        std::string value = ProcessDollar();
        result += value;
        words.AddString(value);  // unquoted expansion results are split
      } else if (IsQuote(ch)) {
        std::string value = ch == '\'' ? ProcessSingleQuote() : ProcessDoubleQuote();
        result += value;
        words.AddRawString(value);
      } else if (!ProcessPlainChar(result, words)) {
        break;  // a lone escape char at the end of the word is dropped
      }
    }
    if (stop != kEof) {
      std::string s;
      AppendRune(s, stop);
      throw LexFailure("unexpected end of statement while looking for matching " + s);
    }
    return {std::move(result), words.Finish()};
  }

  bool IsQuote(int32_t ch) const {
    return !options_.skip_process_quotes && (ch == '\'' || ch == '"');
  }

  // One unquoted character, or an escape char and the character it escapes. Returns false
  // when the escape char was the last character of the word.
  bool ProcessPlainChar(std::string& result, WordSplitter& words) {
    int32_t ch = scanner_.Next();
    if (ch == options_.escape) {
      if (raw_escapes_) {
        words.AddRawChar(ch);
        AppendRune(result, ch);
      }
      ch = scanner_.Next();
      if (ch == kEof) return false;
      words.AddRawChar(ch);
    } else {
      words.AddChar(ch);
    }
    AppendRune(result, ch);
    return true;
  }

  // '...': every character literal, no escapes.
  std::string ProcessSingleQuote() {
    std::string result;
    int32_t ch = scanner_.Next();
    if (options_.raw_quotes) AppendRune(result, ch);
    for (;;) {
      ch = scanner_.Next();
      if (ch == kEof) {
        throw LexFailure("unexpected end of statement while looking for matching single-quote");
      }
      if (ch == '\'') {
        if (options_.raw_quotes) AppendRune(result, ch);
        return result;
      }
      AppendRune(result, ch);
    }
  }

  // "...": $ expands; the escape char escapes only '"', '$' and itself, else stays literal.
  std::string ProcessDoubleQuote() {
    std::string result;
    int32_t ch = scanner_.Next();
    if (options_.raw_quotes) AppendRune(result, ch);
    for (;;) {
      int32_t next = scanner_.Peek();
      if (next == kEof) {
        throw LexFailure("unexpected end of statement while looking for matching double-quote");
      }
      if (next == '"') {
        scanner_.Next();
        if (options_.raw_quotes) AppendRune(result, next);
        return result;
      }
      if (next == '$') {
        result += ProcessDollar();
        continue;
      }
      ch = scanner_.Next();
      if (ch == options_.escape) {
        if (raw_escapes_) AppendRune(result, ch);
        int32_t escaped = scanner_.Peek();
        if (escaped == kEof) continue;  // the missing '"' is reported next round
        if (escaped == '"' || escaped == '$' || escaped == options_.escape) ch = scanner_.Next();
      }
      AppendRune(result, ch);
    }
  }

  std::optional<std::string> GetEnv(const std::string& name) {
    std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
    (value ? matched_ : unmatched_).insert(name);
    return value;
  }

  // $NAME or ${...}; the scanner is on the '$'.
  std::string ProcessDollar() {
    scanner_.Next();
    if (scanner_.Peek() != '{') {
      std::string name = ProcessName();
      if (name.empty()) return "$";
      std::optional<std::string> value = GetEnv(name);
      if (!value && options_.skip_unset_env) return "$" + name;
      return value.value_or("");
    }
    scanner_.Next();
    switch (scanner_.Peek()) {
      case kEof:
        throw LexFailure("syntax error: missing '}'");
      case '{': case '}': case ':':
        throw LexFailure("syntax error: bad substitution");  // ${{x}, ${}, ${:x}
      default:
        break;
    }
    std::string name = ProcessName();
    int32_t ch = scanner_.Next();
    // lex.go reports "unsupported modifier (\uFFFD)" here; the plain message helps users more.
    if (ch == kEof) throw LexFailure("syntax error: missing '}'");
    if (ch == '}') return ExpandPlain(name);
    if (ch == '/') return ExpandReplace(name);
    if (ch == ':' || ch == '+' || ch == '-' || ch == '?' || ch == '#' || ch == '%') {
      return ExpandModifier(name, ch);
    }
    throw LexFailure("unsupported modifier (" + RuneString(ch) + ") in substitution");
  }

  static std::string RuneString(int32_t ch) {
    std::string s;
    AppendRune(s, ch == kEof ? kRuneError : static_cast<char32_t>(ch));
    return s;
  }

  std::string ExpandPlain(const std::string& name) {
    std::optional<std::string> value = GetEnv(name);
    if (!value && options_.skip_unset_env) return "${" + name + "}";
    return value.value_or("");
  }

  // A nested scan up to `stop`; running into the end of the word reports `missing`.
  std::string ScanUntil(int32_t stop, bool raw_escapes, const char* missing) {
    try {
      return ProcessStopOn(stop, raw_escapes).text;
    } catch (const LexFailure&) {
      if (scanner_.Peek() == kEof) throw LexFailure(missing);
      throw;
    }
  }

  // ${V-w} ${V:-w} ${V+w} ${V:+w} ${V?m} ${V:?m} ${V#p} ${V##p} ${V%p} ${V%%p}.
  std::string ExpandModifier(const std::string& name, int32_t ch) {
    std::string modifier = RuneString(ch);
    bool null_is_unset = ch == ':';
    if (null_is_unset) {
      ch = scanner_.Next();
      modifier += RuneString(ch);
    }
    bool is_trim = ch == '#' || ch == '%';
    bool known = ch == '+' || ch == '-' || ch == '?' || is_trim;
    // ':' only combines with - + ?. lex.go rejects "${V:#p}" / "${V:%p}" at once but
    // "${V:=w}" and other unknown modifiers only after scanning w (so "${V:=w" without '}'
    // reports the missing '}'); the order decides which message a user sees.
    auto reject = [&] {
      throw LexFailure("unsupported modifier (" + modifier + ") in substitution");
    };
    if (null_is_unset && is_trim) reject();
    std::string word = ScanUntil('}', is_trim, "syntax error: missing '}'");
    std::optional<std::string> value = GetEnv(name);
    if (!value && options_.skip_unset_env) return "${" + name + modifier + word + "}";
    if (!known) reject();
    bool empty = !value || (null_is_unset && value->empty());
    switch (ch) {
      case '-':
        return empty ? word : *value;
      case '+':
        return empty ? "" : word;
      case '?':
        if (empty) {
          const char* why = value ? "is not allowed to be empty" : "is not allowed to be unset";
          throw LexFailure(name + ": " + (word.empty() ? std::string(why) : word));
        }
        return *value;
      default:
        return Trim(ch, word, value.value_or(""));
    }
  }

  // '#'/'%' remove the shortest prefix/suffix match, '##'/'%%' the longest.
  static std::string Trim(int32_t ch, std::string pattern, const std::string& value) {
    bool greedy = !pattern.empty() && pattern[0] == static_cast<char>(ch);
    if (greedy) pattern.erase(0, 1);
    return ch == '%' ? TrimSuffix(pattern, value, greedy) : TrimPrefix(pattern, value, greedy);
  }

  // ${V/p/r} replaces the first match, ${V//p/r} every match.
  std::string ExpandReplace(const std::string& name) {
    bool all = scanner_.Peek() == '/';
    if (all) scanner_.Next();
    std::string pattern = ScanUntil('/', true, "syntax error: missing '/' in ${}");
    std::string replacement = ScanUntil('}', true, "syntax error: missing '}'");
    std::optional<std::string> value = GetEnv(name);
    if (!value && options_.skip_unset_env) {
      return "${" + name + "/" + pattern + "/" + replacement + "}";
    }
    return Replace(value.value_or(""), pattern, replacement, all);
  }

  // A name: letters, digits and '_'; or all leading digits ($1, $001); or one special param.
  std::string ProcessName() {
    std::string name;
    while (scanner_.Peek() != kEof) {
      int32_t ch = scanner_.Peek();
      if (name.empty() && IsGoDigit(ch)) {
        while (scanner_.Peek() != kEof && IsGoDigit(scanner_.Peek())) {
          AppendRune(name, scanner_.Next());
        }
        return name;
      }
      if (name.empty() && IsSpecialParam(ch)) return RuneString(scanner_.Next());
      if (!IsGoLetter(ch) && !IsGoDigit(ch) && ch != '_') break;
      AppendRune(name, scanner_.Next());
    }
    return name;
  }

  const ShellLexOptions& options_;
  const EnvLookup& env_;
  RuneScanner scanner_;
  bool raw_escapes_;
  std::set<std::string> matched_;
  std::set<std::string> unmatched_;
};

}  // namespace

ShellWordResult ShellLex::ProcessWordWithMatches(std::string_view word,
                                                 const EnvLookup& env) const {
  try {
    return Expander(options_, env, word).Run();
  } catch (const LexFailure& e) {
    throw Error("failed to process " + GoQuote(word) + ": " + e.what());
  }
}

std::string ShellLex::ProcessWord(std::string_view word, const EnvLookup& env) const {
  return ProcessWordWithMatches(word, env).word;
}

std::vector<std::string> ShellLex::ProcessWords(std::string_view word,
                                                const EnvLookup& env) const {
  return ProcessWordWithMatches(word, env).words;
}

EnvLookup EnvFromList(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> env;
  for (const std::string& e : entries) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      env[e] = "";
    } else {
      env[e.substr(0, eq)] = e.substr(eq + 1);
    }
  }
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

std::string ShellPatternToGoRegex(std::string_view pattern, bool greedy, bool anchored) {
  try {
    return CompileShellPattern(pattern, greedy, anchored).go_regex;
  } catch (const LexFailure& e) {
    throw Error("invalid shell pattern " + GoQuote(pattern) + ": " + e.what());
  }
}

std::string ReverseShellPattern(std::string_view pattern) {
  return FromRunes(ReversePatternRunes(ToRunes(pattern)));
}

}  // namespace cairn::frontend
