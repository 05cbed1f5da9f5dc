#include "store/scratch.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/fs.h"

namespace cairn::store {

std::string ScratchPrefix(std::string_view prefix) {
  return std::to_string(::getpid()) + "." + std::string(prefix);
}

// The pid an entry name starts with, or 0 when the name does not follow ScratchPrefix.
static pid_t OwnerPid(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos || dot > 10) return 0;
  for (size_t i = 0; i < dot; i++)
    if (name[i] < '0' || name[i] > '9') return 0;
  return static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10));
}

static bool IsRunning(pid_t pid) {
  // EPERM means the process exists but belongs to someone else: still running.
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

void SweepDeadScratch(const std::string& tmp_dir) {
  std::vector<std::string> names;
  try {
    names = ListDir(tmp_dir);
  } catch (const std::exception&) {
    return;
  }
  for (auto& name : names) {
    pid_t pid = OwnerPid(name);
    if (pid <= 0 || pid == ::getpid() || IsRunning(pid)) continue;
    try {
      RemoveAll(JoinPath(tmp_dir, name));
    } catch (const std::exception&) {
      // Kept for `cairn check` to report; see the header.
    }
  }
}

void SpreadScratchDirs(const std::string& tmp_dir) {
  UniqueFd fd(::open(tmp_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int flags = 0;
  if (!fd || ::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) != 0 || (flags & FS_TOPDIR_FL)) return;
  flags |= FS_TOPDIR_FL;
  (void)::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags);  // see the header: a refusal changes nothing
}

std::string MakeScratchDir(const std::string& tmp_dir, std::string_view prefix) {
  return MakeTempDir(tmp_dir, ScratchPrefix(prefix));
}

}  // namespace cairn::store
