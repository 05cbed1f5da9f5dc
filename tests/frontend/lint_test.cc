// Build checks and the `# check=` directive.
#include "frontend/lint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "frontend/parser.h"
#include "plan_helpers.h"

namespace cairn::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace cairn::frontend::testing;

std::vector<std::string> Rules(const std::string& dockerfile) {
  std::vector<std::string> rules;
  for (const LintFinding& f : Lint(Parse(dockerfile))) rules.push_back(f.rule + "@" + std::to_string(f.line));
  return rules;
}

TEST(Lint, CleanDockerfileHasNoFindings) {
  EXPECT_THAT(Rules("FROM busybox AS build\nWORKDIR /src\nENV A=1\nCMD [\"x\"]\n"), IsEmpty());
}

TEST(Lint, EachRule) {
  EXPECT_THAT(Rules("FROM a\nMAINTAINER me\n"), ElementsAre("MaintainerDeprecated@2"));
  EXPECT_THAT(Rules("FROM a\nCMD run\nENTRYPOINT [\"x\"]\n"), ElementsAre("JSONArgsRecommended@2"));
  EXPECT_THAT(Rules("FROM a\nENV A 1\nLABEL b=2\n"), ElementsAre("LegacyKeyValueFormat@2"));
  EXPECT_THAT(Rules("FROM a\nWORKDIR app\nWORKDIR sub\n"), ElementsAre("WorkdirRelativePath@2"));
  EXPECT_THAT(Rules("FROM a AS Build\n"), ElementsAre("StageNameCasing@1"));
  EXPECT_THAT(Rules("FROM a as b\n"), ElementsAre("FromAsCasing@1"));
  EXPECT_THAT(Rules("FROM a AS scratch\n"), ElementsAre("ReservedStageName@1"));
  EXPECT_THAT(Rules("FROM a\nEXPOSE 80/TCP\n"), ElementsAre("ExposeProtoCasing@2"));
  EXPECT_THAT(Rules("FROM a\nARG GITHUB_TOKEN\nENV PUBLIC_KEY=x DB_PASSWORD=y\n"),
              ElementsAre("SecretsUsedInArgOrEnv@2", "SecretsUsedInArgOrEnv@3"));
  EXPECT_THAT(Rules("ARG V\nFROM a:$V\nFROM b:${NOPE}\n"), ElementsAre("UndefinedArgInFrom@3"));
  EXPECT_THAT(Rules("FROM a\nCMD [\"a\"]\nCMD [\"b\"]\n"), ElementsAre("MultipleInstructionsDisallowed@2"));
  EXPECT_THAT(Rules("FROM a\nRUN x \\\n\n  y\n"), ElementsAre("NoEmptyContinuation@3"));
  EXPECT_THAT(Rules("FROM a\nrun x\nRUN y\n"), ElementsAre("ConsistentInstructionCasing@2"));
}

TEST(Lint, WarningsReachThePlanWithFileAndLine) {
  plan::Plan p = Lower("FROM busybox\nCMD run\n");
  EXPECT_THAT(p.warnings, ElementsAre("Dockerfile:2: JSONArgsRecommended: JSON arguments recommended "
                                      "for CMD to prevent unintended behavior related to OS signals"));
}

TEST(Lint, CheckDirectiveSkipsRules) {
  EXPECT_THAT(Lower("# check=skip=JSONArgsRecommended\nFROM busybox\nCMD run\nMAINTAINER x\n").warnings,
              ElementsAre(HasSubstr("MaintainerDeprecated")));
  EXPECT_THAT(Lower("# check=skip=all\nFROM busybox\nCMD run\n").warnings, IsEmpty());
}

TEST(Lint, CheckErrorTrueFailsTheBuild) {
  FakeImages images;
  std::string e;
  try {
    Lower("# check=error=true\nFROM busybox\nCMD run\n", images);
  } catch (const ParseError& err) {
    e = err.what();
  }
  EXPECT_THAT(e, HasSubstr("Dockerfile:3:1: lint violation found for rules: JSONArgsRecommended"));
  EXPECT_THAT(images.resolved, IsEmpty());
  EXPECT_THAT(Lower("# check=error=true\nFROM busybox\nCMD [\"run\"]\n").warnings, IsEmpty());
}

TEST(Lint, BadCheckDirectiveIsLocated) {
  EXPECT_THAT(ErrorOf("# syntax=x\n# check=error=maybe\nFROM busybox\n"),
              HasSubstr("Dockerfile:2:1: invalid check directive"));
}

}  // namespace
}  // namespace cairn::frontend
