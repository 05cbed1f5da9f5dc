#include "base/path.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(CleanPath, FollowsGoPathClean) {
  EXPECT_EQ(CleanPath("a/../b/"), "b");
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("/../x//y/./z"), "/x/y/z");
  EXPECT_EQ(CleanPath("../a"), "../a");
  EXPECT_EQ(CleanPath("a//b/./c/.."), "a/b");
  EXPECT_EQ(CleanPath("/../x"), "/x");
  EXPECT_EQ(CleanPath("../../a/.."), "../..");
  EXPECT_EQ(CleanPath("./"), ".");
}

TEST(Dirname, FollowsGoPathDir) {
  EXPECT_EQ(Dirname("/var/lib/cairn/layers/abc"), "/var/lib/cairn/layers");
  EXPECT_EQ(Dirname("/a"), "/");
  EXPECT_EQ(Dirname("a"), ".");
  EXPECT_EQ(Dirname("a/b/"), "a/b");
  EXPECT_EQ(Dirname("sub/../x/f"), "x");
}

}  // namespace
}  // namespace cairn
