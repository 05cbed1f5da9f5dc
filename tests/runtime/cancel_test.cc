// Ctrl-C cancels a build: cairn says "cancelled", exits non-zero, and leaves no process, no
// mount and no scratch directory behind (issue 7).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

// `cairn ARGS` (a build, by default) running in the background, its stderr readable.
class BackgroundBuild {
 public:
  BackgroundBuild(const std::string& root, const std::vector<std::string>& args, const std::string& verb = "build") {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 2);
      ::dup2(fds[1], 1);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      std::vector<std::string> all = {CAIRN_BINARY, "--root", root, verb};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(CAIRN_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    err_fd_ = fds[0];
  }
  ~BackgroundBuild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(err_fd_);
  }

  // Reads stderr until it contains text; false on EOF or after 60 s.
  bool WaitFor(const std::string& text) {
    char buf[4096];
    while (err_.find(text) == std::string::npos) {
      pollfd p{err_fd_, POLLIN, 0};
      if (::poll(&p, 1, 60000) <= 0) return false;
      ssize_t n = ::read(err_fd_, buf, sizeof buf);
      if (n <= 0) return false;
      err_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // Waits for cairn to exit, at most `seconds` (then kills it): its exit code, -1 if it had to
  // be killed. A generous bound, not a timing assertion.
  int Wait(int seconds) {
    int status = 0;
    for (int i = 0; i < seconds * 50; ++i) {
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        ReadRest();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      ::usleep(20000);
    }
    return -1;
  }

  void Interrupt(int sig = SIGINT) { ::kill(pid_, sig); }
  const std::string& err() const { return err_; }

 private:
  void ReadRest() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) err_.append(buf, static_cast<size_t>(n));
  }

  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string err_;
};

class Cancellation : public ::testing::Test {
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

  // Processes whose command line mentions text: cairn (its --root) and its container inits
  // (clones of cairn) name the store; a step's shell names its script.
  static std::vector<std::string> ProcessesMentioning(const std::string& text) {
    std::vector<std::string> found;
    for (const auto& name : ListDir("/proc")) {
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline;
      try {
        cmdline = ReadFile("/proc/" + name + "/cmdline");
      } catch (...) {
        continue;  // ended meanwhile
      }
      for (auto& c : cmdline)
        if (c == '\0') c = ' ';
      if (cmdline.find(text) != std::string::npos) found.push_back(name + ": " + cmdline);
    }
    return found;
  }
  static std::vector<std::string> MountsUnder(const std::string& path) {
    std::vector<std::string> found;
    std::string table = ReadFile("/proc/self/mountinfo");
    for (size_t at = 0; at < table.size();) {
      size_t nl = table.find('\n', at);
      std::string line = table.substr(at, nl - at);
      if (line.find(path) != std::string::npos) found.push_back(line);
      at = nl == std::string::npos ? table.size() : nl + 1;
    }
    return found;
  }
  void ExpectNothingLeft(const std::string& marker) {
    EXPECT_THAT(ProcessesMentioning(Root()), ::testing::IsEmpty());
    EXPECT_THAT(ProcessesMentioning(marker), ::testing::IsEmpty());
    EXPECT_THAT(MountsUnder(Root()), ::testing::IsEmpty());
    EXPECT_THAT(ListDir(Root() + "/tmp"), ::testing::IsEmpty());  // every build's scratch is gone
  }

  static TempDir* store_;
  TempDir ctx_;
};
TempDir* Cancellation::store_ = nullptr;

TEST_F(Cancellation, SigintDuringARunStepCancelsTheBuildAndLeavesNothing) {
  std::string marker = "cancel-marker-" + std::to_string(::getpid());
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo started && sleep 3600 && echo " + marker + "\n");
  BackgroundBuild build(Root(), {"--no-cache", "--progress", "plain", ctx_.path()});
  ASSERT_TRUE(build.WaitFor("started\n")) << build.err();
  build.Interrupt();
  int code = build.Wait(10);
  ASSERT_NE(code, -1) << "cairn build did not end within 10 s of SIGINT";
  EXPECT_NE(code, 0);
  EXPECT_THAT(build.err(), HasSubstr("cairn: cancelled\n"));
  ExpectNothingLeft(marker);
}

TEST_F(Cancellation, FiftyBuildsWithEveryFifthCancelledLeaveNothing) {
  std::string marker = "loop-marker-" + std::to_string(::getpid());
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nARG N\nARG SLOW\nRUN echo $N > /n\n"
                                     "RUN if [ \"$SLOW\" = 1 ]; then echo started; sleep 3600; echo " + marker + "; fi\n");
  int cancelled = 0, built = 0;
  for (int i = 1; i <= 50; ++i) {
    bool cancel = i % 5 == 0;
    BackgroundBuild build(Root(), {"--progress", "plain", "--build-arg", "N=" + std::to_string(i), "--build-arg",
                                   std::string("SLOW=") + (cancel ? "1" : "0"), ctx_.path()});
    if (cancel) {
      ASSERT_TRUE(build.WaitFor("started\n")) << build.err();
      build.Interrupt();
    }
    int code = build.Wait(30);
    ASSERT_NE(code, -1) << "build " << i << " hung";
    if (cancel) {
      EXPECT_THAT(build.err(), HasSubstr("cairn: cancelled\n")) << i;
      cancelled += code != 0;
    } else {
      EXPECT_EQ(code, 0) << build.err();
      built += code == 0;
    }
  }
  EXPECT_EQ(cancelled, 10);
  EXPECT_EQ(built, 40);
  ExpectNothingLeft(marker);
}

TEST_F(Cancellation, RunForwardsSignalsToTheCommandAsDockerRunDoes) {
  BackgroundBuild run(Root(), {"--rm", "busybox", "sh", "-c", "trap 'echo got-term; exit 9' TERM; echo ready; "
                                                                "while :; do sleep 0.05; done"}, "run");
  ASSERT_TRUE(run.WaitFor("ready\n")) << run.err();
  run.Interrupt(SIGTERM);
  EXPECT_EQ(run.Wait(10), 9);  // the command's own exit status: it handled the signal
  EXPECT_THAT(run.err(), HasSubstr("got-term\n"));
  ExpectNothingLeft("got-term");
}

}  // namespace
}  // namespace cairn::testing
