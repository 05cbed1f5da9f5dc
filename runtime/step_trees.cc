#include "runtime/step_trees.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/error.h"
#include "base/fs.h"
#include "runtime/child_plan.h"
#include "runtime/merged_tree.h"
#include "runtime/snapshotter.h"
#include "runtime/upper_diff.h"
#include "runtime/userns.h"

namespace cairn::runtime {

std::string OverlayOptions(const OverlayDirs& dirs, std::string* chdir_to) {
  std::string cwd;
  std::optional<std::string> opts = OverlayOptions(dirs.lowerdirs, dirs.upperdir, dirs.workdir, &cwd);
  if (!opts)
    throw Error("mount overlay: the options for " + std::to_string(dirs.lowerdirs.size()) +
                " layers do not fit in one page");
  if (chdir_to) *chdir_to = cwd;
  return *opts;
}

// Mounts one stack at `target` (in the child). Overlay needs two lowerdirs when it has no upper,
// so a read-only single layer is a read-only bind mount instead.
static void MountStack(const OverlayDirs& dirs, const std::string& target, const std::string& empty_dir) {
  OverlayDirs d = dirs;
  if (d.lowerdirs.empty()) d.lowerdirs.push_back(empty_dir);
  if (d.upperdir.empty() && d.lowerdirs.size() == 1) {
    if (::mount(d.lowerdirs[0].c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      throw SysError("bind mount " + d.lowerdirs[0] + " on", target);
    if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
      throw SysError("remount read-only", target);
    return;
  }
  std::string cwd;
  std::string opts = OverlayOptions(d, &cwd);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) throw SysError("chdir", cwd);
  unsigned long flags = d.upperdir.empty() ? MS_RDONLY : 0;
  if (::mount("overlay", target.c_str(), "overlay", flags, opts.c_str()) != 0)
    throw SysError("mount overlay (" + opts + ") on", target);
}

// The copying snapshotter (runtime/snapshotter.h): a writable stack becomes a copy of its merged
// lowers, whose change is written into its upper dir after fn; a read-only one of several layers
// becomes links to the layers' files, bound read-only; one layer alone is bound as with overlay.
static void MakeCopiedStack(const OverlayDirs& dirs, const std::string& target, const std::string& empty,
                            std::optional<MergedRecord>* made) {
  if (!dirs.upperdir.empty()) {
    *made = MaterialiseMerged(dirs.lowerdirs, target, FileCopies::kCopy);
    return;
  }
  if (dirs.lowerdirs.size() <= 1) return MountStack(dirs, target, empty);
  std::string links = target + "-links";
  MaterialiseMerged(dirs.lowerdirs, links, FileCopies::kHardLink);
  MountStack({{links}, "", ""}, target, empty);
}

static void ChildMain(const std::string& scratch, const std::vector<OverlayDirs>& stacks, Snapshotter how,
                      const std::function<void(const std::vector<std::string>&)>& fn) {
  // Files the builder creates get the modes it asks for, never the caller's umask (reproducibility).
  ::umask(0);
  if (::unshare(CLONE_NEWNS) != 0) throw SysError("unshare mount namespace", "");
  // Keep our mounts from propagating back to the host's namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw SysError("make mounts private", "/");
  std::string empty = JoinPath(scratch, "empty");
  MakeDirs(empty);
  std::vector<std::string> roots;
  std::vector<std::optional<MergedRecord>> made(stacks.size());
  for (size_t i = 0; i < stacks.size(); i++) {
    std::string target = JoinPath(scratch, "root" + std::to_string(i));
    MakeDirs(target);
    if (how == Snapshotter::kCopy)
      MakeCopiedStack(stacks[i], target, empty, &made[i]);
    else
      MountStack(stacks[i], target, empty);
    roots.push_back(target);
  }
  fn(roots);
  for (size_t i = 0; i < stacks.size(); i++)
    if (made[i]) WriteUpperDiff(roots[i], *made[i], stacks[i].upperdir);
}

// Runs body in a forked child; an exception there comes back with its message as an Error.
static void InChild(const std::function<void()>& body) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw SysError("pipe", "");
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork", "");
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string message;
    try {
      body();
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
      message = "unknown error";
    }
    if (!message.empty()) {
      (void)!::write(pipefd[1], message.data(), message.size());
      ::_exit(1);
    }
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string message;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!message.empty()) throw Error(message);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("file operation child died unexpectedly");
}

void WithMountedStacks(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                       const std::function<void(const std::vector<std::string>& roots)>& fn) {
  // Chosen here, in the builder's process, so that the probe runs once and not in every child.
  Snapshotter how = ChooseSnapshotter(scratch);
  InChild([&] { ChildMain(scratch, stacks, how, fn); });
}

// No mount at all: copies for writable stacks (their change written into upperdir after fn),
// links for read-only stacks of several layers, a single layer's own directory otherwise.
static void CopiedChildMain(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                            const std::function<void(const std::vector<std::string>&)>& fn) {
  ::umask(0);  // as in ChildMain: modes are the builder's, never the caller's umask
  std::string empty = JoinPath(scratch, "empty");
  MakeDirs(empty);
  std::vector<std::string> roots;
  std::vector<std::optional<MergedRecord>> made(stacks.size());
  for (size_t i = 0; i < stacks.size(); i++) {
    const OverlayDirs& dirs = stacks[i];
    std::string target = JoinPath(scratch, "root" + std::to_string(i));
    if (!dirs.upperdir.empty()) {
      made[i] = MaterialiseMerged(dirs.lowerdirs, target, FileCopies::kCopy);
    } else if (dirs.lowerdirs.size() > 1) {
      MaterialiseMerged(dirs.lowerdirs, target, FileCopies::kHardLink);
    } else {
      target = dirs.lowerdirs.empty() ? empty : dirs.lowerdirs[0];
    }
    roots.push_back(target);
  }
  fn(roots);
  for (size_t i = 0; i < stacks.size(); i++)
    if (made[i]) WriteUpperDiff(roots[i], *made[i], stacks[i].upperdir);
}

void WithCopiedStacks(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                      const std::function<void(const std::vector<std::string>& roots)>& fn) {
  InChild([&] { CopiedChildMain(scratch, stacks, fn); });
}

}  // namespace cairn::runtime
