// Rootless mode: a non-root user runs cairn inside a user namespace in which it is "root".
//
// EnterRootless() is called first thing in main(), before any store access. For a non-root user it
// forks: the child unshares a user and a mount namespace; the parent maps the child's ids with the
// setuid helpers newuidmap/newgidmap (package uidmap) as
//     0 -> the caller's uid/gid,   1..N -> the caller's range in /etc/subuid and /etc/subgid,
// then waits for it and exits with its status. The child becomes uid/gid 0 of the namespace and
// runs cairn as usual. Ids map 1:1 inside, so chown, tar extraction with owners and layer commit
// see the same numbers as a root build, and the same Dockerfile gives the same image digests.
//
// The environment variable kRootlessEnv marks a process that is already inside (also inherited by
// cairn re-executing itself), so nothing enters twice.
//
// The differences a user namespace makes elsewhere, each at its one place:
//   - overlay mounts take "userxattr" (OverlayUserxattr()): trusted.* xattrs cannot be set in a
//     user namespace, so overlay keeps opaque markers in user.overlay.* (kernel >= 5.11);
//     where that mount fails, steps run on copies instead (runtime/snapshotter.h), whose upper
//     dirs carry opaque markers in user.overlay.* and whiteouts as char 0/0 (allowed since 5.8);
//   - the layer extractor writes user.overlay.opaque, the layer committer reads it;
//   - the container bind-mounts the host's /dev nodes (mknod is not allowed) and mounts /proc and
//     /sys while the host's are still visible (runtime/child_root.cc).
#pragma once

#include <optional>
#include <string>

namespace cairn::runtime {

inline constexpr const char* kRootlessEnv = "CAIRN_ROOTLESS";
// The same for root's own user namespace (EnterOwnUserNamespace, runtime/isolation.h).
inline constexpr const char* kOwnUserNamespaceMarker = "CAIRN_OWN_USERNS";

// One line of /etc/subuid or /etc/subgid: ids start..start+count-1 belong to the user.
struct SubordinateRange {
  unsigned long start = 0;
  unsigned long count = 0;
};

// The first range in `file_text` (the text of /etc/subuid or /etc/subgid) whose owner field is
// `user` or the decimal `id`; nullopt when there is none. Malformed lines are skipped, as shadow's
// own parser does.
std::optional<SubordinateRange> FindSubordinateRange(const std::string& file_text, const std::string& user,
                                                     unsigned long id);

// True when this process is in a user namespace other than the initial one (its uid_map is not
// the identity over all ids). Computed once; safe after clone() (no allocation).
bool InUserNamespace();

// ",userxattr" inside a user namespace, "" otherwise: appended to every overlay mount's options.
const char* OverlayUserxattr();
// The value of overlay's redirect_dir: "off" as root, "nofollow" with userxattr (the kernel reads
// "off" as "follow" when CONFIG_OVERLAY_FS_REDIRECT_ALWAYS_FOLLOW, which userxattr refuses). Both
// create no redirects, so the upper dir alone still describes the change.
const char* OverlayRedirectDir();

// How entering went, in the process that called it:
//   exit_code set:     this is the waiting parent; main() must return exit_code;
//   unshare_errno set: the kernel refused the namespaces (seccomp, no CAP_SYS_ADMIN, user
//                      namespaces off); nothing changed and this process goes on as itself;
//   neither:           go on, inside the namespace (or nothing was needed: root, already inside).
struct EnterResult {
  std::optional<int> exit_code;
  int unshare_errno = 0;
};

// See the file comment. Throws cairn::Error when the user has no subordinate ids or the helpers
// fail.
EnterResult EnterRootless();

// Root without CAP_SYS_ADMIN (runtime/isolation.h, kUserNamespace): the same dance, but the
// parent, which holds CAP_SETUID and CAP_SETGID, writes the child's maps itself: every id this
// process has, mapped onto itself. Ids stay the same numbers inside, so layers are unchanged.
EnterResult EnterOwnUserNamespace();

}  // namespace cairn::runtime
