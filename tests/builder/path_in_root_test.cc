#include "builder/path_in_root.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::builder {
namespace {

class ResolveInRootTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = MakeTempDir("/tmp", "cairn-root-"); }
  void TearDown() override { RemoveAll(root_); }
  std::string root_;
};

TEST_F(ResolveInRootTest, AbsoluteSymlinkStaysInsideRoot) {
  MakeDirs(root_ + "/usr/lib");
  ASSERT_EQ(::symlink("/usr/lib", (root_ + "/lib").c_str()), 0);
  EXPECT_EQ(ResolveInRoot(root_, "/lib/x.so"), root_ + "/usr/lib/x.so");
}

TEST_F(ResolveInRootTest, DotDotAndEscapingLinksStopAtRoot) {
  ASSERT_EQ(::symlink("../../../../etc", (root_ + "/evil").c_str()), 0);
  EXPECT_EQ(ResolveInRoot(root_, "evil/passwd"), root_ + "/etc/passwd");
  EXPECT_EQ(ResolveInRoot(root_, "../../etc/shadow"), root_ + "/etc/shadow");
}

TEST_F(ResolveInRootTest, LastComponentKeptWhenAsked) {
  ASSERT_EQ(::symlink("target", (root_ + "/link").c_str()), 0);
  EXPECT_EQ(ResolveInRoot(root_, "link", /*follow_last=*/false), root_ + "/link");
  EXPECT_EQ(ResolveInRoot(root_, "link"), root_ + "/target");
}

TEST_F(ResolveInRootTest, SymlinkLoopIsAnError) {
  ASSERT_EQ(::symlink("b", (root_ + "/a").c_str()), 0);
  ASSERT_EQ(::symlink("a", (root_ + "/b").c_str()), 0);
  EXPECT_THROW(ResolveInRoot(root_, "a/x"), Error);
}

}  // namespace
}  // namespace cairn::builder
