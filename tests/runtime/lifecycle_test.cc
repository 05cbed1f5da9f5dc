// The container's life: signals reach the command, and nothing outlives cairn.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/fs.h"
#include "tests/runtime/fixture.h"

namespace cairn::runtime::testing {
namespace {

using ::testing::HasSubstr;

// Reads until a full line arrives or the pipe closes; false after 60 s without data (a hang
// would otherwise stall the whole test run).
bool ReadLine(int fd, std::string* line) {
  line->clear();
  char c;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) return false;
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return !line->empty();
    if (c == '\n') return true;
    *line += c;
  }
}

// True when the pipe reaches EOF, i.e. every process holding its write end is gone.
bool WaitForEof(int fd) {
  char buf[256];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) return false;
    if (::read(fd, buf, sizeof buf) <= 0) return true;
  }
}

// The container's init: our child process in another PID namespace.
pid_t FindChildInit() {
  for (const auto& name : ListDir("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string status;
    try {
      status = ReadFile("/proc/" + name + "/status");
    } catch (...) {
      continue;
    }
    size_t at = status.find("PPid:\t");
    if (at != std::string::npos && std::stoi(status.substr(at + 6)) == ::getpid() &&
        status.find("NSpid:\t" + name + "\t1\n") != std::string::npos)
      return std::stoi(name);
  }
  return -1;
}

TEST_F(ContainerTest, SigtermToInitReachesTheCommand) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  ContainerSpec spec = Spec({"/bin/sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done"});
  spec.stdout_fd = write_end.get();
  ExitStatus status;
  std::thread t([&] { status = runtime::Run(spec); });
  std::string line;
  ASSERT_TRUE(ReadLine(read_end.get(), &line));
  ASSERT_EQ(line, "ready");
  pid_t init = FindChildInit();
  ASSERT_GT(init, 0);
  ::kill(init, SIGTERM);
  t.join();
  write_end.Reset();
  EXPECT_EQ(status.exit_code, 7);
  ASSERT_TRUE(ReadLine(read_end.get(), &line));
  EXPECT_EQ(line, "got TERM");
}

TEST_F(ContainerTest, ContainerDiesWithItsCaller) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  ContainerSpec spec = Spec({"/bin/sh", "-c", "sleep 1000 & echo started; sleep 1000"});
  spec.stdout_fd = write_end.get();
  pid_t caller = ::fork();
  ASSERT_GE(caller, 0);
  if (caller == 0) {
    runtime::Run(spec);
    ::_exit(0);
  }
  std::string line;
  ASSERT_TRUE(ReadLine(read_end.get(), &line));
  ASSERT_EQ(line, "started");
  ::kill(caller, SIGKILL);
  ::waitpid(caller, nullptr, 0);
  write_end.Reset();
  // Both sleeps held the pipe: EOF means the whole container is gone.
  EXPECT_TRUE(WaitForEof(read_end.get()));
}

TEST_F(ContainerTest, OutputToMinusOneGoesToDevNull) {
  ContainerSpec spec = Spec({"echo", "discarded"});
  spec.stdout_fd = -1;
  EXPECT_TRUE(runtime::Run(spec).ok());
}

}  // namespace
}  // namespace cairn::runtime::testing
