#include "builder/run_step.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "builder/run_image.h"

namespace cairn::builder {
namespace {

TEST(RunEnvironment, DefaultPathAndHomeWhenImageHasNone) {
  plan::ImageConfig c;
  auto env = RunEnvironment(c, {}, "/root");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "SOURCE_DATE_EPOCH=0"}));
}

TEST(RunEnvironment, SourceDateEpochIsTheLayerEpochUnlessTheStepSetsIt) {
  plan::ImageConfig c;
  auto env = RunEnvironment(c, {}, "/root", 1700000000);
  EXPECT_EQ(env.back(), "SOURCE_DATE_EPOCH=1700000000");
  c.env = {"SOURCE_DATE_EPOCH=5"};
  env = RunEnvironment(c, {}, "/root", 1700000000);
  EXPECT_EQ(std::count(env.begin(), env.end(), "SOURCE_DATE_EPOCH=5"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "SOURCE_DATE_EPOCH=1700000000"), 0);
}

TEST(RunEnvironment, EnvWinsOverBuildArgOfTheSameName) {
  plan::ImageConfig c;
  c.env = {"PATH=/bin", "MODE=env"};
  auto env = RunEnvironment(c, {"MODE=arg", "EXTRA=1"}, "/root");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "MODE=env", "EXTRA=1", "HOME=/root", "SOURCE_DATE_EPOCH=0"}));
}

TEST(ContainerArgv, EntrypointPlusCmdOrCommand) {
  EXPECT_EQ(ContainerArgv({"/entry"}, {"a"}, {}), (std::vector<std::string>{"/entry", "a"}));
  EXPECT_EQ(ContainerArgv({"/entry"}, {"a"}, {"b", "c"}), (std::vector<std::string>{"/entry", "b", "c"}));
  EXPECT_EQ(ContainerArgv({}, {"sh"}, {}), (std::vector<std::string>{"sh"}));
}

}  // namespace
}  // namespace cairn::builder
