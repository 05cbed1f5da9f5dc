// The store verbs through the real binary: rmi, load, import -c / stdin, prune, check; and the
// store staying sound under kill -9 and under concurrent builds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

class StoreVerbsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new TempDir();
    ImportBusybox(base_->path() + "/store");
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }
  // Each test gets its own copy of the busybox store, so tests that break or prune it do not
  // disturb the others.
  void SetUp() override {
    auto r = RunCommand({"cp", "-a", base_->path() + "/store", root()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string root() const { return dir_ / "store"; }
  CommandResult C(const std::vector<std::string>& args) { return Cairn(root(), args); }
  std::string ManifestDigest(const std::string& store, const std::string& name) {
    auto r = Cairn(store, {"inspect", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out)[0]["Descriptor"]["digest"].get<std::string>() : "";
  }
  size_t BlobCount() { return ListDir(root() + "/blobs/sha256").size(); }
  CommandResult Sh(const std::string& script) { return RunCommand({"sh", "-c", script}); }
  std::string Bin() const { return CAIRN_BINARY; }
  CommandResult Build(const std::string& name, const std::string& dockerfile, const std::string& store = "") {
    std::string ctx = dir_ / ("ctx-" + name);
    WriteTextFile(ctx + "/Dockerfile", dockerfile);
    return Cairn(store.empty() ? root() : store, {"build", "--progress", "plain", "-t", name, ctx});
  }

  static TempDir* base_;
  TempDir dir_;
};
TempDir* StoreVerbsTest::base_ = nullptr;

TEST_F(StoreVerbsTest, RmiRefusesWhileAnotherTagNamesTheImageUnlessForced) {
  ASSERT_EQ(C({"tag", "busybox", "mine:1"}).exit_code, 0);
  auto r = C({"rmi", "busybox"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("mine:1"), std::string::npos) << r.err;  // names who needs it
  r = C({"rmi", "-f", "busybox"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Untagged: busybox:latest"), std::string::npos);
  EXPECT_EQ(r.out.find("Deleted:"), std::string::npos) << "mine:1 still uses the data";
  EXPECT_EQ(C({"run", "--rm", "mine:1", "true"}).exit_code, 0);
}

TEST_F(StoreVerbsTest, RmiOfTheLastTagDeletesTheImagesData) {
  ASSERT_EQ(C({"run", "--rm", "busybox", "true"}).exit_code, 0);  // unpacks the layer
  auto r = C({"rmi", "busybox"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Deleted: sha256:"), std::string::npos) << r.out;
  EXPECT_EQ(BlobCount(), 0u);
  EXPECT_TRUE(ListDir(root() + "/layers").empty());
  EXPECT_TRUE(ListDir(root() + "/l").empty());
  EXPECT_NE(C({"rmi", "busybox"}).exit_code, 0);
  EXPECT_EQ(C({"check"}).exit_code, 0);
}

TEST_F(StoreVerbsTest, SaveThenLoadIntoAFreshStoreKeepsTheManifestDigest) {
  auto saved = C({"save", "-o", dir_ / "bb.tar", "busybox"});
  ASSERT_EQ(saved.exit_code, 0);
  // Transfer progress on stderr, as for pull and push: not a terminal here, so one closing line.
  EXPECT_THAT(saved.err, ::testing::MatchesRegex("save: [0-9.]+[kMG]?B in [0-9.]+s \\([0-9.]+[kMG]?B/s\\)\n"));
  std::string fresh = dir_ / "fresh";
  auto r = Cairn(fresh, {"load", "-i", dir_ / "bb.tar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  EXPECT_THAT(r.err, ::testing::MatchesRegex("load: [0-9.]+[kMG]?B in [0-9.]+s \\([0-9.]+[kMG]?B/s\\)\n"));
  EXPECT_EQ(ManifestDigest(fresh, "busybox"), ManifestDigest(root(), "busybox"));
  EXPECT_EQ(Cairn(fresh, {"check"}).exit_code, 0);
  // Compressed archives and stdin load too.
  ASSERT_EQ(Sh("gzip -c " + dir_ / "bb.tar" + " > " + dir_ / "bb.tar.gz").exit_code, 0);
  r = Sh(Bin() + " --root " + dir_ / "fresh2" + " load < " + dir_ / "bb.tar.gz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ManifestDigest(dir_ / "fresh2", "busybox"), ManifestDigest(root(), "busybox"));
}

TEST_F(StoreVerbsTest, SkopeoDockerArchiveAndOciArchiveLoad) {
  if (RunCommand({"sh", "-c", "command -v skopeo"}).exit_code != 0) GTEST_SKIP() << "skopeo not installed";
  ASSERT_EQ(RunCommand({"skopeo", "copy", "oci:" + root() + ":busybox:latest",
                        "docker-archive:" + dir_ / "d.tar" + ":busybox:latest"}).exit_code, 0);
  ASSERT_EQ(RunCommand({"skopeo", "copy", "oci:" + root() + ":busybox:latest",
                        "oci-archive:" + dir_ / "o.tar" + ":other:2"}).exit_code, 0);
  std::string fresh = dir_ / "fresh";
  auto r = Cairn(fresh, {"load", "-i", dir_ / "d.tar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  r = Cairn(fresh, {"load", "-i", dir_ / "o.tar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Loaded image: other:2\n");
  EXPECT_EQ(Cairn(fresh, {"check"}).exit_code, 0);
  EXPECT_EQ(Cairn(fresh, {"run", "--rm", "busybox", "true"}).exit_code, 0);
}

TEST_F(StoreVerbsTest, PreDockerOneTenSaveFormatLoadsWithComputedDiffIds) {
  if (RunCommand({"sh", "-c", "command -v skopeo"}).exit_code != 0) GTEST_SKIP() << "skopeo not installed";
  ASSERT_EQ(RunCommand({"skopeo", "copy", "oci:" + root() + ":busybox:latest",
                        "docker-archive:" + dir_ / "d.tar" + ":busybox:latest"}).exit_code, 0);
  // skopeo's archive carries the old layout too (repositories, <id>/json, <id>/layer.tar):
  // keep only that, with real layer files, and no manifest.json or config.
  std::string leg = dir_ / "leg";
  auto r = Sh("set -e; mkdir " + leg + "; cd " + leg + "; tar xf " + dir_ / "d.tar" +
              "; for d in */; do cp --remove-destination \"$(readlink -f $d/layer.tar)\" $d/layer.tar; done;"
              " rm -f manifest.json *.json *.tar; tar cf ../legacy.tar .");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string fresh = dir_ / "fresh";
  r = Cairn(fresh, {"load", "-i", dir_ / "legacy.tar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  auto a = json::parse(Cairn(fresh, {"inspect", "busybox"}).out)[0]["Config"]["rootfs"];
  auto b = json::parse(C({"inspect", "busybox"}).out)[0]["Config"]["rootfs"];
  EXPECT_EQ(a, b);  // the computed diffIDs equal the original ones
  EXPECT_EQ(Cairn(fresh, {"run", "--rm", "busybox", "true"}).exit_code, 0);
}

TEST_F(StoreVerbsTest, ImportReadsStdinAndAppliesChanges) {
  ASSERT_EQ(C({"save", "-o", dir_ / "bb.tar", "busybox"}).exit_code, 0);
  ASSERT_EQ(Sh("mkdir " + dir_ / "rootfs" + " && echo hi > " + dir_ / "rootfs/greeting && tar cf " + dir_ / "r.tar" +
               " -C " + dir_ / "rootfs" + " .").exit_code, 0);
  auto r = Sh(Bin() + " --root " + root() + " import -c 'CMD [\"cat\", \"/greeting\"]' -c 'ENV A=b' -c 'WORKDIR /w'" +
              " -c 'USER 1:1' -c 'EXPOSE 80' -c 'LABEL k=v' -c 'ENTRYPOINT [\"/e\"]' - img < " + dir_ / "r.tar");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cfg = json::parse(C({"inspect", "img"}).out)[0]["Config"]["config"];
  EXPECT_EQ(cfg["Entrypoint"], json::array({"/e"}));
  EXPECT_FALSE(cfg.contains("Cmd"));  // ENTRYPOINT after CMD resets it, as in a Dockerfile
  EXPECT_EQ(cfg["Env"].back(), "A=b");
  EXPECT_EQ(cfg["WorkingDir"], "/w");
  EXPECT_EQ(cfg["User"], "1:1");
  EXPECT_TRUE(cfg["ExposedPorts"].contains("80/tcp"));
  EXPECT_EQ(cfg["Labels"]["k"], "v");
  r = C({"import", "-c", "FROM x", dir_ / "r.tar", "bad"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("FROM"), std::string::npos) << r.err;
}

TEST_F(StoreVerbsTest, PruneDeletesWhatNothingUsesAndKeepsImagesAndCache) {
  ASSERT_EQ(Build("t1", "FROM busybox\nRUN echo 1 > /one\n").exit_code, 0);
  ASSERT_EQ(Build("t2", "FROM busybox\nRUN echo 2 > /two\n").exit_code, 0);
  ASSERT_EQ(C({"rmi", "t2"}).exit_code, 0);
  WriteTextFile(root() + "/blobs/sha256/" + std::string(64, 'a'), "junk");  // dangling (and corrupt)
  auto r = C({"prune"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Total reclaimed space"), std::string::npos);
  EXPECT_FALSE(PathExists(root() + "/blobs/sha256/" + std::string(64, 'a')));
  EXPECT_EQ(C({"check"}).exit_code, 0);
  // The step cache survived: rebuilding t1 reuses its layer.
  r = Build("t1", "FROM busybox\nRUN echo 1 > /one\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("CACHED"), std::string::npos) << r.err;
  // A zero budget drops every cache record; the images still run.
  r = C({"prune", "--keep-storage", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ListDir(root() + "/cache").empty());
  EXPECT_FALSE(PathExists(root() + "/cache-hints")) << "miss explanations and the context index go too";
  EXPECT_EQ(C({"run", "--rm", "t1", "cat", "/one"}).out, "1\n");
  EXPECT_EQ(C({"check"}).exit_code, 0);
}

TEST_F(StoreVerbsTest, CheckNamesCorruptBlobsAndLayersAndRepairDropsThem) {
  ASSERT_EQ(C({"run", "--rm", "busybox", "true"}).exit_code, 0);
  ASSERT_EQ(C({"check"}).exit_code, 0);
  auto layers = ListDir(root() + "/layers");
  ASSERT_FALSE(layers.empty());
  std::string tree = root() + "/layers/" + layers[0];
  WriteTextFile(tree + "/planted", "x");
  std::string link = root() + "/l/zzzzzzzzzzzzzzzzzzzzzzzzzz";
  ASSERT_EQ(Sh("ln -s ../layers/nothing " + link).exit_code, 0);
  auto r = C({"check"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find(tree), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(link), std::string::npos) << r.out;
  r = C({"check", "--repair"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(C({"check"}).exit_code, 0);
  EXPECT_EQ(C({"run", "--rm", "busybox", "true"}).exit_code, 0);  // unpacked again

  // A corrupt layer blob breaks the image: check names it; repair drops blob and tag.
  json m = json::parse(C({"inspect", "busybox"}).out)[0]["Manifest"];
  std::string blob = root() + "/blobs/sha256/" + m["layers"][0]["digest"].get<std::string>().substr(7);
  ASSERT_EQ(Sh("chmod u+w " + blob + " && printf x >> " + blob).exit_code, 0);
  r = C({"check"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find(blob), std::string::npos) << r.out;
  r = C({"check", "--repair"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(C({"inspect", "busybox"}).exit_code, 0);
  EXPECT_EQ(C({"check"}).exit_code, 0);
}

TEST_F(StoreVerbsTest, FourBuildsAtOnceInOneStoreAllSucceed) {
  std::string script;
  for (int i = 0; i < 4; i++) {
    std::string ctx = dir_ / ("c" + std::to_string(i));
    WriteTextFile(ctx + "/Dockerfile", "FROM busybox\nRUN echo " + std::to_string(i) + " > /n\nCOPY . /ctx\n");
    script += Bin() + " --root " + root() + " build --progress plain -t b" + std::to_string(i) + " " + ctx +
              " > " + ctx + ".log 2>&1 & pids=\"$pids $!\"; ";
  }
  // Each pid waited for by name: `wait -n` can miss a job that ended before it was called (127).
  script += "fail=0; for p in $pids; do wait $p || { echo \"a build exited $?\" >&2; fail=1; }; done; exit $fail";
  auto r = RunCommand({"bash", "-c", script});
  std::string logs;
  for (int i = 0; i < 4; i++) logs += ReadFile(dir_ / ("c" + std::to_string(i) + ".log"));
  ASSERT_EQ(r.exit_code, 0) << r.err << logs;
  for (int i = 0; i < 4; i++)
    EXPECT_EQ(C({"run", "--rm", "b" + std::to_string(i), "cat", "/n"}).out, std::to_string(i) + "\n");
  auto c = C({"check"});
  EXPECT_EQ(c.exit_code, 0) << c.out;
}

TEST_F(StoreVerbsTest, KillNineAtRandomMomentsLeavesASoundStore) {
  ASSERT_EQ(C({"save", "-o", dir_ / "bb.tar", "busybox"}).exit_code, 0);
  std::string script = "set +e; ";
  for (int i = 0; i < 20; i++) {
    std::string ctx = dir_ / ("k" + std::to_string(i));
    WriteTextFile(ctx + "/Dockerfile", "FROM busybox\nRUN echo " + std::to_string(i) + " > /n\nCOPY . /ctx\n");
    // Every other run is an import or a load; each is killed after 0-0.6 s.
    std::string cmd = i % 4 == 1 ? "load -i " + dir_ / "bb.tar"
                      : i % 4 == 3 ? "import " + dir_ / "bb.tar" + " imp" + std::to_string(i)
                                   : "build --progress plain -t k" + std::to_string(i) + " " + ctx;
    script += "timeout -s KILL 0." + std::to_string((i * 37) % 7) + "s " + Bin() + " --root " + root() + " " + cmd +
              " >/dev/null 2>&1; ";
  }
  ASSERT_EQ(RunCommand({"bash", "-c", script}).exit_code, 0);
  auto c = C({"check"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  auto r = Build("after", "FROM busybox\nRUN echo 5 > /n\nCOPY . /ctx\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(C({"run", "--rm", "after", "cat", "/n"}).out, "5\n");
  EXPECT_EQ(C({"check"}).exit_code, 0);
}

// A RUN's or COPY's tree becomes its layer's unpacked tree (issue 25: no extraction of a blob
// just written). check compares a tree without its .sum against a fresh extraction of its blob,
// so dropping the sums makes it prove every adopted tree is what unpacking gives: whiteouts,
// opaque dirs, copy-ups that changed nothing, links, fifos, clamped times, mount-point stubs.
TEST_F(StoreVerbsTest, EveryTreeAStepLeftIsWhatItsLayerUnpacksTo) {
  WriteTextFile(dir_ / "ctx-adopt/a.txt", "copied\n");
  auto r = Build("adopt",
                 "FROM busybox\n"
                 "RUN rm /bin/vi && mkdir -p /opq/old && touch /bin/sh\n"
                 "RUN rm -rf /opq && mkdir -p /opq/new && echo x > /opq/new/f\n"
                 "RUN --mount=type=cache,target=/var/cache/c mkdir -p /data/sub && echo 1 > /data/sub/one && "
                 "ln /data/sub/one /data/hard && ln -s sub/one /data/soft && mkfifo /data/pipe && "
                 "touch -d '2030-01-01 00:00:00' /data/future && chmod 4755 /data/sub/one\n"
                 "COPY a.txt /data/\n"
                 "WORKDIR /work/dir\n"
                 "RUN cat /data/hard /data/soft /opq/new/f > /work/dir/all && rm /data/pipe\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Sh("rm -f " + root() + "/layers/*.sum").exit_code, 0);
  auto check = C({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // And what later steps saw was the layers' own files.
  auto run = C({"run", "--rm", "adopt", "sh", "-c", "cat /work/dir/all; ls /opq; test -e /bin/vi || echo no-vi"});
  EXPECT_EQ(run.out, "1\n1\nx\nnew\nno-vi\n") << run.err;
}

}  // namespace
}  // namespace cairn::testing
