// The part of Go's regexp package that patternmatcher (.dockerignore) needs: compile an RE2-syntax
// source and ask whether it matches. Supported syntax: literals, '.', anchors ^ $ \A \z \b \B,
// classes [a-z] [^...] [[:alpha:]] \d \s \w (ASCII, as in Go), escapes (\n \x41 \x{263a} \101),
// groups (...) (?:...), alternation |, and * + ? (lazy forms accepted; same answer for "does it
// match"). Flags, counted repetition {n,m} and \p{..} classes are not supported.
// Matching is a Pike VM over runes: linear in the text, so no pattern can make it exponential.
#pragma once

#include <memory>
#include <stdexcept>
#include <string_view>

namespace cairn::frontend {

// A syntax error; what() is Go's regexp/syntax error code text, e.g. "missing closing ]",
// "invalid character class range", "trailing backslash at end of expression".
struct GoRegexpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class GoRegexp {
 public:
  // regexp.Compile. Throws GoRegexpError for a source Go rejects (within the subset above).
  static GoRegexp Compile(std::string_view source);

  // (*Regexp).MatchString: true if the expression matches anywhere in `text` (invalid UTF-8
  // bytes count as U+FFFD, as in Go).
  bool MatchString(std::string_view text) const;

  struct Program;  // the compiled instructions (go_regexp.cc)

 private:
  explicit GoRegexp(std::shared_ptr<const Program> program) : program_(std::move(program)) {}
  std::shared_ptr<const Program> program_;
};

}  // namespace cairn::frontend
