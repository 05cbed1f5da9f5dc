#include "builder/git_modes.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

testing::CommandResult Git(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"});
  return testing::RunCommand(args);
}

TEST(GitModes, TrackedFilesTakeGitsModeInASubdirectoryContext) {
  testing::TempDir dir;
  ASSERT_EQ(Git(dir.path(), {"init", "-q"}).exit_code, 0);
  testing::WriteTextFile(dir / "svc/bin/tool", "#!/bin/sh\n");
  testing::WriteTextFile(dir / "svc/conf", "x\n");
  testing::WriteTextFile(dir / "top", "not in the context\n");
  ASSERT_EQ(::chmod((dir / "svc/bin/tool").c_str(), 0775), 0);
  ASSERT_EQ(::chmod((dir / "svc/conf").c_str(), 0664), 0);
  ASSERT_EQ(Git(dir.path(), {"add", "."}).exit_code, 0);
  GitModes m = GitModes::ForContext(dir / "svc");
  EXPECT_EQ(m.ModeOf("bin/tool", S_IFREG | 0775), 0755u);
  EXPECT_EQ(m.ModeOf("conf", S_IFREG | 0600), 0644u);  // modified in the work tree: still git's
  EXPECT_EQ(m.ModeOf("bin", S_IFDIR | 0775), 0755u);
  EXPECT_EQ(m.ModeOf(".", S_IFDIR | 0700), 0755u);
  EXPECT_EQ(m.ModeOf("untracked", S_IFREG | 0640), std::nullopt);
  EXPECT_EQ(m.ModeOf("top", S_IFREG | 0664), std::nullopt);  // "top" is not the context's
}

TEST(GitModes, NoRuleOutsideAWorkTree) {
  testing::TempDir dir;
  GitModes m = GitModes::ForContext(dir.path());
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.ModeOf(".", S_IFDIR | 0700), std::nullopt);
}

}  // namespace
}  // namespace cairn::builder
