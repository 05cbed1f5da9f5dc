#include "builder/step_cache.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/support/harness.h"

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

TEST(StepCacheKey, BuildArgsEnvAndShellAreInputsOfRunOnly) {
  plan::Step copy;
  copy.action = plan::CopyAction{};
  std::get<plan::CopyAction>(copy.action).sources = {"app.c"};
  std::get<plan::CopyAction>(copy.action).dest = "/src/";
  std::string key = StepCacheKey("sha256:base", copy, "sha256:src");
  plan::Step changed = copy;
  changed.args_in_scope["VERSION"] = "2";
  changed.config.env.push_back("A=1");
  changed.config.shell = {"/bin/bash", "-c"};
  EXPECT_EQ(StepCacheKey("sha256:base", changed, "sha256:src"), key);  // COPY reads none of them
  changed.config.user = "app";
  EXPECT_NE(StepCacheKey("sha256:base", changed, "sha256:src"), key);  // WORKDIR-made dirs are the user's
}

class StepCacheExplain : public ::testing::Test {
 protected:
  StepCacheExplain() : store_(dir_.path()), cache_(store_) {}
  StepInputs Inputs(const std::string& command, const std::string& parent) {
    plan::Step step = RunStepOf(command);
    step.display = "RUN " + command;
    return StepInputsOf(StepCacheKey(parent, step, ""), step, "", {}, "epoch=0");
  }
  StageCacheScope Scope(const std::string& base_key) { return {"Dockerfile\napp", "image busybox", base_key}; }

  testing::TempDir dir_;
  store::Store store_;
  StepCache cache_;
};

const std::string kBase1 = "sha256:" + std::string(64, 'a');
const std::string kBase2 = "sha256:" + std::string(64, 'b');

TEST_F(StepCacheExplain, FirstMissComparesWithTheLastBuildOnTheSameParent) {
  StageCacheScope scope = Scope(kBase1);
  cache_.RememberInputs(scope, kBase1, Inputs("make", kBase1));
  StageCacheScope next = Scope(kBase1);
  EXPECT_EQ(cache_.ExplainFirstMiss(next, kBase1, Inputs("make all", kBase1)),
            "instruction changed: was \"RUN make\", now \"RUN make all\"");
  // Later misses of the stage follow from the first: they are not explained again.
  EXPECT_FALSE(cache_.ExplainFirstMiss(next, "sha256:" + std::string(64, 'c'), Inputs("x", kBase1)));
}

TEST_F(StepCacheExplain, TheLatestChildIsTheOneComparedWith) {
  StageCacheScope scope = Scope(kBase1);
  cache_.RememberInputs(scope, kBase1, Inputs("one", kBase1));
  cache_.RememberInputs(scope, kBase1, Inputs("two", kBase1));
  cache_.RememberInputs(scope, kBase1, Inputs("one", kBase1));  // a hit on an older child
  StageCacheScope next = Scope(kBase1);
  EXPECT_EQ(cache_.ExplainFirstMiss(next, kBase1, Inputs("three", kBase1)),
            "instruction changed: was \"RUN one\", now \"RUN three\"");
}

TEST_F(StepCacheExplain, ASiblingStagesStepOnTheSameParentIsNotTheOneComparedWith) {
  StageCacheScope scope = Scope(kBase1);
  StepInputs run = Inputs("make", kBase1);
  run.env["V"] = "1";
  cache_.RememberInputs(scope, kBase1, run);
  StepInputs copy = Inputs("unused", kBase1);
  copy.instruction = "COPY --from=other /x /x";
  copy.key = "sha256:" + std::string(64, 'e');
  cache_.RememberInputs(scope, kBase1, copy);  // another stage's step, built last
  StageCacheScope next = Scope(kBase1);
  StepInputs again = Inputs("make", kBase1);
  again.env["V"] = "2";
  again.key = "sha256:" + std::string(64, 'f');
  EXPECT_EQ(cache_.ExplainFirstMiss(next, kBase1, again), "environment variable V changed: was \"1\", now \"2\"");
}

TEST_F(StepCacheExplain, ANewBaseIsNamed) {
  StageCacheScope scope = Scope(kBase1);
  cache_.RememberInputs(scope, kBase1, Inputs("make", kBase1));
  StageCacheScope rebased = Scope(kBase2);
  EXPECT_EQ(cache_.ExplainFirstMiss(rebased, kBase2, Inputs("make", kBase2)),
            "base image busybox changed: was sha256:aaaaaaaaaaaa, now sha256:bbbbbbbbbbbb");
}

TEST_F(StepCacheExplain, NothingRememberedAndSkippedLookups) {
  StageCacheScope scope = Scope(kBase1);
  EXPECT_EQ(cache_.ExplainFirstMiss(scope, kBase1, Inputs("make", kBase1)), "no previous build of this step");
  StageCacheScope filtered = Scope(kBase1);
  filtered.skip_lookup = true;  // --no-cache(-filter): a miss by request needs no explanation
  EXPECT_FALSE(cache_.ExplainFirstMiss(filtered, kBase1, Inputs("make", kBase1)));
}

}  // namespace
}  // namespace cairn::builder
