#include "runtime/snapshotter.h"

#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "runtime/child_plan.h"
#include "runtime/isolation.h"
#include "runtime/userns.h"

namespace cairn::runtime {

namespace {

// In a forked child, so that the mount lives in a namespace of its own and vanishes with it.
// Only system calls on strings made before fork(): the parent may have other threads.
[[noreturn]] void Probe(const std::string& merged, const std::string& options) {
  bool ok = ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
            ::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) == 0;
  // A whiteout (unlink of a lower file) and an opaque directory (a directory made again).
  std::string f = merged + "/f", d = merged + "/d";
  ok = ok && ::unlink(f.c_str()) == 0 && ::rmdir(d.c_str()) == 0 && ::mkdir(d.c_str(), 0755) == 0;
  ::_exit(ok ? 0 : 1);
}

bool Decide(const std::string& scratch_dir) {
  if (SnapshotterForced()) {
    std::string v = std::getenv(kSnapshotterEnv);
    if (v == "copy") return false;
    if (v == "overlay") return true;
    throw Error(std::string(kSnapshotterEnv) + "=" + v + " is not a snapshotter: use \"overlay\" or \"copy\" (or unset it)");
  }
  return OverlayWorksIn(scratch_dir);
}

}  // namespace

bool SnapshotterForced() {
  const char* forced = std::getenv(kSnapshotterEnv);
  return forced && *forced;
}

bool OverlayWorksIn(const std::string& dir) {
  std::string base = MakeTempDir(dir, "overlay-probe-");
  std::string lower = JoinPath(base, "l"), upper = JoinPath(base, "u"), work = JoinPath(base, "w"),
              merged = JoinPath(base, "m");
  ScopeExit remove_probe([&] { RemoveAll(base); });
  for (const std::string& d : {lower, JoinPath(lower, "d"), upper, work, merged}) MakeDirs(d);
  WriteFileAtomic(JoinPath(lower, "f"), "");
  std::string cwd;
  std::string options = *OverlayOptions({lower}, upper, work, &cwd);  // absolute: one short lowerdir
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork", "overlay probe");
  if (pid == 0) Probe(merged, options);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw SysError("waitpid", "overlay probe");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string CopyingSnapshotterReason(const std::string& store_dir) {
  Isolation level = CurrentIsolation().level;
  if (level == Isolation::kChroot || level == Isolation::kNone) return "";
  constexpr long kOverlayMagic = 0x794c7630;  // OVERLAYFS_SUPER_MAGIC
  struct statfs fs;
  if (::statfs(store_dir.c_str(), &fs) == 0 && fs.f_type == kOverlayMagic)
    return "the store " + store_dir + " is on overlayfs (as a container's own root is), which overlay cannot use "
           "as an upper layer; each step works on a copy of its parent's files instead, which is slower. Put the "
           "store on a volume (docker run -v cairn-store:" + store_dir + ")";
  return "overlay cannot be mounted in the store " + store_dir +
         " (its file system, or this kernel without rootless overlay); each step works on a copy of its parent's "
         "files instead, which is slower. A store on ext4 or xfs avoids this.";
}

Snapshotter ChooseSnapshotter(const std::string& scratch_dir) {
  static std::once_flag once;
  static bool overlay = true;
  std::call_once(once, [&] { overlay = Decide(scratch_dir); });
  return overlay ? Snapshotter::kOverlay : Snapshotter::kCopy;
}

}  // namespace cairn::runtime
