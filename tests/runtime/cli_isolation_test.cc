// What a RUN step (and `cairn run`) is cut off from, through the real binary: issue 7's list.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A tiny HTTP server on the host's 127.0.0.1 (an ephemeral port), answering every request.
class LoopbackServer {
 public:
  LoopbackServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("loopback server: cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;  // shut down
        ++accepted_;
        char buf[1024];
        (void)!::read(c, buf, sizeof buf);
        static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\nhello-from-host";
        (void)!::write(c, reply, sizeof reply - 1);
        ::close(c);
      }
    });
  }
  ~LoopbackServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  // A RUN script that asks the server for a page (busybox nc: its wget crashes in name lookup).
  std::string Fetch() const {
    return "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 " + std::to_string(port_) + " | tail -1";
  }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class RuntimeIsolation : public ::testing::Test {
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

  // One RUN step; --no-cache so it always runs; plain progress carries its output.
  CommandResult BuildRun(const std::string& script, std::vector<std::string> extra = {}) {
    WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN " + script + "\n");
    std::vector<std::string> args = {"build", "--no-cache", "--progress", "plain"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx_.path());
    return Cairn(Root(), args);
  }

  static TempDir* store_;
  TempDir ctx_;
};
TempDir* RuntimeIsolation::store_ = nullptr;

TEST_F(RuntimeIsolation, StepCannotReachAServerOnTheHostsLoopback) {
  LoopbackServer server;
  auto r = BuildRun("set -o pipefail; " + server.Fetch());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Connection refused"));  // its own loopback, where nobody listens
  EXPECT_EQ(server.accepted(), 0);
}

TEST_F(RuntimeIsolation, NetworkHostReachesTheServerOnTheHostsLoopback) {
  LoopbackServer server;
  auto r = BuildRun(server.Fetch(), {"--network", "host"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("hello-from-host"));
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(RuntimeIsolation, StepCannotMount) {
  auto r = BuildRun("mkdir -p /m && mount -t tmpfs none /m");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("permission denied"));
}

TEST_F(RuntimeIsolation, StepSeesOnlyItsOwnProcesses) {
  // Host processes abound (this test, ctest, init...); the step sees its init and its shell
  // (the shell expands the glob itself: no third process).
  auto r = BuildRun("echo visible: /proc/[0-9]*");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(" visible: /proc/1 /proc/2\n"));
}

TEST_F(RuntimeIsolation, StepCannotSeeHostFiles) {
  std::string marker = "cairn-isolation-marker-" + std::to_string(::getpid());
  WriteTextFile("/tmp/" + marker, "host secret");
  auto r = BuildRun("find / -xdev -name 'cairn-isolation-marker-*' -exec echo leaked {} \\; ; cat /tmp/" + marker);
  ::unlink(("/tmp/" + marker).c_str());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, Not(HasSubstr("leaked /")));
  EXPECT_THAT(r.err, Not(HasSubstr("host secret")));
}

TEST_F(RuntimeIsolation, StepCannotWriteProcSys) {
  auto r = BuildRun("echo cairn > /proc/sys/kernel/domainname");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Read-only file system"));
}

TEST_F(RuntimeIsolation, StepCannotReadTheHostsDiskThroughANodeItMakes) {
  std::string table = ReadFile("/proc/partitions");
  unsigned major = 0, minor = 0;
  size_t line = table.find('\n', table.find('\n') + 1);
  if (line == std::string::npos || std::sscanf(table.c_str() + line, "%u %u", &major, &minor) != 2)
    GTEST_SKIP() << "no block device on this host";
  auto r = BuildRun("mknod /disk b " + std::to_string(major) + " " + std::to_string(minor) + " && head -c 512 /disk > /got");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("head: /disk: Permission denied"));
}

TEST_F(RuntimeIsolation, StepRunsWithoutSysAdminUnderSeccompAndNoNewPrivsOff) {
  auto r = BuildRun("grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("CapEff:\t00000000a80425fb"));  // docker's default set: bit 21 clear
  EXPECT_THAT(r.err, HasSubstr("Seccomp:\t2"));
  EXPECT_THAT(r.err, HasSubstr("NoNewPrivs:\t0"));  // as docker, so sudo after USER works
}

TEST_F(RuntimeIsolation, SecurityOptNoNewPrivilegesReachesEveryRun) {
  auto r = BuildRun("grep NoNewPrivs /proc/self/status", {"--security-opt", "no-new-privileges"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("NoNewPrivs:\t1"));
  auto run = Cairn(Root(), {"run", "--rm", "--security-opt", "no-new-privileges=true", "busybox", "grep", "NoNewPrivs",
                            "/proc/self/status"});
  EXPECT_EQ(run.out, "NoNewPrivs:\t1\n");
  run = Cairn(Root(), {"run", "--rm", "busybox", "grep", "NoNewPrivs", "/proc/self/status"});
  EXPECT_EQ(run.out, "NoNewPrivs:\t0\n");
  auto bad = Cairn(Root(), {"run", "--security-opt", "seccomp=unconfined", "busybox", "true"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--security-opt seccomp=unconfined: not supported"));
}

// Runs `cairn run ARGS` on a pty of our own (as a user's terminal), typing `input`; returns
// what the terminal showed and sets *code to cairn's exit code.
std::string RunOnTerminal(const std::string& root, const std::vector<std::string>& args, const std::string& input, int* code) {
  winsize size{};
  size.ws_row = 31;
  size.ws_col = 97;
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    std::vector<std::string> all = {CAIRN_BINARY, "--root", root, "run"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(CAIRN_BINARY, argv.data());
    ::_exit(127);
  }
  if (!input.empty()) (void)!::write(master, input.data(), input.size());
  std::string shown;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(master, buf, sizeof buf)) > 0) shown.append(buf, static_cast<size_t>(n));  // EIO at the end
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return shown;
}

TEST_F(RuntimeIsolation, RunWithTtyGivesTheCommandATerminal) {
  int code = -1;
  std::string shown = RunOnTerminal(Root(), {"--rm", "-t", "busybox", "sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty; stty size; exit 6"}, "", &code);
  EXPECT_EQ(code, 6);
  EXPECT_THAT(shown, HasSubstr("/dev/pts/0\r\nstdin-is-a-tty\r\n31 97\r\n"));
}

TEST_F(RuntimeIsolation, RunInteractiveTtyTakesTypedInputAndRestoresTheTerminal) {
  int code = -1;
  // Typed before the container starts: the pty buffers it. ^C would reach the container too
  // (raw mode), so "sh -c read" gets exactly what was typed.
  std::string shown = RunOnTerminal(Root(), {"--rm", "-i", "-t", "busybox", "sh", "-c", "read line; echo got:$line; exit 2"},
                                    "hello-typed\r", &code);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(shown, HasSubstr("got:hello-typed\r\n"));
}

TEST_F(RuntimeIsolation, RunWithoutTtyHasNoTerminalAndNoInputUnlessInteractive) {
  auto r = Cairn(Root(), {"run", "--rm", "busybox", "sh", "-c", "tty; cat"});
  EXPECT_EQ(r.out, "not a tty\n");  // stdin is /dev/null: cat ends at once
}

}  // namespace
}  // namespace cairn::testing
