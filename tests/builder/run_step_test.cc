#include "builder/run_step.h"

#include <gtest/gtest.h>

#include "builder/run_image.h"

namespace cairn::builder {
namespace {

TEST(RunEnvironment, DefaultPathAndHomeWhenImageHasNone) {
  plan::ImageConfig c;
  auto env = RunEnvironment(c, {}, "/root");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}));
}

TEST(RunEnvironment, EnvWinsOverBuildArgOfTheSameName) {
  plan::ImageConfig c;
  c.env = {"PATH=/bin", "MODE=env"};
  auto env = RunEnvironment(c, {"MODE=arg", "EXTRA=1"}, "/root");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "MODE=env", "EXTRA=1", "HOME=/root"}));
}

TEST(ContainerArgv, EntrypointPlusCmdOrCommand) {
  EXPECT_EQ(ContainerArgv({"/entry"}, {"a"}, {}), (std::vector<std::string>{"/entry", "a"}));
  EXPECT_EQ(ContainerArgv({"/entry"}, {"a"}, {"b", "c"}), (std::vector<std::string>{"/entry", "b", "c"}));
  EXPECT_EQ(ContainerArgv({}, {"sh"}, {}), (std::vector<std::string>{"sh"}));
}

}  // namespace
}  // namespace cairn::builder
