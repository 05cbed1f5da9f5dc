#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "runtime/cancel.h"
#include "runtime/child.h"
#include "runtime/child_plan.h"
#include "runtime/chroot_root.h"
#include "runtime/copied_root.h"
#include "runtime/isolation.h"
#include "runtime/network.h"
#include "runtime/report.h"
#include "runtime/snapshotter.h"
#include "runtime/terminal.h"

namespace cairn::runtime {

namespace {

// Beside the work dir: that is the caller's scratch space (the builder's per-step directory
// under the store's tmp/, which is swept after a crash), so even kill -9 leaves nothing elsewhere.
std::string ScratchParent(const ContainerSpec& spec) {
  if (spec.workdir.empty()) throw Error("container: no overlay workdir given");
  std::string work = AbsoluteHostPath(spec.workdir);
  size_t slash = work.rfind('/');
  return slash == 0 ? "/" : work.substr(0, slash);
}

// Reads every report until the container's processes have all closed the pipe.
std::vector<ChildReport> ReadReports(int fd) {
  std::vector<ChildReport> reports;
  ChildReport r;
  size_t got = 0;
  for (;;) {
    ssize_t n = ::read(fd, reinterpret_cast<char*>(&r) + got, sizeof r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
    if (got == sizeof r) {
      r.what[sizeof r.what - 1] = '\0';
      reports.push_back(r);
      got = 0;
    }
  }
  return reports;
}

// Waits for init to end without reaping it, so its pid cannot be recycled while a signal handler
// may still send to it (see UnregisterContainer); then reaps it.
int WaitFor(pid_t pid, int slot) {
  siginfo_t info;
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0)
    if (errno != EINTR) throw SysError("waitid", "container init");
  UnregisterContainer(slot);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw SysError("waitpid", "container init");
  return status;
}

ExitStatus Conclude(const std::vector<ChildReport>& reports, int init_status) {
  for (const auto& r : reports)
    if (r.kind == ChildReport::kSetupError) throw SysError("container setup: " + std::string(r.what), "", r.err);
  for (const auto& r : reports)
    if (r.kind == ChildReport::kExited) return ExitStatus{r.exit_code, r.signal};
  // Init itself was killed (SIGKILL from outside, OOM) before it could report.
  if (WIFSIGNALED(init_status)) return ExitStatus{0, WTERMSIG(init_status)};
  throw Error("container init exited with code " + std::to_string(WEXITSTATUS(init_status)) +
              " without reporting the command's status");
}

// runtime/isolation.h, kChroot: init is a plain child, chrooted into the copy; the container's
// network is the process's own (so nothing to configure); no seccomp filter of cairn's, which
// without CAP_SYS_ADMIN would need no_new_privs and so break sudo and su (the CI container's own
// filter still applies).
void MakeChrootOnly(ChildPlan& plan) {
  plan.clone_flags = 0;
  plan.chroot_only = true;
  plan.network = Network::kHost;
  plan.seccomp.clear();
}

ExitStatus RunWithScratch(const ContainerSpec& spec, const std::string& scratch, const CopiedTrees* copied,
                          bool chroot_only) {
  ChildPlan plan = MakeChildPlan(spec, scratch, copied);
  if (chroot_only) MakeChrootOnly(plan);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe", "");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  UniqueFd tty_ours, tty_theirs;
  std::optional<TerminalRelay> terminal;
  if (spec.tty) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw SysError("socketpair", "terminal");
    tty_ours = UniqueFd(sv[0]);
    tty_theirs = UniqueFd(sv[1]);
    plan.tty_socket = tty_theirs.get();
    terminal.emplace(spec.stdin_fd, spec.stdout_fd);
    plan.tty_size = terminal->Size();
  }
  // kOutbound: the slot goes to init through here. A socket, not a pipe: sent with MSG_NOSIGNAL,
  // an init that already died of a setup error is an EPIPE here, not a SIGPIPE that kills cairn.
  UniqueFd network_ours;
  if (plan.network == Network::kOutbound) {
    int nfds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, nfds) != 0) throw SysError("socketpair", "network");
    plan.network_fd = nfds[0];
    network_ours = UniqueFd(nfds[1]);
  }
  UniqueFd network_theirs(plan.network_fd);
  // Raw clone: fork semantics (copy of memory, same stack) plus the new namespaces. Every signal
  // is blocked across it, so cairn's handlers never run in the child (see ContainerInit).
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  long pid = ::syscall(SYS_clone, static_cast<unsigned long>(plan.clone_flags) | SIGCHLD, nullptr, nullptr,
                       nullptr, 0);
  int clone_errno = errno;
  if (pid != 0) ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0)
    throw Error(std::string("cannot create the container's namespaces (clone): ") + std::strerror(clone_errno) +
                (clone_errno == EPERM ? " (running containers needs root)" : ""));
  if (pid == 0) ContainerInit(plan, write_end.get());
  int slot = RegisterContainer(static_cast<pid_t>(pid));
  write_end.Reset();
  network_theirs.Reset();
  // Made while init mounts its root; it waits for the slot before it configures eth0.
  OutboundLease lease;
  std::optional<Error> network_error;
  if (network_ours) {
    try {
      lease = AttachOutbound(static_cast<pid_t>(pid));
      auto byte = static_cast<unsigned char>(lease.slot());
      // EPIPE: init is gone, and its report says why.
      if (::send(network_ours.get(), &byte, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
        throw SysError("send", "the step's network slot");
    } catch (const Error& e) {
      network_error = e;  // init sees EOF and stops; this is the story
    }
    network_ours.Reset();
  }
  if (terminal) {
    tty_theirs.Reset();
    // Nothing arrives when setup failed first: the report says why.
    if (UniqueFd master = ReceiveFd(tty_ours.get())) terminal->Start(std::move(master));
  }
  std::vector<ChildReport> reports = ReadReports(read_end.get());
  int status = WaitFor(static_cast<pid_t>(pid), slot);
  if (terminal) terminal->Finish();  // every process is gone: the pty hangs up
  ThrowIfCancelled();  // killed by cancellation: that, not "killed by signal 9", is the story
  if (network_error) throw *network_error;
  return Conclude(reports, status);
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (signal == 0) return "exit code " + std::to_string(exit_code);
  const char* abbrev = ::sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) + (abbrev ? " (SIG" + std::string(abbrev) + ")" : "");
}

ExitStatus Run(const ContainerSpec& spec) {
  ThrowIfCancelled();
  const IsolationChoice& isolation = CurrentIsolation();
  if (isolation.level == Isolation::kNone) throw Error(RunUnavailableReason());
  bool chroot_only = isolation.level == Isolation::kChroot;
  if (chroot_only) CheckChrootable(spec, isolation.why);
  if (spec.network == Network::kOutbound && !TunDeviceExists()) {  // see TunDeviceExists
    ContainerSpec on_host = spec;
    on_host.network = Network::kHost;
    return Run(on_host);
  }
  std::string parent = ScratchParent(spec);
  std::string scratch = MakeTempDir(parent, "cairn-root-");
  ScopeExit remove_scratch([&] { ::rmdir(scratch.c_str()); });
  if (!chroot_only && ChooseSnapshotter(parent) != Snapshotter::kCopy) return RunWithScratch(spec, scratch, nullptr, false);
  CopiedRoot copied(spec);
  if (chroot_only) PrepareChrootRoot(copied.trees().root, spec);
  ExitStatus status = RunWithScratch(spec, scratch, &copied.trees(), chroot_only);
  copied.WriteUpper();
  return status;
}

const std::vector<std::string>& MountPointStubs() {
  static const std::vector<std::string> stubs = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
                                                 "/proc", "/sys", "/dev"};
  return stubs;
}

}  // namespace cairn::runtime
