#include "runtime/isolation.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "base/error.h"
#include "base/fs.h"
#include "runtime/security.h"
#include "runtime/userns.h"

namespace cairn::runtime {

namespace {

// Why the level was lowered, handed from the process that probed to the one it starts inside
// the user namespace (which holds every capability there and so cannot see the cause itself).
constexpr const char* kWhyEnv = "CAIRN_ISOLATION_WHY";

// The namespaces every RUN container is cloned with (runtime/child_plan.cc), network included.
constexpr int kContainerNamespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWNET;

IsolationChoice g_choice;  // written by EnterIsolation while the process has one thread

std::string ReadOrEmpty(const char* path) {
  try {
    return ReadFile(path);
  } catch (const Error&) {
    return "";
  }
}

long MaxUserNamespaces() {
  std::string v = ReadOrEmpty("/proc/sys/user/max_user_namespaces");
  return v.empty() ? -1 : std::strtol(v.c_str(), nullptr, 10);
}

// The value of a "Name:\tvalue" line of /proc/self/status ("" when absent).
std::string StatusField(const std::string& status, const std::string& name) {
  std::stringstream lines(status);
  for (std::string line; std::getline(lines, line);)
    if (line.compare(0, name.size() + 1, name + ":") == 0) {
      size_t v = line.find_first_not_of(" \t", name.size() + 1);
      return v == std::string::npos ? "" : line.substr(v);
    }
  return "";
}

std::string Refusal(int err, bool is_root, bool seccomp_too = true) {
  return std::string("unshare: ") + std::strerror(err) + ": " +
         DescribeNamespaceRefusal(ReadOrEmpty("/proc/self/status"), MaxUserNamespaces(), is_root, seccomp_too);
}

void ChooseForNonRoot(std::optional<Isolation> forced, std::optional<int>* exit_code) {
  if (const char* inside = std::getenv(kRootlessEnv); inside && *inside) return;  // kNamespaces
  // For a non-root user, namespaces and userns are one level: the rootless user namespace.
  if (forced == Isolation::kChroot) {
    g_choice = {Isolation::kNone, std::string(kIsolationEnv) + "=chroot needs root"};
    return;
  }
  try {
    EnterResult entered = EnterRootless();
    if (entered.exit_code) *exit_code = entered.exit_code;
    else if (entered.unshare_errno) g_choice = {Isolation::kNone, "user namespace: " + Refusal(entered.unshare_errno, false)};
  } catch (const Error& e) {
    // No subordinate ids, or newuidmap failed: the cause, unless the kernel would refuse the
    // namespace anyway (a CI container's seccomp profile), which is then the one to name.
    int err = ProbeUnshare(CLONE_NEWUSER);
    g_choice = {Isolation::kNone, err ? "user namespace: " + Refusal(err, false) : e.what()};
  }
}

void ChooseForRoot(std::optional<Isolation> forced, std::optional<int>* exit_code) {
  if (const char* inside = std::getenv(kOwnUserNamespaceMarker); inside && *inside) {
    const char* why = std::getenv(kWhyEnv);
    g_choice = {Isolation::kUserNamespace, why ? why : ""};
    return;
  }
  if (forced == Isolation::kNamespaces) return;
  int refused = 0;
  if (forced != Isolation::kChroot && forced != Isolation::kUserNamespace) {
    refused = ProbeUnshare(kContainerNamespaces);
    if (refused == 0) return;  // kNamespaces
  }
  std::string why;
  if (forced != Isolation::kChroot) {
    // Said from inside, where the probe cannot be repeated: every capability is held there.
    why = forced ? std::string("forced by ") + kIsolationEnv + "=userns" : Refusal(refused, true, false);
    ::setenv(kWhyEnv, why.c_str(), 1);
    EnterResult entered = EnterOwnUserNamespace();
    if (entered.exit_code) {
      *exit_code = entered.exit_code;
      return;
    }
    if (!entered.unshare_errno) {
      g_choice = {Isolation::kUserNamespace, why};
      return;
    }
    ::unsetenv(kWhyEnv);
    why = "namespaces are refused here, a user namespace too (" + Refusal(entered.unshare_errno, true) + ")";
    if (forced == Isolation::kUserNamespace) {
      g_choice = {Isolation::kNone, why};
      return;
    }
  } else {
    why = std::string("forced by ") + kIsolationEnv + "=chroot";
  }
  if (!((HeldCapabilityMask() >> CAP_SYS_CHROOT) & 1)) {
    g_choice = {Isolation::kNone, why + "; and chroot needs CAP_SYS_CHROOT, which this process lacks"};
    return;
  }
  g_choice = {Isolation::kChroot, why};
}

}  // namespace

int ProbeUnshare(int flags) {
  pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) ::_exit(::unshare(flags) == 0 ? 0 : errno);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
}

const char* IsolationName(Isolation level) {
  switch (level) {
    case Isolation::kNamespaces: return "namespaces";
    case Isolation::kUserNamespace: return "userns";
    case Isolation::kChroot: return "chroot";
    case Isolation::kNone: return "none";
  }
  return "?";
}

std::optional<Isolation> ParseIsolation(const std::string& value) {
  if (value.empty() || value == "auto") return std::nullopt;
  for (Isolation l : {Isolation::kNamespaces, Isolation::kUserNamespace, Isolation::kChroot})
    if (value == IsolationName(l)) return l;
  throw Error(std::string(kIsolationEnv) + "=" + value +
              " is not an isolation level: use auto (the default), namespaces, userns or chroot");
}

std::string DescribeNamespaceRefusal(const std::string& status_text, long max_user_namespaces, bool is_root,
                                     bool seccomp_too) {
  std::vector<std::string> causes;
  if (seccomp_too && StatusField(status_text, "Seccomp") == "2")
    causes.push_back("a seccomp filter refuses namespaces (docker's and podman's default profiles do; "
                     "--security-opt seccomp=unconfined allows them)");
  if (max_user_namespaces == 0)
    causes.push_back("user namespaces are switched off (/proc/sys/user/max_user_namespaces is 0)");
  std::string cap_eff = StatusField(status_text, "CapEff");
  unsigned long long eff = cap_eff.empty() ? 0 : std::strtoull(cap_eff.c_str(), nullptr, 16);
  if (is_root && !(eff & (1ULL << CAP_SYS_ADMIN)))
    causes.push_back("this process lacks CAP_SYS_ADMIN (--cap-add SYS_ADMIN)");
  if (!is_root && StatusField(status_text, "NoNewPrivs") == "1")
    causes.push_back("no_new_privs is set, so the setuid newuidmap cannot map ids (--security-opt "
                     "no-new-privileges=false, allowPrivilegeEscalation: true)");
  if (causes.empty()) return "the kernel or the container's settings refuse them";
  std::string out;
  for (size_t i = 0; i < causes.size(); ++i) out += (i ? "; " : "") + causes[i];
  return out;
}

std::optional<int> EnterIsolation() {
  const char* env = std::getenv(kIsolationEnv);
  std::optional<Isolation> forced = ParseIsolation(env ? env : "");
  std::optional<int> exit_code;
  if (::geteuid() != 0) {
    ChooseForNonRoot(forced, &exit_code);
  } else {
    ChooseForRoot(forced, &exit_code);
  }
  return exit_code;
}

const IsolationChoice& CurrentIsolation() { return g_choice; }

std::string IsolationNote() {
  switch (g_choice.level) {
    case Isolation::kNamespaces:
      return "";
    case Isolation::kUserNamespace:
      return "note: isolation: a user namespace of cairn's own (" + g_choice.why + "); RUN steps are isolated as on a host" +
             (CanSetHostname() ? "" : ", except that a seccomp filter refuses sethostname, so they see this container's hostname");
    case Isolation::kChroot:
      return "note: isolation: chroot, because " + g_choice.why +
             ". Each RUN step runs chrooted in a copy of its tree, with this container's network, processes and "
             "hostname and without /proc and /sys: the container is the sandbox. For full isolation allow "
             "namespaces (docker run --security-opt seccomp=unconfined, or --privileged)";
    case Isolation::kNone:
      return "note: RUN cannot run here: " + RunUnavailableReason();
  }
  return "";
}

bool CanSetHostname() {
  static const bool can = [] {
    pid_t pid = ::fork();
    if (pid < 0) return true;  // the container's own setup reports what fails
    if (pid == 0) ::_exit(::unshare(CLONE_NEWUTS) == 0 && ::sethostname("cairn", 5) == 0 ? 0 : 1);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
      if (errno != EINTR) return true;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return can;
}

std::string RunUnavailableReason() {
  if (g_choice.level != Isolation::kNone) return "";
  return g_choice.why + "; and cairn is not root, so it can neither chroot nor set a step's user. Builds without RUN work; "
         "for RUN, run cairn as root in the container (user: root, or runAsUser: 0), or allow user namespaces";
}

}  // namespace cairn::runtime
