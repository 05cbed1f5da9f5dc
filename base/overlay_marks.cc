#include "base/overlay_marks.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"

namespace cairn {

namespace {

constexpr const char* kWhiteoutXattr = "user.cairn.whiteout";

bool XattrIsY(const std::string& path, const char* name) {
  char v[4];
  ssize_t n = ::lgetxattr(path.c_str(), name, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

}  // namespace

void MakeWhiteoutAt(int dirfd, const std::string& name) {
  if (::mknodat(dirfd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0) return;
  if (errno != EPERM) throw SysError("mknod whiteout", name);
  int fd = ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) throw SysError("make whiteout file", name);
  int rc = ::fsetxattr(fd, kWhiteoutXattr, "y", 1, 0);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    ::unlinkat(dirfd, name.c_str(), 0);
    throw SysError(std::string("mknod whiteout refused, and setxattr ") + kWhiteoutXattr, name, err);
  }
}

bool IsWhiteout(const std::string& path, const struct stat& st) {
  if (S_ISCHR(st.st_mode)) return st.st_rdev == makedev(0, 0);
  return S_ISREG(st.st_mode) && st.st_size == 0 && XattrIsY(path, kWhiteoutXattr);
}

void MarkOpaqueFd(int fd, const std::string& shown) {
  if (::fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) == 0) return;
  if (errno != EPERM || ::fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) != 0) throw SysError("setxattr opaque", shown);
}

void MarkOpaque(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw SysError("open", dir);
  MarkOpaqueFd(fd.get(), dir);
}

std::optional<LowerEntry> FindInLowers(const std::vector<std::string>& dirs, const std::string& name,
                                       std::vector<std::string>* below) {
  std::optional<LowerEntry> found;
  for (const std::string& dir : dirs) {
    std::string p = dir + "/" + name;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      throw SysError("lstat", p);
    }
    if (!found) {
      if (IsWhiteout(p, st)) return std::nullopt;
      found = LowerEntry{p, st};
      if (!S_ISDIR(st.st_mode)) return found;
    } else if (!S_ISDIR(st.st_mode)) {
      break;  // a file or whiteout below a directory ends what merges into it
    }
    if (below) below->push_back(p);
    if (IsOpaqueDir(p)) break;
  }
  return found;
}

bool IsOverlayXattr(std::string_view name) {
  return name.rfind("trusted.overlay.", 0) == 0 || name.rfind("user.overlay.", 0) == 0;
}

bool IsMarkerXattr(std::string_view name) {
  return name == "trusted.overlay.opaque" || name == "user.overlay.opaque" || name == kWhiteoutXattr;
}

bool IsOpaqueDir(const std::string& path) {
  return XattrIsY(path, "trusted.overlay.opaque") || XattrIsY(path, "user.overlay.opaque");
}

}  // namespace cairn
