// .dockerignore: which context paths a build may see, with moby/patternmatcher semantics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::frontend {

class IgnoreMatcher {
 public:
  // Parses .dockerignore text: one pattern a line, '#' comments, '!' exceptions, leading '/' or
  // './' dropped, patterns cleaned like filepath.Clean. Throws Error on a bad pattern.
  static IgnoreMatcher Parse(std::string_view text);

  // True if the context-relative path ("a/b.txt", no leading slash) is excluded. Parent
  // directories' results apply as patternmatcher's MatchesOrParentMatches does.
  bool Excluded(std::string_view path) const;
  bool empty() const;

  struct Pattern;  // defined in dockerignore.cc
  ~IgnoreMatcher();
  IgnoreMatcher();
  IgnoreMatcher(IgnoreMatcher&&) noexcept;
  IgnoreMatcher& operator=(IgnoreMatcher&&) noexcept;

 private:
  std::vector<Pattern>* patterns_ = nullptr;
};

}  // namespace cairn::frontend
