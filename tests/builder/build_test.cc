// The builder driven through real Plans, a real store and the fake runtime: no root, no
// container, milliseconds. What a user of `cairn build` would notice: which steps ran and which
// were cached, the image's history, stages in parallel, a failing stage stopping its siblings, and
// what a failed build leaves cached.
#include "builder/builder.h"
#include "builder/multi_platform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fs.h"
#include "store/image.h"
#include "tests/support/fake_runtime.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::FakeRuntime;

// Records what the build reported.
class RecordingProgress : public Progress {
 public:
  void Started(int id, std::string_view name) override { Add(id, "started " + std::string(name)); }
  void Output(int, std::string_view) override {}
  void Cached(int id) override { Add(id, "cached"); }
  void Done(int id, double) override { Add(id, "done"); }
  void Failed(int id, std::string_view) override { Add(id, "failed"); }
  void Note(std::string_view) override {}

  // The steps (by label) reported CACHED.
  std::vector<std::string> CachedSteps() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& [id, events] : events_)
      for (auto& e : events)
        if (e == "cached") out.push_back(events.front().substr(8));
    return out;
  }

 private:
  void Add(int id, const std::string& e) {
    std::lock_guard lock(mu_);
    events_[id].push_back(e);
  }
  std::mutex mu_;
  std::map<int, std::vector<std::string>> events_;
};

class BuildTest : public ::testing::Test {
 protected:
  BuildTest() : store_(tmp_ / "store") {}

  BuildResult Build(const std::string& dockerfile, int jobs = 1) {
    cairn::testing::WriteTextFile(tmp_ / "context/Dockerfile", dockerfile);
    BuildOptions o;
    o.context_dir = tmp_ / "context";
    o.tags = {"app:latest"};
    o.jobs = jobs;
    o.allow = allow_;
    o.source_date_epoch = SourceDateEpoch{1700000000, "--source-date-epoch"};
    progress_ = std::make_unique<RecordingProgress>();
    return builder::Build(store_, *progress_, o, rt_);
  }

  // The error of a build that must fail ("" and a test failure when it succeeds).
  std::string ErrorOf(const std::string& dockerfile) {
    try {
      Build(dockerfile);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "the build succeeded";
    return "";
  }

  nlohmann::json History(const BuildResult& r) { return store::LoadImage(store_, r.manifest.digest).config["history"]; }

  cairn::testing::TempDir tmp_;
  store::Store store_;
  FakeRuntime rt_;
  std::set<std::string> allow_;  // BuildOptions::allow of the next Build
  std::unique_ptr<RecordingProgress> progress_;
};

// COPY gives files to 0:0 as docker does; without root that needs the user namespace the CLI's
// rootless mode makes, so these tests need root.
#define SKIP_UNLESS_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "COPY chowns to 0:0, which needs root"

TEST_F(BuildTest, SecondBuildHitsEveryStepAndGivesTheSameImage) {
  SKIP_UNLESS_ROOT();
  rt_.On("make", FakeRuntime::Writes("/out/app", "binary"));
  cairn::testing::WriteTextFile(tmp_ / "context/hello.txt", "hello\n");
  const std::string df = "FROM scratch\nCOPY hello.txt /app/\nRUN make\nCMD [\"/out/app\"]\n";
  BuildResult first = Build(df);
  EXPECT_EQ(rt_.Runs("make"), 1);
  EXPECT_THAT(progress_->CachedSteps(), ElementsAre());

  BuildResult second = Build(df);
  EXPECT_EQ(rt_.Runs("make"), 1);  // not run again
  EXPECT_THAT(progress_->CachedSteps(), ElementsAre("[1/3] COPY hello.txt /app/", "[2/3] RUN make"));
  EXPECT_EQ(second.manifest.digest, first.manifest.digest);
  EXPECT_EQ(second.config_digest, first.config_digest);
}

TEST_F(BuildTest, ChangingACommandRunsItAndEveryStepAfterIt) {
  Build("FROM scratch\nRUN one\nRUN two\nRUN three\n");
  Build("FROM scratch\nRUN one\nRUN TWO\nRUN three\n");
  EXPECT_EQ(rt_.Runs("one"), 1);
  EXPECT_EQ(rt_.Runs("TWO"), 1);
  EXPECT_EQ(rt_.Runs("three"), 2);  // its parent changed
  EXPECT_THAT(progress_->CachedSteps(), ElementsAre("[1/3] RUN one"));
}

TEST_F(BuildTest, HistoryHasOneEntryPerInstructionAndLayersOnlyForChanges) {
  rt_.On("make", FakeRuntime::Writes("/app", "x"));
  BuildResult r = Build("FROM scratch\nENV A=1\nRUN make\nRUN true\nCMD [\"/app\"]\n");
  nlohmann::json h = History(r);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0]["created_by"], "ENV A=1");
  EXPECT_EQ(h[0]["empty_layer"], true);
  EXPECT_EQ(h[1]["created_by"], "RUN /bin/sh -c make # buildkit");
  EXPECT_FALSE(h[1].contains("empty_layer"));
  EXPECT_EQ(h[2]["empty_layer"], true);  // RUN true changed nothing: no layer
  EXPECT_EQ(h[3]["empty_layer"], true);
  EXPECT_EQ(h[1]["created"], "2023-11-14T22:13:20Z");  // the epoch, not the clock
  EXPECT_EQ(store::LoadImage(store_, r.manifest.digest).layers.size(), 1u);
}

TEST_F(BuildTest, CopyWritesTheContextFileWithItsModeAndTheEpochAsMtime) {
  SKIP_UNLESS_ROOT();
  cairn::testing::WriteTextFile(tmp_ / "context/hello.txt", "hello\n");
  ::chmod((tmp_ / "context/hello.txt").c_str(), 0640);
  BuildResult r = Build("FROM scratch\nCOPY hello.txt /app/\n");
  store::Image image = store::LoadImage(store_, r.manifest.digest);
  ASSERT_EQ(image.layers.size(), 1u);
  std::string tree = store_.UnpackedLayer(image.layers[0], image.diff_ids[0]);
  struct stat st;
  ASSERT_EQ(::lstat(JoinPath(tree, "app/hello.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_EQ(ReadFile(JoinPath(tree, "app/hello.txt")), "hello\n");
}

// Each of a and b can only finish when both run at once.
TEST_F(BuildTest, IndependentStagesRunAtTheSameTimeAndTheFinalStageAfterBoth) {
  for (const char* cmd : {"build-a", "build-b"}) {
    std::string out = std::string("/") + cmd;
    rt_.On(cmd, [this, out](const runtime::ContainerSpec& spec) {
      if (!rt_.WaitForRunning(2)) return runtime::ExitStatus{1, 0};
      return FakeRuntime::Writes(out, "x")(spec);
    });
  }
  Build("FROM scratch AS a\nRUN build-a\nFROM scratch AS b\nRUN build-b\n"
        "FROM scratch\nCOPY --from=a /build-a /\nCOPY --from=b /build-b /\nRUN final\n",
        /*jobs=*/2);
  std::vector<std::string> order = rt_.Commands();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.back(), "final");
}

TEST_F(BuildTest, AFailingStageKillsItsSiblingAndItsErrorIsTheOneReported) {
  rt_.On("slow", [this](const runtime::ContainerSpec&) { return rt_.WaitUntilKilled(); });
  rt_.On("broken", [this](const runtime::ContainerSpec&) {
    rt_.WaitForRunning(2);
    return runtime::ExitStatus{3, 0};
  });
  try {
    Build("FROM scratch AS a\nRUN slow\nFROM scratch AS b\nRUN broken\nFROM scratch\nCOPY --from=a / /\nCOPY --from=b / /\n",
          /*jobs=*/2);
    FAIL() << "the build succeeded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Dockerfile:4"));
    EXPECT_THAT(e.what(), HasSubstr("exit code 3"));
  }
  EXPECT_GE(rt_.kills(), 1);
}

TEST_F(BuildTest, AFailedBuildKeepsTheStepsBeforeTheFailureCached) {
  rt_.On("prepare", FakeRuntime::Writes("/prepared", "x"));
  rt_.On("test", FakeRuntime::Exits(1));
  EXPECT_THROW(Build("FROM scratch\nRUN prepare\nRUN test\n"), Error);
  rt_.On("test", FakeRuntime::Exits(0));
  Build("FROM scratch\nRUN prepare\nRUN test\n");
  EXPECT_EQ(rt_.Runs("prepare"), 1);  // cached by the failed build
  EXPECT_EQ(rt_.Runs("test"), 2);     // a failure is never cached
  EXPECT_THAT(progress_->CachedSteps(), ElementsAre("[1/2] RUN prepare"));
}

TEST_F(BuildTest, CancelledBuildStartsNoStep) {
  rt_.Cancel();
  EXPECT_THROW(Build("FROM scratch\nRUN make\n"), Error);
  EXPECT_EQ(rt_.Runs("make"), 0);
}

// A failing RUN says in one line when it had no network: the usual cause of "Temporary failure
// resolving ..." is not the command but the missing network.
TEST_F(BuildTest, AFailedRunWithNetworkNoneSaysSoAndOthersDoNot) {
  rt_.On("apt-get", FakeRuntime::Exits(100));
  std::string none = ErrorOf("FROM scratch\nRUN --network=none apt-get\n");
  EXPECT_THAT(none, HasSubstr("exit code 100"));
  EXPECT_THAT(none, HasSubstr("this step ran with --network none: it had no network"));
  EXPECT_THAT(ErrorOf("FROM scratch\nRUN apt-get\n"), Not(HasSubstr("this step ran")));  // the default is outbound
  allow_ = {"network.host"};
  std::string host = ErrorOf("FROM scratch\nRUN --network=host apt-get\n");
  EXPECT_THAT(host, HasSubstr("exit code 100"));
  EXPECT_THAT(host, Not(HasSubstr("this step ran")));
}

// The outbound network starts while the build reads its bases, only when a RUN will use it.
TEST_F(BuildTest, TheOutboundNetworkIsPreparedOnlyForARunThatUsesIt) {
  allow_ = {"network.host"};
  Build("FROM scratch\nRUN --network=none true\nRUN --network=host true\n");
  EXPECT_EQ(rt_.network_preparations(), 0);
  Build("FROM scratch\nRUN --network=none true\nRUN true\n");
  EXPECT_EQ(rt_.network_preparations(), 1);
}

// --platform A,B: one image per platform in an index; a stage on $BUILDPLATFORM is built once
// (the second platform's build finds its steps cached), the target-platform stage once each.
TEST_F(BuildTest, EveryPlatformGetsAnImageAndBuildPlatformStagesAreShared) {
  cairn::testing::WriteTextFile(tmp_ / "context/a.txt", "a");
  cairn::testing::WriteTextFile(tmp_ / "context/Dockerfile",
                                "FROM --platform=$BUILDPLATFORM scratch AS tools\nCOPY a.txt /a\n"
                                "FROM scratch\nCOPY --from=tools /a /a\n");
  BuildOptions o;
  o.context_dir = tmp_ / "context";
  o.tags = {"multi:1"};
  o.build_platform = ParsePlatform("linux/amd64");
  progress_ = std::make_unique<RecordingProgress>();
  BuildResult r = BuildPlatforms(store_, *progress_, o, rt_, ParsePlatformList("linux/arm64,linux/amd64"));
  EXPECT_THAT(progress_->CachedSteps(), ElementsAre("[tools 1/1] COPY a.txt /a"));
  nlohmann::json index = nlohmann::json::parse(store_.ReadBlob(r.manifest.digest));
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_EQ(store_.ResolveTag("multi:1")->digest, r.manifest.digest);
  for (const char* platform : {"linux/amd64", "linux/arm64"}) {
    store::Image image = store::LoadImage(store_, "multi:1", ParsePlatform(platform));
    EXPECT_EQ("linux/" + image.config.value("architecture", ""), platform);
  }
}

}  // namespace
}  // namespace cairn::builder
