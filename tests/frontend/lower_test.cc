// Lowering: what the builder receives for each instruction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan_helpers.h"

namespace cairn::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace cairn::frontend::testing;
using Argv = std::vector<std::string>;

TEST(LowerFrom, ScratchHasDefaultPathAndPlatform) {
  plan::Plan p = Lower("FROM scratch\nCOPY a /a\n");
  ASSERT_EQ(p.stages.size(), 1u);
  EXPECT_EQ(p.stages[0].base, plan::StageRef::Image("scratch"));
  EXPECT_THAT(p.stages[0].base_config.env, ElementsAre(HasSubstr("PATH=/usr/local/sbin")));
  EXPECT_EQ(p.stages[0].base_config.architecture, "amd64");
}

TEST(LowerFrom, ImageConfigComesFromResolverWithExpandedGlobalArg) {
  FakeImages images;
  plan::Plan p = Lower("ARG TAG=3.19\nFROM alpine:${TAG}\nRUN true\n", images);
  EXPECT_EQ(p.stages[0].base, plan::StageRef::Image("alpine:3.19"));
  EXPECT_THAT(images.resolved, ElementsAre("alpine:3.19"));
  EXPECT_EQ(p.stages[0].base_config.cmd, Argv{"sh"});
}

TEST(LowerFrom, BuildArgOverridesGlobalArgDefault) {
  FakeImages images;
  Options o;
  o.build_args["IMG"] = "busybox";
  Lower("ARG IMG=nothing\nFROM $IMG\n", images, o);
  EXPECT_THAT(images.resolved, ElementsAre("busybox"));
}

TEST(LowerFrom, PlatformFlagIsExpandedWithPlatformArgs) {
  plan::Plan p = Lower("FROM --platform=$BUILDPLATFORM busybox\n");
  EXPECT_EQ(p.stages[0].platform, "linux/amd64");
}

TEST(LowerFrom, EarlierStageByNameInheritsConfigAndArgs) {
  plan::Plan p = Lower("FROM busybox AS Base\nENV A=1\nARG V=2\nFROM base\nRUN echo\n");
  ASSERT_EQ(p.stages.size(), 2u);
  EXPECT_EQ(p.stages[0].name, "base");
  EXPECT_EQ(p.stages[1].base, plan::StageRef::Stage(0));
  EXPECT_THAT(p.stages[1].depends_on, ElementsAre(0));
  EXPECT_THAT(p.stages[1].base_config.env, ::testing::Contains("A=1"));
  EXPECT_EQ(LastStep(p).args_in_scope.at("V"), "2");
  EXPECT_THAT(p.build_order, ElementsAre(0, 1));
}

TEST(LowerFrom, StageDependenciesFollowBaseCopyFromAndRunMountFrom) {
  plan::Plan p = Lower(
      "FROM busybox AS a\nFROM busybox AS b\nFROM busybox AS c\n"
      "FROM c\nCOPY --from=a /x /x\nRUN --mount=from=b,target=/m --mount=from=busybox,target=/n true\n"
      "COPY --from=alpine:3 /y /y\nCOPY --from=a /z /z\n");
  EXPECT_THAT(p.stages[3].depends_on, ElementsAre(0, 1, 2));
  EXPECT_EQ(p.stages[3].base, plan::StageRef::Stage(2));
  EXPECT_THAT(p.stages[0].depends_on, ElementsAre());
}

TEST(LowerFrom, UnneededStagesAreNeitherResolvedNorBuilt) {
  FakeImages images;
  plan::Plan p = Lower("FROM nosuchimage AS unused\nFROM busybox AS b\nFROM b\n", images);
  EXPECT_EQ(p.target, 2);
  EXPECT_THAT(p.build_order, ElementsAre(1, 2));
  EXPECT_THAT(images.resolved, ElementsAre("busybox"));
  EXPECT_EQ(p.stages.size(), 3u);
}

TEST(LowerFrom, TargetPicksNamedStage) {
  Options o;
  o.target = "Build";
  plan::Plan p = Lower("FROM busybox AS build\nRUN make\nFROM scratch\nCOPY --from=build /x /x\n", o);
  EXPECT_EQ(p.target, 0);
  EXPECT_THAT(p.build_order, ElementsAre(0));
}

TEST(LowerFrom, UnknownTargetNamesTheStages) {
  Options o;
  o.target = "nope";
  EXPECT_THAT(ErrorOf("FROM busybox AS build\n", o),
              HasSubstr("target stage \"nope\" could not be found (stages: build)"));
}

TEST(LowerFrom, ResolverFailureIsLocatedAtFrom) {
  EXPECT_THAT(ErrorOf("FROM busybox\nFROM missing:1\n"),
              HasSubstr("Dockerfile:2:1: pull missing:1: image not found"));
}

TEST(LowerRun, ShellFormIsWrappedWithDefaultShell) {
  plan::Plan p = Lower("FROM busybox\nRUN make all\n");
  const auto& run = ActionOf<plan::RunAction>(LastStep(p));
  EXPECT_EQ(run.argv, (Argv{"/bin/sh", "-c", "make all"}));
  EXPECT_EQ(LastStep(p).created_by, "RUN /bin/sh -c make all # buildkit");
  EXPECT_EQ(LastStep(p).display, "RUN make all");
  EXPECT_EQ(LastStep(p).instruction, "RUN");
}

TEST(LowerRun, ExecFormIsKeptAsIs) {
  plan::Plan p = Lower("FROM busybox\nRUN [\"echo\", \"$HOME\"]\n");
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(p)).argv, (Argv{"echo", "$HOME"}));
}

TEST(LowerRun, ShellInstructionChangesWrapping) {
  plan::Plan p = Lower("FROM busybox\nSHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nRUN x\n");
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(p)).argv, (Argv{"/bin/bash", "-eu", "-c", "x"}));
  EXPECT_EQ(TargetSteps(p)[0].created_by, "SHELL [/bin/bash -eu -c]");
}

TEST(LowerRun, ArgsInScopeGoToEnvAndHistory) {
  plan::Plan p = Lower("FROM busybox\nARG A=1\nARG B\nRUN make\n");
  const plan::Step& s = LastStep(p);
  EXPECT_EQ(ActionOf<plan::RunAction>(s).build_env, Argv{"A=1"});
  EXPECT_EQ(s.created_by, "RUN |2 A=1 B= /bin/sh -c make # buildkit");
  EXPECT_EQ(s.args_in_scope.size(), 1u);
  EXPECT_THAT(s.config.env, ::testing::Not(::testing::Contains("A=1")));
}

TEST(LowerRun, FlagsBecomeNetworkSecurityAndMounts) {
  plan::Plan p = Lower(
      "FROM busybox AS deps\nFROM busybox\nRUN --network=none --security=sandbox "
      "--mount=type=cache,target=/root/.cache,id=x --mount=from=deps,src=/a,dst=/b make\n");
  const auto& run = ActionOf<plan::RunAction>(LastStep(p));
  EXPECT_EQ(run.network, "none");
  EXPECT_EQ(run.security, "sandbox");
  ASSERT_EQ(run.mounts.size(), 2u);
  EXPECT_EQ(run.mounts[0].type, "cache");
  EXPECT_EQ(run.mounts[0].options.at("target"), "/root/.cache");
  EXPECT_EQ(run.mounts[1].type, "bind");
  EXPECT_EQ(run.mounts[1].from, plan::StageRef::Stage(0));
  EXPECT_EQ(run.mounts[0].from, std::nullopt);
  EXPECT_EQ(run.mounts[1].options.at("source"), "/a");
  EXPECT_THAT(p.build_order, ElementsAre(0, 1));
}

// BuildKit reads a --mount value as one CSV record: a field in double quotes may hold a comma.
// The flag's own quotes go first (as BuildKit's extractBuilderFlags), so those must be inside
// single quotes to reach the CSV reader.
TEST(LowerRun, MountFieldsAreCsvAsInBuildKit) {
  plan::Plan p = Lower("FROM busybox\nRUN --mount='type=bind,\"source=a,b\",target=/m' true\n");
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(p)).mounts[0].options.at("source"), "a,b");
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --mount=type=bind,\"source=a,b\",target=/m true\n"),
              HasSubstr("invalid field 'b' must be a key=value pair"));
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --mount='type=bind,target=\"/m' true\n"),
              HasSubstr("failed to parse csv mounts"));
}

// Proxy build args need no ARG and are no part of the plan (so of no cache key nor the history):
// the builder hands them to RUN as BuildKit's ProxyEnv (cli/proxy_env.h).
TEST(LowerRun, ProxyBuildArgsNeedNoArgAndStayOutOfThePlan) {
  Options o;
  o.build_args["http_proxy"] = "http://proxy:3128";
  plan::Plan p = Lower("FROM busybox\nRUN wget x\n", o);
  EXPECT_THAT(ActionOf<plan::RunAction>(LastStep(p)).build_env, IsEmpty());
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(LastStep(p).created_by, "RUN /bin/sh -c wget x # buildkit");
}

TEST(LowerCopy, FlagsAreKeptAndDestResolvedAgainstWorkdir) {
  plan::Plan p = Lower(
      "FROM busybox AS b\nFROM busybox\nWORKDIR /app\nARG U=1000\n"
      "COPY --from=b --chown=$U:$U --chmod=755 --link --parents --exclude=*.md a b sub/\n");
  const plan::Step& s = LastStep(p);
  const auto& c = ActionOf<plan::CopyAction>(s);
  EXPECT_FALSE(c.is_add);
  EXPECT_EQ(c.sources, (Argv{"a", "b"}));
  EXPECT_EQ(c.dest, "/app/sub");
  EXPECT_TRUE(c.dest_is_dir);
  EXPECT_EQ(c.from, plan::StageRef::Stage(0));
  EXPECT_EQ(c.chown, "1000:1000");
  EXPECT_EQ(c.chmod, "755");
  EXPECT_TRUE(c.link);
  EXPECT_TRUE(c.parents);
  EXPECT_EQ(c.excludes, Argv{"*.md"});
  EXPECT_EQ(s.created_by, "COPY a b sub/ # buildkit");
}

TEST(LowerCopy, FromImageAndStageIndex) {
  plan::Plan p = Lower("FROM busybox\nFROM scratch\nCOPY --from=0 /x /x\nCOPY --from=nginx:1 /y /y\n");
  EXPECT_EQ(ActionOf<plan::CopyAction>(TargetSteps(p)[0]).from, plan::StageRef::Stage(0));
  EXPECT_EQ(ActionOf<plan::CopyAction>(TargetSteps(p)[1]).from, plan::StageRef::Image("nginx:1"));
}

TEST(LowerCopy, FromWithVariableIsBuildKitsError) {
  EXPECT_THAT(ErrorOf("FROM scratch\nARG S=x\nCOPY --from=$S /a /a\n"),
              HasSubstr("Dockerfile:3:1: variable expansion is not supported for --from, define a new stage with "
                        "FROM using ARG from global scope as a workaround"));
}

TEST(LowerCopy, FromAStageDefinedLaterIsAnError) {
  Options o;
  o.target = "a";
  EXPECT_THAT(ErrorOf("FROM busybox AS a\nCOPY --from=later /a /a\nFROM busybox AS later\n", o),
              HasSubstr("Dockerfile:2:1: invalid stage later: stage later needs to be defined before current stage"));
  EXPECT_THAT(ErrorOf("FROM busybox AS a\nCOPY --from=1 /a /a\nFROM busybox\n", o),
              HasSubstr("needs to be defined before current stage"));
}

TEST(LowerCopy, JsonFormKeepsSpaces) {
  plan::Plan p = Lower("FROM scratch\nCOPY [\"my file\", \"/dst dir/\"]\n");
  const auto& c = ActionOf<plan::CopyAction>(LastStep(p));
  EXPECT_EQ(c.sources, Argv{"my file"});
  EXPECT_EQ(c.dest, "/dst dir");
  EXPECT_TRUE(c.dest_is_dir);
}

TEST(LowerCopy, RelativeDestWithoutWorkdirIsUnderRoot) {
  plan::Plan p = Lower("FROM scratch\nCOPY a .\n");
  const auto& c = ActionOf<plan::CopyAction>(LastStep(p));
  EXPECT_EQ(c.dest, "/");
  EXPECT_TRUE(c.dest_is_dir);
}

TEST(LowerAdd, AddFlags) {
  plan::Plan p = Lower(
      "FROM scratch\nADD --checksum=sha256:abc --unpack=false --link "
      "https://example.com/x.tar /x\n");
  const plan::Step& s = LastStep(p);
  const auto& c = ActionOf<plan::CopyAction>(s);
  EXPECT_TRUE(c.is_add);
  EXPECT_EQ(c.checksum, "sha256:abc");
  EXPECT_EQ(c.unpack, std::optional<bool>(false));
  EXPECT_EQ(s.created_by, "ADD https://example.com/x.tar /x # buildkit");
  // --keep-git-dir is the plan's (honoured by the git fetcher, cli/git_keep_dir.h).
  EXPECT_TRUE(ActionOf<plan::CopyAction>(LastStep(Lower("FROM scratch\nADD --keep-git-dir https://example.com/r.git /r\n"))).keep_git_dir);
}

// Options cairn parses but cannot honour fail, naming the option and the line.
TEST(LowerRejects, OptionsThatWouldBeIgnored) {
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --security=insecure true\n"),
              HasSubstr("Dockerfile:2:1: RUN --security=insecure is not supported"));
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --device=/dev/fuse true\n"),
              HasSubstr("Dockerfile:2:1: RUN --device=/dev/fuse is not supported"));
}

TEST(LowerFrom, PlatformOfTheBuildIsAccepted) {
  EXPECT_EQ(Lower("FROM --platform=linux/amd64 busybox\n").stages[0].platform, "linux/amd64");
}

TEST(LowerPlatform, FromPlatformChoosesTheBaseImagesPlatform) {
  FakeImages images;
  plan::Plan p = Lower("FROM --platform=linux/aarch64 busybox\n", images);
  EXPECT_EQ(p.stages[0].platform, "linux/arm64");  // normalised, as the cache key reads it
  EXPECT_THAT(images.resolved_platforms, ElementsAre("linux/arm64"));
  Options o;
  o.platform = "linux/arm/v7";
  FakeImages target;
  Lower("FROM busybox\n", target, o);
  EXPECT_THAT(target.resolved_platforms, ElementsAre("linux/arm/v7"));  // no --platform: the build's target
  plan::Plan q = Lower("FROM scratch\n", o);
  EXPECT_EQ(q.stages[0].base_config.architecture, "arm");
  EXPECT_EQ(q.stages[0].base_config.variant, "v7");
}

TEST(LowerPlatform, TargetAndBuildArgsComeFromTheirOwnPlatforms) {
  Options o;
  o.platform = "linux/arm/v7";
  o.build_platform = "linux/amd64";
  FakeImages images;
  plan::Plan p = Lower(
      "FROM --platform=$BUILDPLATFORM busybox AS build\nARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM "
      "BUILDARCH\nRUN echo $TARGETPLATFORM $TARGETOS $TARGETARCH $TARGETVARIANT $BUILDPLATFORM $BUILDARCH\n",
      images, o);
  EXPECT_EQ(p.stages[0].platform, "linux/amd64");
  EXPECT_THAT(images.resolved_platforms, ElementsAre("linux/amd64"));
  const auto& run = ActionOf<plan::RunAction>(LastStep(p));
  EXPECT_THAT(run.argv.back(), HasSubstr("echo $TARGETPLATFORM"));
  EXPECT_EQ(LastStep(p).args_in_scope.at("TARGETPLATFORM"), "linux/arm/v7");
  EXPECT_EQ(LastStep(p).args_in_scope.at("TARGETARCH"), "arm");
  EXPECT_EQ(LastStep(p).args_in_scope.at("TARGETVARIANT"), "v7");
  EXPECT_EQ(LastStep(p).args_in_scope.at("BUILDPLATFORM"), "linux/amd64");
  EXPECT_EQ(LastStep(p).args_in_scope.at("BUILDARCH"), "amd64");
}

TEST(LowerPlatform, UnknownOrMalformedPlatformIsALocatedError) {
  EXPECT_THAT(ErrorOf("FROM busybox\nFROM --platform=linux/mips busybox\n"),
              HasSubstr("Dockerfile:2:1: FROM --platform=linux/mips: platform \"linux/mips\" is unknown; cairn builds linux/amd64"));
  EXPECT_THAT(ErrorOf("ARG P=arm64\nFROM --platform=$P busybox\n"),
              HasSubstr("Dockerfile:2:1: FROM --platform=$P: platform \"arm64\": want OS/ARCH[/VARIANT]"));
}

TEST(LowerErrors, DidYouMeanForMountTypesKeysAndFlags) {
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --mount=type=cahce,target=/c true\n"),
              HasSubstr("unsupported mount type \"cahce\" (did you mean cache?)"));
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --mount=type=cache,tagret=/c true\n"),
              HasSubstr("unexpected key 'tagret' in 'tagret=/c' (did you mean target?)"));
  EXPECT_THAT(ErrorOf("FROM busybox\nRUN --mounts=type=cache,target=/c true\n"),
              HasSubstr("unknown flag: --mounts (did you mean --mount?)"));
}

TEST(LowerErrors, NoStagesIsBuildKitsMessage) {
  EXPECT_THAT(ErrorOf("ARG X=1\n"), HasSubstr("dockerfile contains no stages to build"));
}

TEST(LowerExpose, VariableWithSeveralPortsExposesEach) {
  plan::Plan p = Lower("FROM scratch\nENV PORTS=\"3000 4000/udp\"\nEXPOSE $PORTS\n");
  EXPECT_THAT(LastStep(p).config.exposed_ports, ElementsAre("3000/tcp", "4000/udp"));
}

TEST(LowerCmd, EmptyExecFormClearsCmd) {
  plan::Plan p = Lower("FROM busybox\nCMD []\n");
  EXPECT_FALSE(LastStep(p).config.cmd.has_value());
}

TEST(LowerFrom, ScratchWorkingDirIsRoot) {
  EXPECT_EQ(Lower("FROM scratch\n").stages[0].base_config.workdir, "/");
}

TEST(LowerArg, TargetStageNamesTheStageBeingBuilt) {
  const std::string df = "FROM busybox AS base\nARG TARGETSTAGE\nRUN x\nFROM base AS final\nARG TARGETSTAGE\nRUN y\n";
  EXPECT_THAT(ActionOf<plan::RunAction>(LastStep(Lower(df))).build_env, ::testing::Contains("TARGETSTAGE=final"));
  Options o;
  o.target = "BASE";
  EXPECT_THAT(ActionOf<plan::RunAction>(LastStep(Lower(df, o))).build_env, ::testing::Contains("TARGETSTAGE=base"));
  EXPECT_THAT(ActionOf<plan::RunAction>(LastStep(Lower("FROM busybox\nARG TARGETSTAGE\nRUN z\n"))).build_env,
              ::testing::Contains("TARGETSTAGE=default"));
}

TEST(LowerAdd, CopyRejectsAddOnlyFlags) {
  EXPECT_THAT(ErrorOf("FROM scratch\nCOPY --checksum=x a b\n"),
              HasSubstr("Dockerfile:2:1: unknown flag: --checksum"));
}

TEST(LowerEnv, BothFormsAndOneValuePerInstruction) {
  plan::Plan p = Lower("FROM scratch\nENV A=1\nENV A=2 B=$A\nENV C hello  world\n");
  const auto& steps = TargetSteps(p);
  EXPECT_EQ(steps[1].created_by, "ENV A=2 B=1");
  EXPECT_EQ(steps[2].created_by, "ENV C=hello  world");
  EXPECT_THAT(steps[2].config.env, ElementsAre(HasSubstr("PATH="), "A=2", "B=1", "C=hello  world"));
}

TEST(LowerEnv, QuotesAreRemovedByExpansion) {
  plan::Plan p = Lower("FROM scratch\nENV MSG=\"hello world\" X='$y'\n");
  EXPECT_THAT(LastStep(p).config.env, ::testing::IsSupersetOf({"MSG=hello world", "X=$y"}));
}

TEST(LowerEnv, EnvOverridesEarlierArg) {
  plan::Plan p = Lower("FROM scratch\nARG V=arg\nENV V=env\nWORKDIR /$V\n");
  EXPECT_EQ(LastStep(p).config.workdir, "/env");
}

TEST(LowerArg, StageArgTakesGlobalValueOnlyWhenRedeclared) {
  plan::Plan p = Lower("ARG V=1\nFROM scratch\nWORKDIR /a$V\nARG V\nWORKDIR /b$V\n");
  const auto& steps = TargetSteps(p);
  EXPECT_EQ(steps[0].config.workdir, "/a");
  EXPECT_EQ(steps[2].config.workdir, "/b1");
  EXPECT_EQ(steps[1].created_by, "ARG V=1");
}

TEST(LowerArg, BuildArgWinsOverDefault) {
  Options o;
  o.build_args["V"] = "cli";
  plan::Plan p = Lower("FROM scratch\nARG V=default\nLABEL v=$V\n", o);
  EXPECT_EQ(LastStep(p).config.labels.at("v"), "cli");
  EXPECT_EQ(TargetSteps(p)[0].created_by, "ARG V=cli");
}

TEST(LowerArg, StageSourceDateEpochIsTheBuildsEpochAndReachesRun) {
  Options o;
  o.source_date_epoch = "1700000000";
  plan::Plan p = Lower("FROM busybox\nARG SOURCE_DATE_EPOCH\nRUN make\n", o);
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(p)).build_env, Argv{"SOURCE_DATE_EPOCH=1700000000"});
  EXPECT_EQ(LastStep(p).created_by, "RUN |1 SOURCE_DATE_EPOCH=1700000000 /bin/sh -c make # buildkit");
  EXPECT_TRUE(p.source_date_epoch_default.empty());
}

TEST(LowerArg, GlobalSourceDateEpochDefaultIsReportedWithItsLine) {
  plan::Plan p = Lower("ARG SOURCE_DATE_EPOCH=1234\nFROM busybox\nARG SOURCE_DATE_EPOCH\nRUN make\n");
  EXPECT_EQ(p.source_date_epoch_default, "1234");
  EXPECT_EQ(p.source_date_epoch_at.line, 1);
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(p)).build_env, Argv{"SOURCE_DATE_EPOCH=1234"});
  Options o;  // a --build-arg wins: no default to report
  o.build_args["SOURCE_DATE_EPOCH"] = "5";
  plan::Plan q = Lower("ARG SOURCE_DATE_EPOCH=1234\nFROM busybox\nARG SOURCE_DATE_EPOCH\nRUN make\n", o);
  EXPECT_TRUE(q.source_date_epoch_default.empty());
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(q)).build_env, Argv{"SOURCE_DATE_EPOCH=5"});
  EXPECT_THAT(q.warnings, IsEmpty());
}

TEST(LowerArg, PlatformArgsNeedRedeclaration) {
  plan::Plan p = Lower("FROM scratch\nLABEL a=x$TARGETARCH\nARG TARGETARCH\nLABEL b=$TARGETARCH\n");
  EXPECT_EQ(LastStep(p).config.labels.at("a"), "x");
  EXPECT_EQ(LastStep(p).config.labels.at("b"), "amd64");
}

TEST(LowerArg, UnusedBuildArgWarning) {
  Options o;
  o.build_args["USED"] = "1";
  o.build_args["ZED"] = "1";
  o.build_args["ALPHA"] = "1";
  plan::Plan p = Lower("FROM scratch\nARG USED\n", o);
  EXPECT_THAT(p.warnings, ElementsAre("[Warning] One or more build-args [ALPHA ZED] were not consumed"));
}

TEST(LowerWorkdir, RelativeToPreviousAndCleaned) {
  plan::Plan p = Lower("FROM scratch\nWORKDIR /a\nWORKDIR b/../c\nWORKDIR /x/\n");
  const auto& steps = TargetSteps(p);
  EXPECT_EQ(ActionOf<plan::MkdirAction>(steps[1]).path, "/a/c");
  EXPECT_EQ(steps[1].created_by, "WORKDIR /a/c");
  EXPECT_EQ(steps[2].config.workdir, "/x");
}

TEST(LowerCmd, ShellAndExecForms) {
  plan::Plan p = Lower("FROM scratch\nCMD echo hi\nCMD [\"x\"]\n");
  EXPECT_EQ(TargetSteps(p)[0].config.cmd, (Argv{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(TargetSteps(p)[0].created_by, "CMD [\"/bin/sh\" \"-c\" \"echo hi\"]");
  EXPECT_EQ(TargetSteps(p)[1].created_by, "CMD [\"x\"]");
}

TEST(LowerEntrypoint, ResetsInheritedCmdButKeepsOwn) {
  plan::Plan p = Lower("FROM busybox\nENTRYPOINT [\"/init\"]\n");
  EXPECT_FALSE(LastStep(p).config.cmd.has_value());
  EXPECT_EQ(LastStep(p).config.entrypoint, Argv{"/init"});
  p = Lower("FROM busybox\nCMD [\"a\"]\nENTRYPOINT [\"/init\"]\n");
  EXPECT_EQ(LastStep(p).config.cmd, Argv{"a"});
}

TEST(LowerConfig, LabelExposeUserVolumeStopsignalMaintainer) {
  plan::Plan p = Lower(
      "FROM scratch\nARG P=8080\nLABEL \"a b\"=c d=$P\nEXPOSE 80 $P/UDP 9000-9001\nUSER app:app\n"
      "VOLUME /data [\"/x\"]\nVOLUME [\"/v1\", \"/v2\"]\nSTOPSIGNAL SIGKILL\nMAINTAINER Jo <j@x>\n");
  const auto& steps = TargetSteps(p);
  const plan::ImageConfig& c = steps.back().config;
  EXPECT_EQ(c.labels.at("a b"), "c");
  EXPECT_EQ(c.labels.at("d"), "8080");
  EXPECT_EQ(steps[1].created_by, "LABEL a b=c d=8080");
  EXPECT_EQ(steps[2].created_by, "EXPOSE map[80/tcp:{} 8080/udp:{} 9000/tcp:{} 9001/tcp:{}]");
  EXPECT_EQ(c.exposed_ports, (std::set<std::string>{"80/tcp", "8080/udp", "9000/tcp", "9001/tcp"}));
  EXPECT_EQ(c.user, "app:app");
  EXPECT_EQ(steps[3].created_by, "USER app:app");
  EXPECT_EQ(c.volumes, (std::set<std::string>{"/data", "[/x]", "/v1", "/v2"}));  // quotes removed
  EXPECT_EQ(steps[5].created_by, "VOLUME [/v1 /v2]");
  EXPECT_EQ(c.stop_signal, "SIGKILL");
  EXPECT_EQ(c.author, "Jo <j@x>");
  EXPECT_EQ(steps[7].created_by, "MAINTAINER Jo <j@x>");
}

TEST(LowerConfig, BadPortAndSignalAreLocated) {
  EXPECT_THAT(ErrorOf("FROM scratch\nEXPOSE 80/xyz\n"), HasSubstr("Dockerfile:2:1: invalid proto"));
  EXPECT_THAT(ErrorOf("FROM scratch\nSTOPSIGNAL SIGNOPE\n"), HasSubstr("invalid signal: SIGNOPE"));
}

TEST(LowerHealthcheck, OptionsAndForms) {
  plan::Plan p = Lower(
      "FROM scratch\nHEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://x/\n");
  const plan::Step& s = LastStep(p);
  ASSERT_TRUE(s.config.healthcheck.has_value());
  const plan::Healthcheck& h = *s.config.healthcheck;
  EXPECT_EQ(h.test, (Argv{"CMD-SHELL", "curl -f http://x/"}));
  EXPECT_EQ(h.interval_ns, 300000000000);
  EXPECT_EQ(h.timeout_ns, 3000000000);
  EXPECT_EQ(h.retries, 3);
  EXPECT_EQ(s.created_by,
            "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://x/\"] \"5m0s\" \"3s\" \"0s\" \"0s\" '\\x03'}");
  p = Lower("FROM scratch\nHEALTHCHECK NONE\n");
  EXPECT_EQ(LastStep(p).config.healthcheck->test, Argv{"NONE"});
  p = Lower("FROM scratch\nHEALTHCHECK CMD [\"/check\", \"-v\"]\n");
  EXPECT_EQ(LastStep(p).config.healthcheck->test, (Argv{"CMD", "/check", "-v"}));
}

TEST(LowerHealthcheck, Errors) {
  EXPECT_THAT(ErrorOf("FROM scratch\nHEALTHCHECK --interval=1us CMD x\n"), HasSubstr("less than 1ms"));
  EXPECT_THAT(ErrorOf("FROM scratch\nHEALTHCHECK CMD\n"), HasSubstr("Missing command after HEALTHCHECK CMD"));
  EXPECT_THAT(ErrorOf("FROM scratch\nHEALTHCHECK RUN x\n"), HasSubstr("Unknown type \"RUN\" in HEALTHCHECK"));
}

TEST(LowerOnbuild, StoredInConfig) {
  plan::Plan p = Lower("FROM scratch\nONBUILD RUN make\nONBUILD COPY . /src\n");
  EXPECT_EQ(LastStep(p).config.onbuild, (Argv{"RUN make", "COPY . /src"}));
  EXPECT_EQ(TargetSteps(p)[0].created_by, "ONBUILD RUN make");
}

TEST(LowerOnbuild, BaseTriggersRunAfterFromAndAreNotInherited) {
  FakeImages images;
  images["builder"].onbuild = {"ENV FROM_TRIGGER=1", "RUN make"};
  plan::Plan p = Lower("FROM builder\nRUN test\n", images);
  const auto& steps = TargetSteps(p);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].created_by, "ENV FROM_TRIGGER=1");
  EXPECT_EQ(steps[0].location.line, 1);
  EXPECT_EQ(ActionOf<plan::RunAction>(steps[1]).argv, (Argv{"/bin/sh", "-c", "make"}));
  EXPECT_TRUE(steps[2].config.onbuild.empty());
  EXPECT_EQ(p.stages[0].base_config.onbuild.size(), 2u);
}

TEST(LowerOnbuild, ForbiddenTriggers) {
  EXPECT_THAT(ErrorOf("FROM scratch\nONBUILD ONBUILD RUN x\n"), HasSubstr("isn't allowed"));
  EXPECT_THAT(ErrorOf("FROM scratch\nONBUILD FROM x\n"), HasSubstr("FROM isn't allowed as an ONBUILD trigger"));
}

TEST(LowerErrors, UnknownInstructionSuggestsAndShowsCaret) {
  std::string e = ErrorOf("FROM scratch\n  COPPY a b\n");
  EXPECT_EQ(e,
            "Dockerfile:2:3: unknown instruction \"COPPY\" (did you mean COPY?)\n"
            " 2 |   COPPY a b\n"
            "   |   ^");
}

TEST(LowerErrors, InstructionBeforeFrom) {
  EXPECT_THAT(ErrorOf("RUN x\nFROM scratch\n"), HasSubstr("Dockerfile:1:1: no build stage in current context"));
}

TEST(LowerErrors, UsesDockerfileName) {
  Options o;
  o.dockerfile_name = "docker/app.Dockerfile";
  EXPECT_THAT(ErrorOf("FROM scratch\nUSER\n", o), HasSubstr("docker/app.Dockerfile:2:1: USER requires exactly one argument"));
}

TEST(LowerErrors, BadExpansionIsLocated) {
  EXPECT_THAT(ErrorOf("FROM scratch\nENV A=${B\n"), HasSubstr("Dockerfile:2:1:"));
}

TEST(LowerErrors, FlagErrors) {
  EXPECT_THAT(ErrorOf("FROM scratch\nCOPY --link=maybe a b\n"), HasSubstr("expecting boolean value for flag link"));
  EXPECT_THAT(ErrorOf("FROM scratch\nCOPY --chown=a --chown=b a b\n"), HasSubstr("duplicate flag specified: --chown"));
  EXPECT_THAT(ErrorOf("FROM scratch\nENV --x=1 A=b\n"), HasSubstr("unknown flag: --x"));
  EXPECT_EQ(ErrorOf("FROM scratch\nARG --x=1 A=b\n"), "");
}

TEST(LowerErrors, CircularCopyFrom) {
  EXPECT_THAT(ErrorOf("FROM scratch AS a\nCOPY --from=b x y\nFROM scratch AS b\nCOPY --from=a x y\n"),
              HasSubstr("circular dependency"));
}

TEST(LowerErrors, DuplicateStageName) {
  EXPECT_THAT(ErrorOf("FROM scratch AS a\nFROM scratch AS A\n"), HasSubstr("Dockerfile:2:1: duplicate stage name \"a\""));
}

TEST(LowerErrors, BadStageName) {
  EXPECT_THAT(ErrorOf("FROM scratch AS 1x\n"), HasSubstr("invalid name for build stage"));
}

}  // namespace
}  // namespace cairn::frontend
