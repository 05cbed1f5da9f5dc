// The walking skeleton end to end, through the real binary: import a busybox base, build
// examples/hello, save it, read it back with skopeo, run it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

class BuildTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new TempDir();
    ImportBusybox(root());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static std::string root() { return store_->path() + "/store"; }
  static CommandResult Build(const std::string& context, std::vector<std::string> extra = {}) {
    // The hello context lives in cairn's own git repository: pin the epoch so that the image
    // does not change with every commit of cairn.
    std::vector<std::string> args = {"build", "--progress", "plain", "--source-date-epoch", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(context);
    return Cairn(root(), args);
  }
  static json Inspect(const std::string& name) {
    auto r = Cairn(root(), {"inspect", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)[0];
  }
  static TempDir* store_;
};
TempDir* BuildTest::store_ = nullptr;

const std::string kHello = std::string(CAIRN_SOURCE_DIR) + "/examples/hello";

TEST_F(BuildTest, HelloImageHasTheConfigTheDockerfileSays) {
  auto r = Build(kHello, {"-t", "hello:latest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json image = Inspect("hello:latest");
  json cfg = image["Config"]["config"];
  EXPECT_EQ(cfg["WorkingDir"], "/app");
  EXPECT_EQ(cfg["Cmd"][0], "sh");
  bool has_greeting = false;
  for (auto& e : cfg["Env"]) has_greeting |= e == "GREETING=Hello from cairn";
  EXPECT_TRUE(has_greeting) << cfg.dump();
  // One history entry per instruction (plus the base's), metadata-only ones marked empty.
  auto history = image["Config"]["history"];
  ASSERT_EQ(history.size(), 1u + 5u) << history.dump(2);
  EXPECT_EQ(history[1]["created_by"], "ENV GREETING=Hello from cairn");
  EXPECT_TRUE(history[1].value("empty_layer", false));
  EXPECT_FALSE(history[3].value("empty_layer", false));  // COPY
  EXPECT_EQ(image["Config"]["created"], "1970-01-01T00:00:00Z");
  // base layer + WORKDIR + COPY + RUN
  EXPECT_EQ(image["Manifest"]["layers"].size(), 4u);
  EXPECT_NE(r.err.find("#3 [3/6] WORKDIR /app"), std::string::npos) << r.err;
}

TEST_F(BuildTest, HelloImageRuns) {
  ASSERT_EQ(Build(kHello, {"-t", "hello:latest"}).exit_code, 0);
  auto r = Cairn(root(), {"run", "--rm", "hello:latest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello from cairn\nEvery build of this image gives the same bytes.\nbuilt on Linux by root\n");
}

TEST_F(BuildTest, RunExitCodeComesBack) {
  auto r = Cairn(root(), {"run", "--rm", "busybox", "sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
}

TEST_F(BuildTest, SavedArchiveIsReadBySkopeo) {
  ASSERT_EQ(Build(kHello, {"-t", "hello:latest"}).exit_code, 0);
  TempDir out;
  auto saved = Cairn(root(), {"save", "-o", out / "hello.tar", "hello:latest"});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  auto sk = RunCommand({"skopeo", "inspect", "docker-archive:" + (out / "hello.tar")});
  ASSERT_EQ(sk.exit_code, 0) << sk.err;
  json info = json::parse(sk.out);
  EXPECT_EQ(info["Layers"].size(), 4u);
  json image = Inspect("hello:latest");
  // skopeo names docker-archive layers by their uncompressed digests: the config's diff_ids.
  for (size_t i = 0; i < 4; i++) EXPECT_EQ(info["Layers"][i], image["Config"]["rootfs"]["diff_ids"][i]);
}

TEST_F(BuildTest, StoreIsAnOciLayoutSkopeoReads) {
  ASSERT_EQ(Build(kHello, {"-t", "hello:latest"}).exit_code, 0);
  auto sk = RunCommand({"skopeo", "inspect", "oci:" + root() + ":hello:latest"});
  ASSERT_EQ(sk.exit_code, 0) << sk.err;
  EXPECT_EQ(json::parse(sk.out)["Digest"], Inspect("hello:latest")["Descriptor"]["digest"]);
}

TEST_F(BuildTest, FileDeletedByRunBecomesWhiteout) {
  ASSERT_EQ(Build(kHello, {"-t", "hello:latest"}).exit_code, 0);
  json image = Inspect("hello:latest");
  std::string run_layer = image["Manifest"]["layers"][3]["digest"];
  std::string blob = root() + "/blobs/sha256/" + run_layer.substr(7);
  auto listing = RunCommand({"tar", "-tzvf", blob});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_NE(listing.out.find("bin/.wh.vi"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("app/build-info.txt"), std::string::npos) << listing.out;
  EXPECT_EQ(listing.out.find("etc/hosts"), std::string::npos) << listing.out;
}

// A RUN that opens /etc/group for writing and chmods /etc/passwd to the mode it has changes
// neither: overlay copies both up, and the layer leaves them out, so it holds what the step
// changed, the same with the copying snapshotter, which never sees such an open.
TEST_F(BuildTest, FilesARunOnlyOpenedForWritingAreNotInItsLayer) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile",
                "FROM busybox\nRUN : >> /etc/group && chmod \"$(stat -c %a /etc/passwd)\" /etc/passwd && echo x > /x\n");
  std::string layer;
  for (const char* snapshotter : {"overlay", "copy"}) {
    auto r = Cairn(root(), {"build", "--no-cache", "-t", "opened:latest", ctx.path()},
                   {"SOURCE_DATE_EPOCH=0", std::string("CAIRN_SNAPSHOTTER=") + snapshotter});
    ASSERT_EQ(r.exit_code, 0) << snapshotter << ": " << r.err;
    json image = Inspect("opened:latest");
    std::string digest = image["Manifest"]["layers"].back()["digest"];
    auto listing = RunCommand({"tar", "-tzf", root() + "/blobs/sha256/" + digest.substr(7)});
    EXPECT_EQ(listing.out, "x\n") << snapshotter;
    if (layer.empty()) layer = digest;
    EXPECT_EQ(digest, layer) << snapshotter;
  }
}

TEST_F(BuildTest, RebuildsGiveTheSameDigestCachedOrNot) {
  TempDir files;
  auto first = Build(kHello, {"-t", "hello:a", "--iidfile", files / "iid1", "--metadata-file", files / "meta1.json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto cached = Build(kHello, {"-t", "hello:b", "--iidfile", files / "iid2"});
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_NE(cached.err.find("CACHED"), std::string::npos) << cached.err;
  auto cold = Build(kHello, {"--no-cache", "--iidfile", files / "iid3"});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  std::string iid = ReadFile(files / "iid1");
  EXPECT_EQ(iid.rfind("sha256:", 0), 0u);
  EXPECT_EQ(ReadFile(files / "iid2"), iid);
  EXPECT_EQ(ReadFile(files / "iid3"), iid);
  json meta = json::parse(ReadFile(files / "meta1.json"));
  EXPECT_EQ(meta["containerimage.digest"], Inspect("hello:a")["Descriptor"]["digest"]);
  EXPECT_EQ(meta["containerimage.config.digest"], iid);
  // buildx's other keys: the manifest's descriptor and the names the image got.
  EXPECT_EQ(meta["containerimage.descriptor"]["digest"], meta["containerimage.digest"]);
  EXPECT_EQ(meta["containerimage.descriptor"]["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(meta["image.name"], "docker.io/library/hello:a");
}

TEST_F(BuildTest, MalformedDockerfileNamesTheLine) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nRUN true\nCOPPY a b\n");
  auto r = Build(ctx.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("COPPY"), std::string::npos) << r.err;
}

TEST_F(BuildTest, FailingRunNamesLineAndExitCode) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nRUN echo about to fail && exit 3\n");
  auto r = Build(ctx.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit code 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("about to fail"), std::string::npos) << r.err;
}

// A download that fails for want of a network says so, through the real container: with
// --network none it had none. No packet leaves the step: it has no route, so the name cannot
// even be looked up. A step that fails with the default (outbound) network gets no such line.
TEST_F(BuildTest, FailingRunWithoutNetworkSaysItHadNone) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nRUN --network=none wget -q -O /dev/null http://deb.debian.org/\n");
  auto none = Build(ctx.path());
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("Dockerfile:2"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("this step ran with --network none: it had no network"), std::string::npos) << none.err;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nRUN false\n");
  auto by_default = Build(ctx.path());
  EXPECT_NE(by_default.exit_code, 0);
  EXPECT_EQ(by_default.err.find("this step ran"), std::string::npos) << by_default.err;
}

TEST_F(BuildTest, ExecFormRunAndEnvReachTheContainer) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile",
                "FROM busybox\nENV WHO=world\nRUN [\"sh\", \"-c\", \"echo hello $WHO > /greeting\"]\n"
                "CMD [\"cat\", \"/greeting\"]\n");
  ASSERT_EQ(Build(ctx.path(), {"-t", "exec:1"}).exit_code, 0);
  auto r = Cairn(root(), {"run", "--rm", "exec:1"});
  EXPECT_EQ(r.out, "hello world\n") << r.err;
}

}  // namespace
}  // namespace cairn::testing

namespace cairn::testing {
namespace {

TEST_F(BuildTest, DiffOfAnImageWithItselfIsIdentical) {
  ASSERT_EQ(Build(kHello, {"-t", "hello:latest"}).exit_code, 0);
  auto r = Cairn(root(), {"diff", "hello:latest", "hello:latest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "identical\n");
}

TEST_F(BuildTest, DiffNamesTheFileAndTheStepThatMadeIt) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nARG V=1\nRUN echo $V > /v && chmod 600 /v\n");
  ASSERT_EQ(Build(ctx.path(), {"-t", "diff:1"}).exit_code, 0);
  ASSERT_EQ(Build(ctx.path(), {"-t", "diff:2", "--build-arg", "V=2"}).exit_code, 0);
  auto r = Cairn(root(), {"diff", "--json", "diff:1", "diff:2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json report = json::parse(r.out);
  EXPECT_FALSE(report["identical"]);
  bool named = false;
  for (auto& d : report["differences"])
    named |= d["where"].get<std::string>().find("(RUN ") != std::string::npos &&
             d["where"].get<std::string>().find(": v") != std::string::npos && d["what"] == "content";
  EXPECT_TRUE(named) << r.out;
}

TEST_F(BuildTest, DiffReadsSavedArchives) {
  ASSERT_EQ(Build(kHello, {"-t", "hello:latest"}).exit_code, 0);
  TempDir out;
  ASSERT_EQ(Cairn(root(), {"save", "-o", out / "a.tar", "hello:latest"}).exit_code, 0);
  auto r = Cairn(root(), {"diff", out / "a.tar", "hello:latest"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(BuildTest, VerifyBuildsTwiceAndPrintsTheDigest) {
  auto r = Cairn(root(), {"verify", kHello});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("verified: both builds gave sha256:"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.rfind("sha256:", 0), 0u);
}

}  // namespace
}  // namespace cairn::testing
