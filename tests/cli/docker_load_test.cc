// `cairn build --load` (and `-o type=docker` without dest), as buildx: the image goes into a
// docker daemon through its API socket. The test starts Debian's dockerd of its own (no bridge,
// no iptables, its own data and exec roots) and reads the image back with Debian's docker
// client; it skips when dockerd is not installed. Through the real binary.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/fs.h"
#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

constexpr const char* kDockerd = "/usr/sbin/dockerd";
constexpr const char* kDocker = "/usr/bin/docker";

class DockerLoad : public BusyboxStore<DockerLoad> {
 protected:
  static void SetUpTestSuite() {
    BusyboxStore<DockerLoad>::SetUpTestSuite();
    if (::access(kDockerd, X_OK) != 0) return;
    daemon_dir_ = new TempDir();
    std::string d = daemon_dir_->path();
    daemon_ = fork();
    if (daemon_ == 0) {
      setpgid(0, 0);  // dockerd starts containerd: the group is stopped as one
      freopen((d + "/log").c_str(), "w", stdout);
      dup2(1, 2);
      // The hard open-files limit here is below docker's default for containers.
      execl(kDockerd, kDockerd, "--bridge=none", "--iptables=false", ("--data-root=" + d + "/data").c_str(),
            ("--exec-root=" + d + "/exec").c_str(), ("--host=unix://" + d + "/docker.sock").c_str(),
            ("--pidfile=" + d + "/pid").c_str(), "--default-ulimit", "nofile=1024:2048", nullptr);
      _exit(127);
    }
    setpgid(daemon_, daemon_);
    for (int i = 0; i < 300; ++i) {  // dockerd takes a few seconds to answer
      if (RunCommand({kDocker, "-H", "unix://" + Socket(), "version"}).exit_code == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  static void TearDownTestSuite() {
    if (daemon_ > 0) {
      ::kill(-daemon_, SIGTERM);
      ::waitpid(daemon_, nullptr, 0);
    }
    delete daemon_dir_;
    daemon_dir_ = nullptr;
    BusyboxStore<DockerLoad>::TearDownTestSuite();
  }
  void SetUp() override {
    if (!daemon_dir_) GTEST_SKIP() << kDockerd << " is not installed (Debian's docker.io; scripts/bootstrap)";
    ASSERT_EQ(RunCommand({kDocker, "-H", "unix://" + Socket(), "version"}).exit_code, 0)
        << "dockerd did not start: " << RunCommand({"cat", daemon_dir_->path() + "/log"}).out;
  }
  static std::string Socket() { return daemon_dir_->path() + "/docker.sock"; }
  static std::vector<std::string> Env() { return {"DOCKER_HOST=unix://" + Socket()}; }
  CommandResult Build(const std::vector<std::string>& flags, const std::vector<std::string>& env = Env()) {
    WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nRUN echo loaded > /hi\n");
    std::vector<std::string> args = {"build", "--progress", "plain"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "ctx");
    return Cairn(Root(), args, env);
  }
  static std::string DockerInspect(const std::string& image, const std::string& format) {
    auto r = RunCommand({kDocker, "-H", "unix://" + Socket(), "image", "inspect", "--format", format, image});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  inline static TempDir* daemon_dir_ = nullptr;
  inline static pid_t daemon_ = -1;
  TempDir tmp_;
};

TEST_F(DockerLoad, LoadPutsTheImageIntoDockerUnderItsIdAndName) {
  auto r = Build({"--load", "-t", "cairn-loaded:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(r.err.find("Loaded image: cairn-loaded:1"), std::string::npos) << r.err;
  EXPECT_EQ(DockerInspect("cairn-loaded:1", "{{.Id}}"), id + "\n");
  // The daemon's view of the layers: docker computed the same diff IDs from the bytes it got.
  auto layers = Cairn(Root(), {"inspect", "cairn-loaded:1"});
  std::string docker_layers = DockerInspect("cairn-loaded:1", "{{json .RootFS.Layers}}");
  EXPECT_NE(layers.out.find(docker_layers.substr(2, 71)), std::string::npos) << docker_layers;

  // -o type=docker without dest is the same, as buildx.
  auto out = Build({"-o", "type=docker", "-t", "cairn-loaded:2"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(DockerInspect("cairn-loaded:2", "{{.Id}}"), id + "\n");
}

// The pipeline: the archive alone on stdout, straight into Debian's docker.
TEST_F(DockerLoad, DockerArchiveOnStdoutPipesIntoDockerLoad) {
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nRUN echo piped > /hi\n");
  std::string cmd = std::string(CAIRN_BINARY) + " --root " + Root() + " build -q -t cairn-piped:1 --iidfile " +
                    (tmp_ / "iid") + " -o type=docker,dest=- " + (tmp_ / "ctx") + " | " + kDocker + " -H unix://" +
                    Socket() + " load";
  auto r = RunCommand({"bash", "-c", "set -o pipefail; " + cmd});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Loaded image: cairn-piped:1"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(DockerInspect("cairn-piped:1", "{{.Id}}"), ReadFile(tmp_ / "iid") + "\n");
}

// A multi-platform image saved by cairn: docker (one platform per image) loads the native one,
// as it does from `docker save`; --load itself refuses an index, naming what to do.
TEST_F(DockerLoad, DockerLoadsTheNativePlatformOfASavedIndex) {
  WriteTextFile(tmp_ / "multi/Dockerfile", "FROM scratch\nARG TARGETARCH\nCOPY a.txt /a-$TARGETARCH.txt\n");
  WriteTextFile(tmp_ / "multi/a.txt", "a\n");
  auto built = Cairn(Root(), {"build", "-q", "--platform", "linux/arm64,linux/amd64", "-t", "cairn-multi:1", tmp_ / "multi"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  auto saved = Cairn(Root(), {"save", "-o", tmp_ / "multi.tar", "cairn-multi:1"});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  auto loaded = RunCommand({kDocker, "-H", "unix://" + Socket(), "load", "-i", tmp_ / "multi.tar"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  // The amd64 config; docker checked on load that the layer is the one its diff_ids name.
  EXPECT_EQ(DockerInspect("cairn-multi:1", "{{.Architecture}}"), "amd64\n");

  auto refused = Cairn(Root(), {"build", "--platform", "linux/arm64,linux/amd64", "--load", "-t", "x", tmp_ / "multi"}, Env());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--load with --platform linux/arm64,linux/amd64: docker's image store takes one platform's image"),
            std::string::npos) << refused.err;
}

TEST_F(DockerLoad, WhatCannotBeLoadedFailsBeforeTheBuildNamingWhy) {
  auto untagged = Build({"--load"});
  EXPECT_NE(untagged.exit_code, 0);
  EXPECT_NE(untagged.err.find("--load: name the image with -t"), std::string::npos) << untagged.err;
  auto tcp = Build({"--load", "-t", "x"}, {"DOCKER_HOST=tcp://127.0.0.1:2375"});
  EXPECT_NE(tcp.exit_code, 0);
  EXPECT_NE(tcp.err.find("cairn loads through the daemon's unix socket only"), std::string::npos) << tcp.err;
  EXPECT_EQ(tcp.err.find("#1"), std::string::npos) << "no step ran: " << tcp.err;
  auto gone = Build({"--load", "-t", "x"}, {"DOCKER_HOST=unix://" + (tmp_ / "no.sock")});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("--load: POST /images/load on " + (tmp_ / "no.sock") + ": "), std::string::npos) << gone.err;
}

}  // namespace
}  // namespace cairn::testing
