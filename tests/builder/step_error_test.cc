#include "builder/step_error.h"

#include <gtest/gtest.h>

#include "builder/run_step.h"

namespace cairn::builder {
namespace {

plan::Step CopyStep() {
  plan::Step step;
  step.location = {"Dockerfile", 3, 1};
  step.display = "COPY missing.txt /";
  return step;
}

TEST(StepError, NamesLineAndInstructionAndShowsIt) {
  EXPECT_STREQ(StepError(CopyStep(), "\"missing.txt\": not found").what(),
               "Dockerfile:3: COPY missing.txt /: \"missing.txt\": not found\n 3 | COPY missing.txt /\n   | ^");
}

TEST(StepError, SnippetGoesAfterTheFirstLineOfAMultiLineReason) {
  EXPECT_STREQ(StepError(CopyStep(), "failed\n  last output:\n    x").what(),
               "Dockerfile:3: COPY missing.txt /: failed\n 3 | COPY missing.txt /\n   | ^\n  last output:\n    x");
}

TEST(StepError, AnErrorAlreadyLocatedAtTheStepIsKept) {
  EXPECT_STREQ(StepError(CopyStep(), "Dockerfile:3: bad url").what(), "Dockerfile:3: bad url");
}

TEST(MaskSecrets, EveryOccurrenceBecomesStars) {
  EXPECT_EQ(MaskSecrets("[ pw == pw ] pwx", {"pw"}), "[ **** == **** ] ****x");
  EXPECT_EQ(MaskSecrets("nothing here", {"", "zz"}), "nothing here");
}

}  // namespace
}  // namespace cairn::builder
