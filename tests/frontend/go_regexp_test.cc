// The Go regexp subset behind .dockerignore, on expressions patternmatcher builds.
#include "frontend/go_regexp.h"

#include <gtest/gtest.h>

namespace cairn::frontend {
namespace {

bool Matches(std::string_view re, std::string_view text) {
  return GoRegexp::Compile(re).MatchString(text);
}

TEST(GoRegexp, StarStaysInsideOneDirectory) {  // "*.go"
  EXPECT_TRUE(Matches("^[^/]*\\.go$", "main.go"));
  EXPECT_FALSE(Matches("^[^/]*\\.go$", "cmd/main.go"));
  EXPECT_FALSE(Matches("^[^/]*\\.go$", "mainxgo"));  // the '.' was escaped
}

TEST(GoRegexp, DoubleStarMatchesAnyDirectoriesEvenNone) {  // "**/x/*.txt"
  const char* re = "^(.*/)?x/[^/]*\\.txt$";
  EXPECT_TRUE(Matches(re, "x/a.txt"));
  EXPECT_TRUE(Matches(re, "a/b/x/a.txt"));
  EXPECT_FALSE(Matches(re, "ax/a.txt"));
  EXPECT_FALSE(Matches(re, "x/sub/a.txt"));
}

TEST(GoRegexp, QuestionMarkAndClasses) {  // "file?.[a-c]"
  const char* re = "^file[^/]\\.[a-c]$";
  EXPECT_TRUE(Matches(re, "file1.b"));
  EXPECT_FALSE(Matches(re, "file/.b"));
  EXPECT_FALSE(Matches(re, "file1.d"));
  EXPECT_TRUE(Matches("^[[:digit:]][^/]*$", "1a"));
  EXPECT_TRUE(Matches("^v\\d$", "v7"));
}

TEST(GoRegexp, UnanchoredSearchAndMidPatternAnchor) {
  EXPECT_TRUE(Matches("b+", "abbc"));      // MatchString searches
  EXPECT_FALSE(Matches("^a^b[^/]*$", "a^bc"));  // '^' in the middle never matches
  EXPECT_TRUE(Matches("^é[^/]$", "éx"));     // runes, not bytes
}

TEST(GoRegexp, SyntaxErrorsUseGoMessages) {
  auto message = [](std::string_view re) -> std::string {
    try {
      GoRegexp::Compile(re);
    } catch (const GoRegexpError& e) {
      return e.what();
    }
    return "compiled";
  };
  EXPECT_EQ(message("^[z-a]$"), "invalid character class range");
  EXPECT_EQ(message("^[ab$"), "missing closing ]");
  EXPECT_EQ(message("^a\\"), "trailing backslash at end of expression");
  EXPECT_EQ(message("^(a$"), "missing closing )");
}

}  // namespace
}  // namespace cairn::frontend
