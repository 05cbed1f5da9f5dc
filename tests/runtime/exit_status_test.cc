#include <gtest/gtest.h>

#include "runtime/container.h"

namespace cairn::runtime {
namespace {

TEST(ExitStatusTest, DescribesExitCodesAndSignals) {
  EXPECT_EQ((ExitStatus{0, 0}).Describe(), "exit code 0");
  EXPECT_EQ((ExitStatus{2, 0}).Describe(), "exit code 2");
  EXPECT_EQ((ExitStatus{0, 9}).Describe(), "killed by signal 9 (SIGKILL)");
  EXPECT_TRUE((ExitStatus{0, 0}).ok());
  EXPECT_FALSE((ExitStatus{0, 15}).ok());
  EXPECT_FALSE((ExitStatus{1, 0}).ok());
}

}  // namespace
}  // namespace cairn::runtime
