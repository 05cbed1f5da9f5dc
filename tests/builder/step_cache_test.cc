#include "builder/step_cache.h"

#include <gtest/gtest.h>

namespace cairn::builder {
namespace {

plan::Step RunStepOf(const std::string& command) {
  plan::Step s;
  s.instruction = "RUN";
  s.location = {"Dockerfile", 3, 1};
  plan::RunAction r;
  r.argv = {"/bin/sh", "-c", command};
  s.action = r;
  s.config.env = {"PATH=/bin"};
  return s;
}

TEST(StepCacheKey, SameInputsSameKeyAnywhere) {
  // The key is a pure function of the step: nothing about this machine or the file goes in.
  std::string key = StepCacheKey("sha256:base", RunStepOf("make"), "");
  EXPECT_EQ(key, StepCacheKey("sha256:base", RunStepOf("make"), ""));
  plan::Step moved = RunStepOf("make");
  moved.location = {"other/Dockerfile", 30, 4};  // where the step is written does not matter
  EXPECT_EQ(StepCacheKey("sha256:base", moved, ""), key);
}

TEST(StepCacheKey, EveryInputChangesTheKey) {
  std::string key = StepCacheKey("sha256:base", RunStepOf("make"), "");
  EXPECT_NE(StepCacheKey("sha256:other", RunStepOf("make"), ""), key);
  EXPECT_NE(StepCacheKey("sha256:base", RunStepOf("make all"), ""), key);
  EXPECT_NE(StepCacheKey("sha256:base", RunStepOf("make"), "sha256:src"), key);
  plan::Step env = RunStepOf("make");
  env.config.env.push_back("A=1");
  EXPECT_NE(StepCacheKey("sha256:base", env, ""), key);
  plan::Step arg = RunStepOf("make");
  arg.args_in_scope["VERSION"] = "2";
  EXPECT_NE(StepCacheKey("sha256:base", arg, ""), key);
  // Another epoch or compressor gives the same change other bytes: another key.
  EXPECT_NE(StepCacheKey("sha256:base", RunStepOf("make"), "", "epoch=1|gzip level 1"), key);
}

}  // namespace
}  // namespace cairn::builder
