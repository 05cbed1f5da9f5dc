// .dockerignore: which context paths a build may see, with moby/patternmatcher v0.6.1 semantics
// (ignorefile.ReadAll + patternmatcher.New + MatchesOrParentMatches), Unix path rules.
//
// Pattern syntax (Go filepath.Match plus "**"): '*' any run without '/', '?' one char but '/',
// '[a-z]' / '[^a-z]' classes, '\x' a literal x, "**" any number of directories ("**/x", "a/**"),
// '!' at the start re-includes. A path is excluded when the last pattern that matches it or one
// of its parent directories is not a '!' pattern. Like patternmatcher, a pattern is turned into
// a Go regular expression and run by the Go regexp subset in go_regexp.h, so corner cases
// ("a^b", "[*]") behave as in docker build.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/go_regexp.h"

namespace cairn::frontend {

// ignorefile.ReadAll: one pattern a line; a line starting with '#' (column 0) is a comment;
// lines are trimmed, blank ones dropped; a UTF-8 BOM and '\r' line ends are removed; each
// pattern is cleaned and a leading '/' dropped; '!' stays in front ("! /a" -> "!a").
std::vector<std::string> ReadIgnoreFile(std::string_view text);

class PatternMatcher {
 public:
  enum class MatchType { kExact, kPrefix, kSuffix, kRegexp };

  struct Pattern {
    std::string cleaned;            // the pattern after filepath.Clean, without '!'
    std::vector<std::string> dirs;  // cleaned split on '/'
    bool exclusion = false;         // written with a leading '!'
    MatchType type = MatchType::kExact;
    std::string regex_source;       // the Go regexp patternmatcher builds (kRegexp only)
    std::optional<GoRegexp> regex;  // compiled regex_source
    std::string compile_error;      // non-empty: the regexp did not compile; matching throws

    // patternmatcher's Pattern.compile with separator `sep` ('/' here, '\\' on Windows).
    // Sets type, regex_source, regex / compile_error.
    void Compile(char sep = '/');
    // Pattern.match: true if `path` matches. Throws Error if the pattern could not compile.
    bool Match(std::string_view path) const;
  };

  // patternmatcher.New: trims and cleans each pattern, drops empty ones. Throws Error for a
  // lone "!" and for glob syntax errors ("[", "a[", "[]a]", a trailing '\').
  static PatternMatcher New(const std::vector<std::string>& patterns);

  // Last matching pattern wins; a path also counts as matched when one of its parent
  // directories matches. This is what docker build uses. Throws like Pattern::Match.
  bool MatchesOrParentMatches(std::string_view file) const;
  // Deprecated patternmatcher.Matches: only the parent prefix with as many components as the
  // pattern is tried. Kept for the conformance tables.
  bool Matches(std::string_view file) const;
  // No parent matching at all.
  bool MatchesExact(std::string_view file) const;
  // For walkers: the caller says whether the parent directory was excluded (deprecated API).
  bool MatchesUsingParentResult(std::string_view file, bool parent_matched) const;
  // For walkers: per-pattern results of the parent directory ({} for "unknown": then parents
  // are checked as MatchesOrParentMatches does); fills *info for this path's children.
  struct MatchInfo {
    std::vector<bool> parent_matched;
  };
  bool MatchesUsingParentResults(std::string_view file, const MatchInfo& parent,
                                 MatchInfo* info) const;

  bool exclusions() const { return exclusions_; }
  const std::vector<Pattern>& patterns() const { return patterns_; }

 private:
  std::vector<Pattern> patterns_;
  bool exclusions_ = false;
};

// Go filepath.Match(pattern, ".") != nil: the syntax check patternmatcher.New applies.
bool IsValidGlob(std::string_view pattern);

// Package-level patternmatcher.Matches(file, patterns): New + Clean(file) + deprecated Matches,
// "." never matches. Throws Error for bad patterns.
bool MatchesPatterns(std::string_view file, const std::vector<std::string>& patterns);

// What the builder uses: a parsed .dockerignore.
class IgnoreMatcher {
 public:
  IgnoreMatcher() = default;

  // Parses .dockerignore text (ReadIgnoreFile + PatternMatcher::New). Throws Error on a bad
  // pattern, naming it.
  static IgnoreMatcher Parse(std::string_view text);

  // True if the context-relative path ("a/b.txt", no leading slash) is excluded, parent
  // directories included (MatchesOrParentMatches). Throws Error for a pattern whose regexp
  // cannot compile (e.g. "[z-a]").
  bool Excluded(std::string_view path) const;
  bool empty() const { return matcher_.patterns().empty(); }
  // True when some pattern starts with '!': a walker must then descend into excluded
  // directories, because something below may be re-included.
  bool has_exceptions() const { return matcher_.exclusions(); }
  const PatternMatcher& matcher() const { return matcher_; }

 private:
  PatternMatcher matcher_;
};

}  // namespace cairn::frontend
