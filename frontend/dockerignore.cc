// moby/patternmatcher v0.6.1 and ignorefile.ReadAll, ported from Go. patternmatcher turns each
// pattern into a Go regexp; so does this file, and go_regexp.h runs it.
#include "frontend/dockerignore.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "base/error.h"
#include "base/path.h"
#include "frontend/utf8.h"

namespace cairn::frontend {
namespace {

// Go's strings.TrimSpace (unicode.IsSpace runes at both ends).
std::string_view TrimSpace(std::string_view s) {
  size_t w = 0;
  while (!s.empty() && IsGoSpace(DecodeRune(s, 0, &w)) && !IsRuneError(s, 0)) {
    s.remove_prefix(w);
  }
  while (!s.empty()) {
    size_t start = s.size() - 1;  // back up to the first byte of the last rune
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           s.size() - start < 4) {
      --start;
    }
    char32_t c = DecodeRune(s, start, &w);
    if (start + w != s.size() || !IsGoSpace(c)) break;
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

// "**" (or "**/"): `at_end` when nothing follows it, `first` when it is the first token.
void TranslateDoubleStar(bool at_end, bool first, const std::string& esc_sep, Translation& t,
                         std::string& re) {
  using MT = PatternMatcher::MatchType;
  if (at_end) {
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
  if (first) t.type = MT::kSuffix;
}

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
      TranslateDoubleStar(pos == n, i == 0, esc_sep, t, re);
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
// Paths and the ignore file.

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
    regex = GoRegexp::Compile(regex_source);
  } catch (const GoRegexpError& e) {
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
  std::string parent = Dirname(file);
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
  std::string parent = Dirname(file);
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
