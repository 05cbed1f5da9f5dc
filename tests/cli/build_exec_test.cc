// Issue 4, execution: COPY --chmod symbolic, COPY --link, parallel stages (--jobs) and ADD of a
// URL, through the real binary as root against a busybox store.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/digest.h"
#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

class BuildExec : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new TempDir();
    ImportBusybox(store_->path());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static std::string Root() { return store_->path(); }

  CommandResult Build(const std::string& dockerfile, const std::string& tag, std::vector<std::string> extra = {}) {
    WriteTextFile(ctx_ / "Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", tag};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx_.path());
    return Cairn(Root(), args);
  }
  std::string RunIn(const std::string& tag, const std::string& script) {
    auto r = Cairn(Root(), {"run", "--rm", tag, "sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static json Inspect(const std::string& name) {
    auto r = Cairn(Root(), {"inspect", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)[0];
  }
  // A string unique to this test run (cache mount ids and the like outlive a test).
  static std::string Unique(const std::string& prefix) {
    return prefix + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static TempDir* store_;
  TempDir ctx_;
};
TempDir* BuildExec::store_ = nullptr;

TEST_F(BuildExec, ChmodSymbolicIsRelativeToEachSource) {
  WriteTextFile(ctx_ / "f/plain", "p\n");
  WriteTextFile(ctx_ / "f/tool", "t\n");
  ASSERT_EQ(::chmod((ctx_ / "f/plain").c_str(), 0644), 0);
  ASSERT_EQ(::chmod((ctx_ / "f/tool").c_str(), 0755), 0);
  auto r = Build("FROM busybox\nCOPY --chmod=go-rwx,u+x f/ /a/\nCOPY --chmod=a+X f/ /b/\nCOPY --chmod=640 f/ /c/\n",
                 "chmod:sym");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("chmod:sym", "stat -c '%n %a' /a/plain /a/tool /b/plain /b/tool /c/plain /c/tool"),
            "/a/plain 700\n/a/tool 700\n/b/plain 644\n/b/tool 755\n/c/plain 640\n/c/tool 640\n");
}

TEST_F(BuildExec, ChmodGarbageNamesTheLine) {
  WriteTextFile(ctx_ / "x", "x\n");
  auto r = Build("FROM busybox\n\nCOPY --chmod=u+q x /x\n", "chmod:bad");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--chmod=u+q"), std::string::npos) << r.err;
}

TEST_F(BuildExec, CopyLinkLayerIsReusedWhenAnEarlierStepChanges) {
  WriteTextFile(ctx_ / "app.txt", "app\n");
  auto df = [](const std::string& n) {
    return "FROM busybox\nRUN echo " + n + " > /before\nCOPY --link app.txt /opt/app.txt\nRUN cat /before /opt/app.txt > /after\n";
  };
  auto r = Build(df("one"), "link:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Build(df("two"), "link:2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The RUN before changed: it reruns, the linked COPY is CACHED, the RUN after reruns.
  EXPECT_NE(r.err.find("[3/4] COPY --link app.txt /opt/app.txt"), std::string::npos) << r.err;
  auto copy_line = r.err.find("COPY --link");
  auto copy_id = r.err.substr(r.err.rfind('#', copy_line), r.err.find(' ', r.err.rfind('#', copy_line)) - r.err.rfind('#', copy_line));
  EXPECT_NE(r.err.find(copy_id + " CACHED"), std::string::npos) << r.err;
  auto one = Inspect("link:1")["Config"]["rootfs"]["diff_ids"], two = Inspect("link:2")["Config"]["rootfs"]["diff_ids"];
  ASSERT_EQ(one.size(), two.size());
  size_t n = one.size();
  EXPECT_NE(one[n - 3], two[n - 3]);  // RUN echo
  EXPECT_EQ(one[n - 2], two[n - 2]);  // COPY --link: the same layer
  EXPECT_NE(one[n - 1], two[n - 1]);  // RUN after sees the new /before
  EXPECT_EQ(RunIn("link:2", "cat /after"), "two\napp\n");
}

TEST_F(BuildExec, CopyLinkChownByNameFollowsTheParentsPasswd) {
  WriteTextFile(ctx_ / "app.txt", "app\n");
  auto df = [](const std::string& uid) {
    return "FROM busybox\nRUN echo svc:x:" + uid + ":" + uid + "::/:/bin/sh >> /etc/passwd\n"
           "COPY --link --chown=svc app.txt /app.txt\n";
  };
  auto r = Build(df("1234"), "linkown:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Build(df("4321"), "linkown:2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Another uid for "svc" must not reuse the first build's layer.
  EXPECT_EQ(RunIn("linkown:1", "stat -c %u:%g /app.txt"), "1234:1234\n");
  EXPECT_EQ(RunIn("linkown:2", "stat -c %u:%g /app.txt"), "4321:4321\n");
}

TEST_F(BuildExec, CopyLinkLayerKeepsWhatTheParentHad) {
  WriteTextFile(ctx_ / "app.txt", "app\n");
  auto r = Build("FROM busybox\nRUN mkdir -p /opt && echo base > /opt/base\nCOPY --link app.txt /opt/\n", "link:only");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("link:only", "cat /opt/base /opt/app.txt"), "base\napp\n");
}

// Two stages that can only both finish if they run at the same time: each leaves a mark in a
// shared cache mount and waits (up to ~10 s) for the other's.
std::string RendezvousDockerfile(const std::string& id) {
  auto stage = [&](const std::string& me, const std::string& other) {
    return "FROM busybox AS " + me + "\nRUN --mount=type=cache,id=" + id + ",sharing=shared,target=/rv touch /rv/" + me +
           " && i=0; while [ ! -e /rv/" + other + " ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done;"
           " test -e /rv/" + other + " && echo " + me + " > /" + me + "\n";
  };
  return stage("a", "b") + stage("b", "a") + "FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n";
}

TEST_F(BuildExec, IndependentStagesRunAtTheSameTime) {
  auto r = Build(RendezvousDockerfile(Unique("rv")), "par:2", {"--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("par:2", "cat /a /b"), "a\nb\n");
}

TEST_F(BuildExec, OneJobBuildsStagesOneAfterTheOther) {
  auto r = Build(RendezvousDockerfile(Unique("rv")), "par:1", {"--jobs", "1"});
  EXPECT_NE(r.exit_code, 0) << r.err;  // stage a waits for b in vain
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
}

TEST_F(BuildExec, ImageDoesNotDependOnJobs) {
  WriteTextFile(ctx_ / "in.txt", "input\n");
  std::string df =
      "FROM busybox AS one\nRUN echo 1 > /one && sleep 0.2\nCOPY in.txt /in1\n"
      "FROM busybox AS two\nRUN echo 2 > /two\nRUN echo more >> /two\n"
      "FROM busybox AS three\nCOPY --from=one /one /x1\nRUN echo 3 > /three\n"
      "FROM busybox\nCOPY --from=two /two /two\nCOPY --from=three / /t/\nCOPY --from=one /in1 /in1\n";
  auto one = Build(df, "jobs:1", {"--jobs", "1", "--no-cache"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto four = Build(df, "jobs:4", {"--jobs", "4", "--no-cache"});
  ASSERT_EQ(four.exit_code, 0) << four.err;
  EXPECT_EQ(one.out, four.out);  // the image ID
  EXPECT_EQ(Inspect("jobs:1")["Config"]["rootfs"], Inspect("jobs:4")["Config"]["rootfs"]);
  // Step ids stay unique when stages interleave.
  std::set<std::string> started;
  for (size_t at = 0; (at = four.err.find("\n#", at)) != std::string::npos; at++) {
    size_t sp = four.err.find(' ', at);
    std::string rest = four.err.substr(sp + 1, 1);
    if (rest == "[") {
      EXPECT_TRUE(started.insert(four.err.substr(at + 1, sp - at - 1)).second) << four.err;
    }
  }
  EXPECT_EQ(started.size(), 3u + 3u + 3u + 4u) << four.err;  // FROM + steps, per stage
}

TEST_F(BuildExec, FirstFailureIsTheErrorReported) {
  std::string id = Unique("ff");
  std::string df =
      "FROM busybox AS bad\nRUN --mount=type=cache,id=" + id + ",sharing=shared,target=/rv "
      "i=0; while [ ! -e /rv/go ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 7\n"
      "FROM busybox AS good\nRUN --mount=type=cache,id=" + id + ",sharing=shared,target=/rv touch /rv/go\n"
      "RUN echo later > /later\nRUN echo more > /more\n"
      "FROM busybox\nCOPY --from=bad / /bad/\nCOPY --from=good /later /later\n";
  auto r = Build(df, "fail:par", {"--jobs", "2"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cairn: Dockerfile:2: RUN"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit code 7"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("stopped: another stage failed"), std::string::npos) << "the sibling's stop is not the reported error:\n" << r.err;
}

TEST_F(BuildExec, AFailingStageKillsTheStepASiblingStageIsRunning) {
  std::string id = Unique("kill");
  // "slow" starts its RUN, then "bad" fails; slow's RUN must not be waited for (60 s).
  std::string df =
      "FROM busybox AS slow\nRUN --mount=type=cache,id=" + id + ",sharing=shared,target=/rv "
      "touch /rv/started; sleep 60; echo done > /slow\n"
      "FROM busybox AS bad\nRUN --mount=type=cache,id=" + id + ",sharing=shared,target=/rv "
      "i=0; while [ ! -e /rv/started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 3\n"
      "FROM busybox\nCOPY --from=slow /slow /slow\nCOPY --from=bad /etc/passwd /p\n";
  auto start = std::chrono::steady_clock::now();
  auto r = Build(df, "fail:kill", {"--jobs", "2"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cairn: Dockerfile:4: RUN"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit code 3"), std::string::npos) << r.err;
  EXPECT_LT(seconds, 40) << "the sibling's sleep 60 was waited for:\n" << r.err;
}

// `busybox httpd` serving a directory on a free loopback port, for the test's lifetime.
class HttpServer {
 public:
  HttpServer() {
    port_ = FreePort();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string listen = "127.0.0.1:" + std::to_string(port_);
      ::execl("/bin/busybox", "busybox", "httpd", "-f", "-p", listen.c_str(), "-h", dir_.path().c_str(), nullptr);
      ::_exit(127);
    }
    // Wait until it accepts connections (a readiness poll, not a timing assertion).
    for (int i = 0; i < 500 && !Accepts(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~HttpServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string Url(const std::string& name) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + name; }
  std::string operator/(const std::string& name) const { return dir_ / name; }

 private:
  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  bool Accepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(BuildExec, AddUrlWithChecksumKeepsATarPacked) {
  HttpServer http;
  WriteTextFile(http / "src/hello.txt", "hello\n");
  ASSERT_EQ(RunCommand({"tar", "-C", http / "src", "-cf", http / "pkg.tar", "hello.txt"}).exit_code, 0);
  std::string sum = DigestOfFile(http / "pkg.tar");
  auto r = Build("FROM busybox\nADD --checksum=" + sum + " " + http.Url("pkg.tar") + "?v=1 /dl/\n", "url:tar");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Named from the URL path, 0600, root-owned, not unpacked, mtime from the epoch (0).
  EXPECT_EQ(RunIn("url:tar", "stat -c '%n %a %u:%g %s %Y' /dl/pkg.tar; ls /dl"),
            "/dl/pkg.tar 600 0:0 " + std::to_string(ReadFile(http / "pkg.tar").size()) + " 0\npkg.tar\n");
}

TEST_F(BuildExec, AddUrlToAFileNameWithChmodAndChown) {
  HttpServer http;
  WriteTextFile(http / "a.txt", "remote\n");
  auto r = Build("FROM busybox\nADD --chmod=u+x,g+r --chown=12:34 " + http.Url("a.txt") + " /opt/renamed.txt\n", "url:named");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("url:named", "stat -c '%a %u:%g' /opt/renamed.txt; cat /opt/renamed.txt"), "740 12:34\nremote\n");
}

TEST_F(BuildExec, AddUrlCacheFollowsTheRemoteContent) {
  HttpServer http;
  WriteTextFile(http / "v.txt", "one\n");
  std::string df = "FROM busybox\nADD " + http.Url("v.txt") + " /v.txt\n";
  auto r = Build(df, "url:c1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Build(df, "url:c2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("#2 CACHED"), std::string::npos) << r.err;
  WriteTextFile(http / "v.txt", "two\n");
  r = Build(df, "url:c3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("#2 CACHED"), std::string::npos) << r.err;
  EXPECT_EQ(RunIn("url:c3", "cat /v.txt"), "two\n");
}

TEST_F(BuildExec, AddUrlChecksumMismatchNamesLineUrlAndDigests) {
  HttpServer http;
  WriteTextFile(http / "f.bin", "actual\n");
  std::string wrong = "sha256:" + std::string(64, 'a');
  auto r = Build("FROM busybox\n\nADD --checksum=" + wrong + " " + http.Url("f.bin") + " /f\n", "url:bad");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(http.Url("f.bin")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected " + wrong), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("got " + DigestOfFile(http / "f.bin")), std::string::npos) << r.err;
}

TEST_F(BuildExec, AddMixesAUrlAndContextFilesAndMissesWhenEitherChanges) {
  HttpServer http;
  WriteTextFile(http / "remote.txt", "remote\n");
  WriteTextFile(ctx_ / "local.txt", "local\n");
  std::string df = "FROM busybox\nADD " + http.Url("remote.txt") + " local.txt /both/\n";
  auto r = Build(df, "mix:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("mix:1", "stat -c '%n %a' /both/*; cat /both/local.txt /both/remote.txt"),
            "/both/local.txt 644\n/both/remote.txt 600\nlocal\nremote\n");
  EXPECT_NE(Build(df, "mix:1").err.find("#2 CACHED"), std::string::npos);
  WriteTextFile(ctx_ / "local.txt", "local 2\n");
  r = Build(df, "mix:2");
  EXPECT_EQ(r.err.find("#2 CACHED"), std::string::npos) << r.err;
  WriteTextFile(http / "remote.txt", "remote 2\n");
  r = Build(df, "mix:3");
  EXPECT_EQ(r.err.find("#2 CACHED"), std::string::npos) << r.err;
  EXPECT_EQ(RunIn("mix:3", "cat /both/local.txt /both/remote.txt"), "local 2\nremote 2\n");
}

TEST_F(BuildExec, AddUrlHttpErrorNamesUrlAndStatus) {
  HttpServer http;
  auto r = Build("FROM busybox\nADD " + http.Url("missing.txt") + " /m\n", "url:404");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(http.Url("missing.txt")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 404"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn::testing
