#include "runtime/child.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "runtime/child_steps.h"
#include "runtime/child_support.h"
#include "runtime/report.h"

namespace cairn::runtime {

namespace {

// Signals PID 1 passes on to the command (a PID 1 without handlers would drop them).
constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// fork() without glibc's atfork handlers, which take malloc locks another thread of the parent
// may have held at the moment of clone().
pid_t RawFork() { return static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0)); }

// kChroot (ChildPlan::chroot_only): no PID namespace ends what the command left running, so the
// command leads a process group of its own and init kills that group when the command ends.
pid_t g_group_to_kill = 0;

[[noreturn]] void ReportExit(int status) {
  if (g_group_to_kill > 0) ::kill(-g_group_to_kill, SIGKILL);
  ChildReport r;
  r.kind = ChildReport::kExited;
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  else r.exit_code = WEXITSTATUS(status);
  ssize_t ignored = ::write(child::ReportFd(), &r, sizeof r);
  (void)ignored;
  // Leaving PID 1 makes the kernel kill whatever the command left running.
  ::_exit(0);
}

// Reaps every process that ends in the namespace (orphans are re-parented to us), forwards
// signals, and ends when the command does.
[[noreturn]] void Supervise(pid_t command, const sigset_t& waited) {
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&waited, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      ::kill(command, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == command) ReportExit(status);
  }
}

}  // namespace

void ContainerInit(ChildPlan& plan, int report_fd) {
  child::SetReportFd(report_fd);
  // cairn's own handlers (runtime/cancel.cc) must not run here: Run() cloned us with every
  // signal blocked, so none ran yet; PID 1 gets the default dispositions before unblocking.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL for KILL/STOP
  // Directories and stubs init creates in the upper dir (mount points, the working directory)
  // get the same modes whatever cairn's own umask is.
  ::umask(022);
  // Only our own descriptors: another thread's pipes, inherited at clone(), would otherwise stay
  // open in this long-lived process and keep their readers from seeing EOF.
  int keep[] = {report_fd, plan.stdin_fd, plan.stdout_fd, plan.stderr_fd, plan.tty_socket, plan.network_fd};
  child::CloseAllExcept(keep, 6);
  // The container dies with the thread that started it.
  child::Must(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl PR_SET_PDEATHSIG");

  if (plan.chroot_only) {
    child::EnterChroot(plan);
  } else {
    child::SetUpRoot(plan);
    child::SetUpHostAndNetwork(plan);
  }
  if (plan.tty) child::OpenTerminal(plan);

  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  for (int s : kForwarded) sigaddset(&waited, s);
  child::Must(::sigprocmask(SIG_SETMASK, &waited, nullptr), "block signals");
  pid_t command = RawFork();
  if (command < 0) child::Fail(errno, "fork the command");
  if (command == 0) {
    if (plan.chroot_only) ::setpgid(0, 0);
    child::ExecCommand(plan);
  }
  if (plan.chroot_only) {
    ::setpgid(command, command);  // also here: whichever runs first, the group exists before a kill
    g_group_to_kill = command;
  }
  // The command's stdio is its own now; PID 1 keeps only the report pipe.
  int keep_report[] = {report_fd};
  child::CloseAllExcept(keep_report, 1);
  Supervise(command, waited);
}

}  // namespace cairn::runtime
