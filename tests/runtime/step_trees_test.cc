#include "runtime/step_trees.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::runtime {
namespace {

TEST(OverlayOptions, HundredTwentyEightShortLayersFitInOnePage) {
  OverlayDirs dirs;
  for (int i = 0; i < 128; i++) dirs.lowerdirs.push_back("/var/lib/cairn/l/ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  dirs.upperdir = "/var/lib/cairn/tmp/step-123456/upper";
  dirs.workdir = "/var/lib/cairn/tmp/step-123456/work";
  std::string cwd;
  std::string opts = OverlayOptions(dirs, &cwd);
  EXPECT_EQ(cwd, "/var/lib/cairn/l");
  EXPECT_LT(opts.size(), 4096u);
  EXPECT_NE(opts.find("redirect_dir=off"), std::string::npos);
}

TEST(WithMountedStacks, ChildErrorsComeBackWithTheirMessage) {
  std::string scratch = MakeTempDir("/tmp", "cairn-ovl-");
  try {
    WithMountedStacks(scratch, {}, [](const std::vector<std::string>&) { throw Error("copy a.txt: boom"); });
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "copy a.txt: boom");
  }
  RemoveAll(scratch);
}

TEST(WithMountedStacks, WritesGoToTheUpperDirAndNoMountRemains) {
  std::string scratch = MakeTempDir("/tmp", "cairn-ovl-");
  MakeDirs(scratch + "/lower/etc");
  WriteFileAtomic(scratch + "/lower/etc/base", "base");
  MakeDirs(scratch + "/upper");
  MakeDirs(scratch + "/work");
  WithMountedStacks(scratch, {{{scratch + "/lower"}, scratch + "/upper", scratch + "/work"}},
                    [](const std::vector<std::string>& roots) {
                      if (ReadFile(roots[0] + "/etc/base") != "base") throw Error("lower not visible");
                      WriteFileAtomic(roots[0] + "/etc/new", "new");
                    });
  EXPECT_EQ(ReadFile(scratch + "/upper/etc/new"), "new");
  EXPECT_FALSE(PathExists(scratch + "/lower/etc/new"));
  EXPECT_EQ(ReadFile("/proc/self/mountinfo").find(scratch), std::string::npos);
  RemoveAll(scratch);
}

}  // namespace
}  // namespace cairn::runtime
