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
  EXPECT_THAT(Rules("ARG V=1\nFROM a:$V\nFROM b:${NOPE}\n"), ElementsAre("UndefinedArgInFrom@3"));
  EXPECT_THAT(Rules("FROM a\nCMD [\"a\"]\nCMD [\"b\"]\n"), ElementsAre("MultipleInstructionsDisallowed@2"));
  EXPECT_THAT(Rules("FROM a\nRUN x \\\n\n  y\n"), ElementsAre("NoEmptyContinuation@3"));
  EXPECT_THAT(Rules("FROM a\nrun x\nRUN y\n"), ElementsAre("ConsistentInstructionCasing@2"));
}

std::vector<std::string> RulesWith(const std::string& dockerfile, const LintInputs& inputs) {
  std::vector<std::string> rules;
  for (const LintFinding& f : Lint(Parse(dockerfile), inputs)) rules.push_back(f.rule + "@" + std::to_string(f.line));
  return rules;
}

TEST(Lint, StageAndFromRules) {
  EXPECT_THAT(Rules("FROM a AS x\nFROM b AS X\n"), ElementsAre("DuplicateStageName@2", "StageNameCasing@2"));
  EXPECT_THAT(Rules("ARG V\nFROM a:$V\n"), ElementsAre("InvalidDefaultArgInFrom@2"));
  EXPECT_THAT(Rules("ARG TARGETARCH\nFROM a:$TARGETARCH\n"), IsEmpty());  // the build gives its value
  EXPECT_THAT(Rules("ARG V=3.19 E\nFROM a:$V\nFROM ${E}scratch\n"), IsEmpty());
  EXPECT_THAT(Rules("FROM --platform=$TARGETPLATFORM a\n"), ElementsAre("RedundantTargetPlatform@1"));
  EXPECT_THAT(Rules("FROM --platform=linux/arm64 a\nFROM --platform=linux/arm64 a AS build-arm64\n"
                    "FROM --platform=$BUILDPLATFORM a\n"),
              ElementsAre("FromPlatformFlagConstDisallowed@1"));
  EXPECT_THAT(Rules("FROM a\nEXPOSE 80 127.0.0.1:80:80/tcp 8080:80\n"),
              ElementsAre("ExposeInvalidFormat@2", "ExposeInvalidFormat@2"));
}

TEST(Lint, DescriptionCommentsMustStartWithTheName) {
  EXPECT_THAT(Rules("# syntax=docker/dockerfile:1\n# build compiles\nFROM a AS build\n# VERSION to use\nARG VERSION\n"),
              IsEmpty());
  EXPECT_THAT(Rules("# compiles things\nFROM a AS build\n# the version\nARG VERSION\n\n# spaced\n\nARG X\n"),
              ElementsAre("InvalidDefinitionDescription@2", "InvalidDefinitionDescription@4"));
  // Experimental in BuildKit: reported only when the check directive asks for it.
  Ast ast = Parse("# compiles things\nFROM a AS build\n");
  EXPECT_THAT(KeptFindings(Lint(ast), {}), IsEmpty());
  CheckOptions all;
  all.experimental = {"all"};
  EXPECT_THAT(KeptFindings(Lint(ast), all), ::testing::SizeIs(1));
}

TEST(Lint, UndefinedVarKnowsArgsEnvTheBaseImageAndStages) {
  LintInputs inputs;
  inputs.base_image = [](const std::string& ref) -> std::optional<BaseImageInfo> {
    if (ref == "unknown") return std::nullopt;
    return BaseImageInfo{"linux/amd64", {"PATH"}};
  };
  EXPECT_THAT(RulesWith("FROM a AS one\nARG V\nENV E=1\nWORKDIR /$V/$E/$PATH/${D:-x}/$TARGETARCH\n"
                        "FROM one\nCOPY $E /\nRUN echo $NOT_CHECKED_IN_RUN\n",
                        inputs),
              IsEmpty());
  EXPECT_THAT(RulesWith("FROM a\nENV PATHS=1\nCOPY $PATHZ '$LITERAL' /\nWORKDIR /\\$ESCAPED\n", inputs),
              ElementsAre("UndefinedVar@3"));
  auto f = Lint(Parse("FROM a\nENV COLOR=1\nLABEL x=$COLOUR\n"), inputs);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message, "Usage of undefined variable '$COLOUR' (did you mean $COLOR?)");
  EXPECT_THAT(RulesWith("FROM unknown\nCOPY $X /\n", inputs), IsEmpty()) << "its ENV could define anything";
  EXPECT_THAT(Rules("FROM scratch\nCOPY $X /\n"), ElementsAre("UndefinedVar@2"));
}

TEST(Lint, CopyIgnoredFileAndBasePlatform) {
  IgnoreMatcher ignore = IgnoreMatcher::Parse("secret\n*.log\n");
  LintInputs inputs;
  inputs.ignore = &ignore;
  inputs.base_image = [](const std::string& ref) -> std::optional<BaseImageInfo> {
    return BaseImageInfo{ref == "arm" ? "linux/arm64" : "linux/amd64", {}};
  };
  EXPECT_THAT(RulesWith("FROM a\nCOPY secret/key app.log ok /\nADD ./secret /x\nCOPY --from=a secret /\n", inputs),
              ElementsAre("CopyIgnoredFile@2", "CopyIgnoredFile@2", "CopyIgnoredFile@3"));
  EXPECT_THAT(RulesWith("FROM arm\n", inputs), ElementsAre("InvalidBaseImagePlatform@1"));
  EXPECT_THAT(RulesWith("FROM --platform=$BUILDPLATFORM arm\n", inputs), IsEmpty());
}

TEST(Lint, EveryRuleHasAFixAndAPage) {
  for (const char* rule : {"ConsistentInstructionCasing", "FromAsCasing", "StageNameCasing", "ReservedStageName",
                           "MaintainerDeprecated", "JSONArgsRecommended", "LegacyKeyValueFormat", "WorkdirRelativePath",
                           "MultipleInstructionsDisallowed", "ExposeProtoCasing", "SecretsUsedInArgOrEnv",
                           "UndefinedArgInFrom", "NoEmptyContinuation", "DuplicateStageName", "InvalidDefaultArgInFrom",
                           "RedundantTargetPlatform", "FromPlatformFlagConstDisallowed", "ExposeInvalidFormat",
                           "InvalidDefinitionDescription", "UndefinedVar", "CopyIgnoredFile", "InvalidBaseImagePlatform"})
    EXPECT_NE(LintFix(rule), "") << rule;
  EXPECT_EQ(LintUrl("JSONArgsRecommended"), "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/");
  EXPECT_EQ(LintUrl("UndefinedVar"), "https://docs.docker.com/go/dockerfile/rule/undefined-var/");
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
