// .dockerignore behaviour as a Dockerfile author sees it.
#include "frontend/dockerignore.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/path.h"

namespace cairn::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

bool Excluded(std::string_view ignore_file, std::string_view path) {
  return IgnoreMatcher::Parse(ignore_file).Excluded(path);
}

TEST(DockerIgnore, StarDoesNotCrossDirectories) {
  EXPECT_TRUE(Excluded("*.log\n", "b.log"));
  EXPECT_FALSE(Excluded("*.log\n", "a/b.log"));
}

TEST(DockerIgnore, DoubleStarMatchesAtAnyDepth) {
  EXPECT_TRUE(Excluded("**/*.log\n", "b.log"));
  EXPECT_TRUE(Excluded("**/*.log\n", "a/b/c.log"));
  EXPECT_FALSE(Excluded("**/*.log\n", "a/b/c.txt"));
}

TEST(DockerIgnore, ExclamationReIncludes) {
  const char* file = "*.log\n!keep.log\n";
  EXPECT_TRUE(Excluded(file, "debug.log"));
  EXPECT_FALSE(Excluded(file, "keep.log"));
}

TEST(DockerIgnore, LaterPatternsWin) {
  EXPECT_TRUE(Excluded("!keep.log\n*.log\n", "keep.log"));
}

TEST(DockerIgnore, ExcludedDirectoryExcludesEverythingBelow) {
  EXPECT_TRUE(Excluded("node_modules\n", "node_modules/x/index.js"));
  EXPECT_FALSE(Excluded("node_modules\n", "src/node_modules/x.js"));
  EXPECT_TRUE(Excluded("**/node_modules\n", "src/node_modules/x.js"));
}

TEST(DockerIgnore, ReIncludeInsideExcludedDirectory) {
  const char* file = "docs\n!docs/README.md\n";
  EXPECT_TRUE(Excluded(file, "docs/guide.md"));
  EXPECT_FALSE(Excluded(file, "docs/README.md"));
  EXPECT_TRUE(IgnoreMatcher::Parse(file).has_exceptions());
}

TEST(DockerIgnore, LeadingSlashAndDotSlashAreTheContextRoot) {
  EXPECT_TRUE(Excluded("/secret.txt\n", "secret.txt"));
  EXPECT_TRUE(Excluded("./build\n", "build/out.o"));
  EXPECT_FALSE(Excluded("/secret.txt\n", "sub/secret.txt"));
}

TEST(DockerIgnore, CommentsAndBlankLinesAreIgnored) {
  const char* file = "# a comment\n\n   \n  *.tmp  \r\n";
  EXPECT_TRUE(Excluded(file, "x.tmp"));
  EXPECT_FALSE(Excluded(file, "# a comment"));
  EXPECT_TRUE(IgnoreMatcher().empty());
  EXPECT_TRUE(IgnoreMatcher::Parse("# only comments\n").empty());
}

TEST(DockerIgnore, QuestionMarkAndClasses) {
  EXPECT_TRUE(Excluded("file?.txt\n", "file1.txt"));
  EXPECT_FALSE(Excluded("file?.txt\n", "file10.txt"));
  EXPECT_TRUE(Excluded("[a-c].txt\n", "b.txt"));
  EXPECT_FALSE(Excluded("[^a-c].txt\n", "b.txt"));
  EXPECT_TRUE(Excluded("\\*.txt\n", "*.txt"));
  EXPECT_FALSE(Excluded("\\*.txt\n", "a.txt"));
}

TEST(DockerIgnore, RegexCharactersAreLiteral) {
  EXPECT_TRUE(Excluded("dist/a+b(1).whl\n", "dist/a+b(1).whl"));
  EXPECT_FALSE(Excluded("abc.def\n", "abcXdef"));
}

TEST(DockerIgnore, BadPatternsAreReportedWhenParsing) {
  try {
    IgnoreMatcher::Parse("ok\n[\n");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(".dockerignore"));
    EXPECT_THAT(e.what(), HasSubstr("syntax error in pattern"));
  }
  EXPECT_THROW(IgnoreMatcher::Parse("!\n"), Error);
}

TEST(DockerIgnore, ReadIgnoreFileNormalisesPatterns) {
  EXPECT_THAT(ReadIgnoreFile("\xEF\xBB\xBF/a//b/../c\n! /d\n#x\n e \n"),
              ElementsAre("a/c", "!d", "e"));
}

TEST(DockerIgnore, WalkerResultsAgreeWithParentMatching) {
  PatternMatcher pm = PatternMatcher::New({"build", "!build/keep"});
  PatternMatcher::MatchInfo root, dir, file;
  EXPECT_TRUE(pm.MatchesUsingParentResults("build", root, &dir));
  EXPECT_FALSE(pm.MatchesUsingParentResults("build/keep", dir, &file));
  EXPECT_TRUE(pm.MatchesUsingParentResults("build/other", dir, &file));
}

// patternmatcher hands patterns to Go's regexp, and docker build inherits its corner cases.
TEST(DockerIgnore, GoRegexpCornerCasesCarryOver) {
  EXPECT_TRUE(Excluded("a^b\n", "a^b"));     // no glob character: compared as a string
  EXPECT_FALSE(Excluded("a^b*\n", "a^bc"));  // in a regexp the '^' is an anchor: never matches
  EXPECT_TRUE(Excluded("[[:digit:]]*.txt\n", "1a.txt"));
  EXPECT_TRUE(Excluded("v\\d\n", "v7"));  // "\d" reaches the regexp as a digit class
  IgnoreMatcher bad = IgnoreMatcher::Parse("[z-a]\n");  // a valid glob, an invalid regexp
  EXPECT_THROW(bad.Excluded("x"), Error);
}

}  // namespace
}  // namespace cairn::frontend
