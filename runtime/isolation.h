// How strongly RUN steps can be isolated here: the one place that decides, once per process.
//
// cairn runs on hosts and inside CI containers (GitLab's docker executor, Kubernetes pods,
// GitHub's container jobs) whose settings refuse some of what a container needs. It takes the
// strongest level the environment allows:
//   kNamespaces     mount, PID, UTS, IPC, network and cgroup namespaces, made directly (root with
//                   CAP_SYS_ADMIN), or inside the user namespace a non-root user enters through
//                   newuidmap (runtime/userns.h);
//   kUserNamespace  root without CAP_SYS_ADMIN (docker's default capabilities, a pod's): cairn
//                   enters a user namespace of its own first, mapping every id onto itself (root
//                   may write its own map: no setuid helper, no /etc/subuid), and is then
//                   isolated as with kNamespaces. Same ids, so the same layers;
//   kChroot         no namespace can be made at all (docker's default seccomp profile refuses
//                   unshare and clone's namespace flags): each RUN runs chrooted in a copy of its
//                   tree (the copying snapshotter's, runtime/snapshotter.h) with the container's
//                   own network, processes and hostname, no /proc and /sys, and only the
//                   capabilities the process holds. The CI container is the sandbox, as with
//                   kaniko;
//   kNone           not root and no namespace: RUN cannot run (a process can neither chroot nor
//                   set ids); image verbs and builds without RUN still work.
// CAIRN_ISOLATION=auto|namespaces|userns|chroot forces a level (auto, the default, probes); a
// forced level the environment cannot give fails the first RUN with the probe's reason.
#pragma once

#include <optional>
#include <string>

namespace cairn::runtime {

enum class Isolation { kNamespaces, kUserNamespace, kChroot, kNone };

inline constexpr const char* kIsolationEnv = "CAIRN_ISOLATION";

struct IsolationChoice {
  Isolation level = Isolation::kNamespaces;
  // Why not a stronger level: the refused call and its cause, in words a user can act on ("" at
  // kNamespaces).
  std::string why;
};

// First thing in main(), while the process has one thread, in place of EnterRootless: decides
// the level and, for kUserNamespace or a non-root user, enters the user namespace (the calling
// process then waits for the one inside and returns its exit code: the caller exits with it).
// nullopt: go on in this process. Root probes with one fork (about a millisecond). Throws
// cairn::Error for a bad CAIRN_ISOLATION value.
std::optional<int> EnterIsolation();

// The level EnterIsolation chose (kNamespaces if it was not called: tests of the runtime).
const IsolationChoice& CurrentIsolation();

// One line for the build's output when the level is below kNamespaces ("" otherwise): which
// level, why, and what the user can change to get full isolation.
std::string IsolationNote();

// 0 when a forked child could unshare(flags), else the errno it got: the one probe of what the
// kernel and the container's settings allow (the level above, runtime.cc's trees).
int ProbeUnshare(int flags);

// Whether a container may set its hostname: podman's default seccomp profile refuses
// sethostname to a container without CAP_SYS_ADMIN even in a UTS namespace of its own. Probed
// once, in a child; where refused, RUN steps keep the CI container's hostname (IsolationNote
// says so).
bool CanSetHostname();

// Why RUN cannot work here ("" when it can): the message of a RUN refused at kNone.
std::string RunUnavailableReason();

// The words for a refused namespace call: the cause found in /proc/self/status (a seccomp filter,
// no_new_privs, a missing CAP_SYS_ADMIN, user namespaces switched off) and the docker/podman
// setting that allows it. status_text: the text of /proc/self/status; max_user_namespaces: the
// value of /proc/sys/user/max_user_namespaces (-1 unknown). Exposed for tests.
// seccomp_too: whether to name an active seccomp filter as a cause (not when a user namespace
// could be made: that filter then allows namespaces, and only the capability is missing).
std::string DescribeNamespaceRefusal(const std::string& status_text, long max_user_namespaces, bool is_root,
                                     bool seccomp_too = true);

// Parses CAIRN_ISOLATION's value; nullopt for "auto" or empty. Throws cairn::Error naming the
// accepted values. Exposed for tests.
std::optional<Isolation> ParseIsolation(const std::string& value);

const char* IsolationName(Isolation level);

}  // namespace cairn::runtime
