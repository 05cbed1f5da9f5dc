#include "builder/miss_reason.h"

#include <gtest/gtest.h>

namespace cairn::builder {
namespace {

StepInputs Inputs() {
  StepInputs s;
  s.key = "sha256:" + std::string(64, '1');
  s.instruction = "RUN make";
  s.action = "sha256:action";
  s.args = {{"VERSION", "1"}};
  s.env = {{"PATH", "/bin"}};
  s.workdir = "/src";
  s.user = "";
  s.shell = "/bin/sh -c";
  s.sources = "";
  s.layer_format = "epoch=0|gzip,level=1";
  return s;
}

std::string Explain(const StepInputs& before, const StepInputs& now) {
  MissFacts f;
  f.before = before;
  f.now = now;
  f.now.key = "sha256:" + std::string(64, '2');
  return ExplainMiss(f);
}

TEST(ExplainMiss, NamesTheChangedInstructionWithBothTexts) {
  StepInputs now = Inputs();
  now.instruction = "RUN make all";
  EXPECT_EQ(Explain(Inputs(), now), "instruction changed: was \"RUN make\", now \"RUN make all\"");
}

TEST(ExplainMiss, AnotherKindOfInstructionIsNamedAloneNotItsInputs) {
  StepInputs now = Inputs();
  now.instruction = "COPY a /a";
  now.env.clear();  // COPY reads no environment
  now.args.clear();
  EXPECT_EQ(Explain(Inputs(), now), "instruction changed: was \"RUN make\", now \"COPY a /a\"");
}

TEST(ExplainMiss, NamesABuildArgByNameWithItsValues) {
  StepInputs now = Inputs();
  now.args["VERSION"] = "2";
  EXPECT_EQ(Explain(Inputs(), now), "build arg VERSION changed: was \"1\", now \"2\"");
  now = Inputs();
  now.args["NEW"] = "x";
  EXPECT_EQ(Explain(Inputs(), now), "build arg NEW added");
  now = Inputs();
  now.args.clear();
  EXPECT_EQ(Explain(Inputs(), now), "build arg VERSION removed");
}

TEST(ExplainMiss, NamesContextFilesByPath) {
  StepInputs before = Inputs();
  before.files = {{"src", "dir"}, {"src/a.c", "1"}, {"src/old.c", "2"}};
  StepInputs now = before;
  now.files["src/a.c"] = "changed";
  EXPECT_EQ(Explain(before, now), "context file src/a.c changed");
  now = before;
  now.files.erase("src/old.c");
  now.files["src/new.c"] = "3";
  EXPECT_EQ(Explain(before, now), "context file src/new.c added; context file src/old.c removed");
}

TEST(ExplainMiss, CountsChangesBeyondTheFirstFew) {
  StepInputs before = Inputs(), now = Inputs();
  for (int i = 0; i < 5; i++) now.files["f" + std::to_string(i)] = "x";
  EXPECT_EQ(Explain(before, now),
            "context file f0 added; context file f1 added; context file f2 added; and 2 more");
}

TEST(ExplainMiss, NamesEnvironmentWorkdirUserAndLayerFormat) {
  StepInputs now = Inputs();
  now.env["CFLAGS"] = "-O2";
  now.workdir = "/app";
  EXPECT_EQ(Explain(Inputs(), now),
            "environment variable CFLAGS added; WORKDIR changed: was \"/src\", now \"/app\"");
  now = Inputs();
  now.layer_format = "epoch=5|gzip,level=1";
  EXPECT_NE(Explain(Inputs(), now).find("source date epoch or compression"), std::string::npos);
}

TEST(ExplainMiss, SourcesOrExpandedActionOnlyWhenNothingElseSays) {
  StepInputs now = Inputs();
  now.sources = "sha256:otherstage";
  EXPECT_EQ(Explain(Inputs(), now), "its sources (another stage, an image or a bind mount) changed");
  now = Inputs();
  now.action = "sha256:heredoc-changed";
  EXPECT_EQ(Explain(Inputs(), now), "the expanded instruction changed (a variable or heredoc in it)");
  now.instruction = "RUN other";  // the instruction text says more: the action is not repeated
  EXPECT_EQ(Explain(Inputs(), now), "instruction changed: was \"RUN make\", now \"RUN other\"");
}

TEST(ExplainMiss, SameKeyMeansTheRecordWasRemoved) {
  MissFacts f;
  f.before = Inputs();
  f.now = Inputs();
  EXPECT_EQ(ExplainMiss(f), "its cache record or layer is gone from the store (pruned?)");
}

TEST(ExplainMiss, FirstStepNamesTheChangedBase) {
  MissFacts f;
  f.now = Inputs();
  f.first_step = true;
  f.base_name = "image busybox";
  f.base_now = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  f.base_before = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  EXPECT_EQ(ExplainMiss(f), "base image busybox changed: was sha256:aaaaaaaaaaaa, now sha256:bbbbbbbbbbbb");
  f.base_before = f.base_now;  // same base, never built on it: nothing to compare
  EXPECT_EQ(ExplainMiss(f), "no previous build of this step");
  f.first_step = false;
  f.base_before.reset();
  EXPECT_EQ(ExplainMiss(f), "no previous build of this step");
}

TEST(StepInputsJson, RoundTripsAndRejectsDamage) {
  StepInputs s = Inputs();
  s.files = {{"a", "33188 1 sha256:x"}};
  auto back = StepInputsFromJson(StepInputsToJson(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->instruction, s.instruction);
  EXPECT_EQ(back->files, s.files);
  EXPECT_EQ(back->args, s.args);
  EXPECT_FALSE(StepInputsFromJson(nlohmann::json::array()));
  nlohmann::json broken = StepInputsToJson(s);
  broken["args"] = 3;
  EXPECT_FALSE(StepInputsFromJson(broken));
}

}  // namespace
}  // namespace cairn::builder
