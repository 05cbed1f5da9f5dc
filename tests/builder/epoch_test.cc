#include "builder/epoch.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

TEST(SourceDateEpoch, FlagBeatsEnvironment) {
  auto e = ResolveSourceDateEpoch(std::string("42"), "7");
  EXPECT_EQ(e.seconds, 42);
  EXPECT_EQ(e.from, "--source-date-epoch");
  EXPECT_EQ(ResolveSourceDateEpoch(std::nullopt, "7").seconds, 7);
}

TEST(SourceDateEpoch, DefaultIsZeroOutsideGit) {
  testing::TempDir dir;
  auto e = ResolveSourceDateEpoch(std::nullopt, nullptr, dir.path());
  EXPECT_EQ(e.seconds, 0);
  EXPECT_EQ(e.from, "default (0)");
}

TEST(SourceDateEpoch, GitHeadCommitTimeOfTheContext) {
  testing::TempDir dir;
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", dir.path(), "-c", "user.name=t", "-c", "user.email=t@example.com"});
    return testing::RunCommand(args, {"GIT_COMMITTER_DATE=@1700000000 +0000", "GIT_AUTHOR_DATE=@1600000000 +0000"});
  };
  ASSERT_EQ(git({"init", "-q"}).exit_code, 0);
  testing::WriteTextFile(dir / "sub/Dockerfile", "FROM scratch\n");
  ASSERT_EQ(git({"add", "."}).exit_code, 0);
  ASSERT_EQ(git({"commit", "-qm", "x"}).exit_code, 0);
  auto e = ResolveSourceDateEpoch(std::nullopt, nullptr, dir / "sub");
  EXPECT_EQ(e.seconds, 1700000000);  // the committer time, not the author time
  EXPECT_EQ(e.from, "git HEAD of " + (dir / "sub"));
}

TEST(SourceDateEpoch, InGitTheLayersKeepZeroAndOnlyTheImageTakesTheCommitTime) {
  testing::TempDir dir;
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", dir.path(), "-c", "user.name=t", "-c", "user.email=t@example.com"});
    return testing::RunCommand(args, {"GIT_COMMITTER_DATE=@1700000000 +0000", "GIT_AUTHOR_DATE=@1700000000 +0000"});
  };
  ASSERT_EQ(git({"init", "-q"}).exit_code, 0);
  testing::WriteTextFile(dir / "Dockerfile", "FROM scratch\n");
  ASSERT_EQ(git({"add", "."}).exit_code, 0);
  ASSERT_EQ(git({"commit", "-qm", "x"}).exit_code, 0);
  Epochs e = ResolveEpochs(std::nullopt, dir.path());
  EXPECT_EQ(e.layer.seconds, 0);  // a new commit must not change any step's key
  EXPECT_EQ(e.image.seconds, 1700000000);
  Epochs given = ResolveEpochs(SourceDateEpoch{42, "--source-date-epoch"}, dir.path());
  EXPECT_EQ(given.layer.seconds, 42);
  EXPECT_EQ(given.image.seconds, 42);
}

TEST(SourceDateEpoch, ExplicitOnlyFromTheFlagOrANonEmptyEnvironment) {
  EXPECT_FALSE(ExplicitSourceDateEpoch(std::nullopt, nullptr));
  EXPECT_FALSE(ExplicitSourceDateEpoch(std::nullopt, ""));
  EXPECT_EQ(ExplicitSourceDateEpoch(std::nullopt, "7")->from, "environment");
}

TEST(SourceDateEpoch, GarbageIsAnErrorNamingTheSource) {
  try {
    ResolveSourceDateEpoch(std::nullopt, "yesterday");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("environment variable SOURCE_DATE_EPOCH"), std::string::npos);
  }
}

}  // namespace
}  // namespace cairn::builder
