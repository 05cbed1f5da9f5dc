// The command's own process (PID 2): from a root-privileged fork of init to the user's program.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "runtime/child_steps.h"
#include "runtime/child_support.h"
#include "runtime/security.h"

namespace cairn::runtime::child {

namespace {

// The spec's descriptors become 0, 1, 2. They are first moved above every target number, so
// that, say, stdout_fd == 0 is not overwritten by the stdin dup2.
void SetUpStdio(const ChildPlan& plan) {
  int fds[3] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd};
  int high[3];
  for (int i = 0; i < 3; ++i) {
    if (fds[i] < 0) {  // -1: /dev/null (the container's own, bound from the host's)
      high[i] = ::open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
      if (high[i] < 0) Fail(errno, "open /dev/null");
      continue;
    }
    high[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (high[i] < 0) Fail(errno, "dup the command's stdio descriptor");
  }
  for (int i = 0; i < 3; ++i) {
    // dup2 onto itself keeps FD_CLOEXEC (an fd opened above may already be 0, 1 or 2): clear it.
    if (high[i] != i) Must(::dup2(high[i], i) < 0 ? -1 : 0, "dup2 stdio");
    Must(::fcntl(i, F_SETFD, 0), "keep stdio open across exec");
  }
  // Whatever else is open (the report pipe) closes on exec.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}

// The command starts like a fresh process: default dispositions (an ignored SIGPIPE in cairn must
// not leak into the build) and nothing blocked.
void ResetSignals() {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL for KILL/STOP
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void MustSecurity(int err, const char* what) {
  if (err) Fail(err, what);
}

// Ids: groups first (needs CAP_SETGID), then gid, then uid, which also clears the capabilities
// of a non-root user. Raw system calls: glibc's wrappers would try to change the ids of every
// thread it believes the process has, and wait forever for threads that stayed in the parent.
void SetIds(const ChildPlan& plan) {
  Must(static_cast<int>(::syscall(SYS_setgroups, plan.groups.size(), plan.groups.data())), "setgroups");
  Must(static_cast<int>(::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid)), "setgid");
  Must(static_cast<int>(::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid)), "setuid");
}

// execvpe() without its allocations: every PATH entry in turn, as a shell does.
int ExecSearch(const ChildPlan& plan) {
  const char* file = plan.argv[0];
  if (::strchr(file, '/')) {
    ::execve(file, plan.argv.data(), plan.envp.data());
    return errno;
  }
  bool denied = false;
  const char* entry = plan.path.c_str();
  for (;;) {
    const char* end = ::strchrnul(entry, ':');
    char candidate[PATH_MAX] = "";
    size_t len = static_cast<size_t>(end - entry);
    if (len == 0) {
      Append(candidate, sizeof candidate, ".");  // an empty entry means the working directory
    } else if (len < sizeof candidate) {
      std::memcpy(candidate, entry, len);
      candidate[len] = '\0';
    }
    Append(candidate, sizeof candidate, "/");
    Append(candidate, sizeof candidate, file);
    ::execve(candidate, plan.argv.data(), plan.envp.data());
    if (errno == EACCES) denied = true;
    else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG) return errno;
    if (*end == '\0') break;
    entry = end + 1;
  }
  return denied ? EACCES : ENOENT;
}

[[noreturn]] void ReportExecFailure(const ChildPlan& plan, int err) {
  char msg[PATH_MAX + 256] = "cairn: exec ";
  Append(msg, sizeof msg, plan.argv[0]);
  Append(msg, sizeof msg, ": ");
  const char* reason = ::strerrordesc_np(err);  // no locale lookup: safe after clone()
  Append(msg, sizeof msg, reason ? reason : "unknown error");
  if (err == ENOENT && !::strchr(plan.argv[0], '/')) Append(msg, sizeof msg, " (not found in PATH)");
  Append(msg, sizeof msg, "\n");
  ssize_t ignored = ::write(2, msg, ::strlen(msg));
  (void)ignored;
  // The shell's convention: 126 found but not executable, 127 not found.
  ::_exit(err == EACCES || err == ENOEXEC ? 126 : 127);
}

}  // namespace

void ExecCommand(const ChildPlan& plan) {
  SetUpStdio(plan);
  TakeTerminal(plan);
  // Root may enter any directory; the user may not need to (docker does the same).
  Must(::chdir(plan.cwd.c_str()), "chdir ", plan.cwd.c_str());
  // The same file mode for every build, whatever cairn's own umask.
  ::umask(022);
  const char* what = "";
  MustSecurity(SetResourceLimits(&what), what);
  for (const ResourceLimit& lim : plan.ulimits) {
    rlimit r{static_cast<rlim_t>(lim.soft), static_cast<rlim_t>(lim.hard)};
    if (::setrlimit(lim.resource, &r) != 0) Fail(errno, "setrlimit --ulimit ", lim.name.c_str());
  }
  ResetSignals();
  // Seccomp first, while CAP_SYS_ADMIN still allows it without no_new_privs.
  MustSecurity(InstallSeccomp(plan.seccomp, &what), what);
  MustSecurity(DropBoundingSet(plan.capabilities, &what), what);
  SetIds(plan);
  // kChroot: no PID namespace takes the command down with init (a cancelled build kills init);
  // after SetIds, which clears the parent-death signal.
  if (plan.chroot_only) Must(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl PR_SET_PDEATHSIG");
  MustSecurity(SetCapabilities(plan.uid, plan.capabilities, &what), what);
  if (plan.no_new_privileges) MustSecurity(SetNoNewPrivileges(&what), what);
  ReportExecFailure(plan, ExecSearch(plan));
}

}  // namespace cairn::runtime::child
