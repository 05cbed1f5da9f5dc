// What a foreign RUN is told when this machine cannot run its programs; the binfmt_misc files are
// written here as the kernel shows them (the real handler is exercised by
// tests/cli/multi_platform_test.cc).
#include "runtime/emulation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"

namespace cairn::runtime {
namespace {

using ::testing::HasSubstr;

class Emulation : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("/tmp", "cairn-binfmt-"); }
  void TearDown() override { RemoveAll(dir_); }
  void Mounted() { WriteFileAtomic(JoinPath(dir_, "register"), ""); }
  void Handler(const std::string& name, const std::string& state, const std::string& flags) {
    WriteFileAtomic(JoinPath(dir_, name), state + "\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: " + flags +
                                              "\noffset 0\nmagic 7f454c46\n");
  }
  std::string Problem(const std::string& platform) {
    return EmulationProblem(ParsePlatform(platform), ParsePlatform("linux/amd64"), dir_);
  }
  std::string dir_;
};

TEST_F(Emulation, NativePlatformsNeedNothing) {
  EXPECT_EQ(Problem("linux/amd64"), "");
  EXPECT_EQ(Problem("linux/386"), "");  // not even binfmt_misc
}

TEST_F(Emulation, UnmountedBinfmtSaysHowToMountIt) {
  EXPECT_THAT(Problem("linux/arm64"), HasSubstr("needs binfmt_misc, which is not mounted at " + dir_));
  EXPECT_THAT(Problem("linux/arm64"), HasSubstr("qemu-user-static"));
}

TEST_F(Emulation, MissingHandlerNamesThePackage) {
  Mounted();
  EXPECT_THAT(Problem("linux/arm64"),
              HasSubstr("RUN for linux/arm64 on this linux/amd64 machine needs an emulator: no binfmt_misc handler "
                        "qemu-aarch64 is registered; install Debian's qemu-user-static"));
}

TEST_F(Emulation, DisabledHandlerSaysHowToEnableIt) {
  Mounted();
  Handler("qemu-aarch64", "disabled", "OCF");
  EXPECT_THAT(Problem("linux/arm64"), HasSubstr("update-binfmts --enable qemu-aarch64"));
}

TEST_F(Emulation, HandlerWithoutTheFFlagIsRefused) {
  Mounted();
  Handler("qemu-aarch64", "enabled", "OC");
  EXPECT_THAT(Problem("linux/arm64"), HasSubstr("registered without the F flag"));
}

TEST_F(Emulation, EnabledHandlerWithTheFFlagRuns) {
  Mounted();
  Handler("qemu-aarch64", "enabled", "POCF");
  EXPECT_EQ(Problem("linux/arm64"), "");
  EXPECT_THAT(Problem("linux/s390x"), HasSubstr("qemu-s390x is registered"));
}

}  // namespace
}  // namespace cairn::runtime
