#include "runtime/tree_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string_view>

#include "base/error.h"
#include "base/fs.h"
#include "base/overlay_marks.h"
#include "base/owner.h"


namespace cairn::runtime {

namespace {

// The xattrs a layer carries (store/tar_rules.cc's allow-list): losing one would change the
// image, so failing to copy one is an error. Others (security labels, trusted.* in a user
// namespace) are copied where the kernel lets us and are never part of a layer.
bool MustCopyXattr(std::string_view name) {
  return name == "security.capability" || name.rfind("user.", 0) == 0;
}

void CopyXattrs(const std::string& src, const std::string& dst) {
  for (const auto& [name, value] : ListXattrs(src, [](std::string_view n) { return !IsOverlayXattr(n); }))
    if (::lsetxattr(dst.c_str(), name.c_str(), value.data(), value.size(), 0) != 0 && MustCopyXattr(name))
      throw SysError("setxattr " + name, dst);
}

void CopyBytes(const std::string& src, const std::string& dst) {
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) throw SysError("open", src);
  UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) throw SysError("create", dst);
  if (::ioctl(out.get(), FICLONE, in.get()) == 0) return;  // btrfs, xfs: shares the blocks
  // In the kernel, without a round trip through user space (and server-side on NFS).
  for (;;) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) throw SysError("copy to " + dst + " from", src);
    break;  // an old kernel or a file system that cannot: plain reads and writes
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", src);
    if (n == 0) return;
    WriteAll(out.get(), buf, static_cast<size_t>(n), dst);
  }
}

}  // namespace

void CopyMetadata(const std::string& src, const struct stat& st, const std::string& dst) {
  // Owner before mode: chown clears setuid/setgid; xattrs after both: chown clears
  // security.capability; times last, since every other change touches them.
  // A non-root copy cannot chown, and needs not: the owner record is an xattr (base/owner.h).
  if (!OwnersRecorded() && ::lchown(dst.c_str(), st.st_uid, st.st_gid) != 0) throw SysError("chown", dst);
  if (!S_ISLNK(st.st_mode) && ::chmod(dst.c_str(), st.st_mode & 07777) != 0) throw SysError("chmod", dst);
  CopyXattrs(src, dst);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("set times of", dst);
}

void CopyEntry(const std::string& src, const struct stat& st, const std::string& dst, LinkMap* links) {
  if (links && !S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto [it, first] = links->try_emplace({st.st_dev, st.st_ino}, dst);
    if (!first) {
      if (::link(it->second.c_str(), dst.c_str()) != 0) throw SysError("link to " + it->second + " at", dst);
      return;
    }
  }
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
      if (::mkdir(dst.c_str(), 0700) != 0) throw SysError("mkdir", dst);
      return;  // metadata: the caller, after the children
    case S_IFREG: CopyBytes(src, dst); break;
    case S_IFLNK:
      if (::symlink(ReadSymlink(src).c_str(), dst.c_str()) != 0) throw SysError("symlink", dst);
      break;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
      // A device in a user namespace fails with EPERM, as it did when the layer was unpacked.
      if (::mknod(dst.c_str(), st.st_mode & S_IFMT, st.st_rdev) != 0) throw SysError("mknod", dst);
      break;
    default: return;  // a socket: nothing a copy could carry (layers skip them too)
  }
  CopyMetadata(src, st, dst);
}

void CopyTree(const std::string& src, const std::string& dst, LinkMap& links) {
  struct stat st;
  if (::lstat(src.c_str(), &st) != 0) throw SysError("lstat", src);
  CopyEntry(src, st, dst, &links);
  if (!S_ISDIR(st.st_mode)) return;
  for (const std::string& name : ListDir(src)) CopyTree(JoinPath(src, name), JoinPath(dst, name), links);
  CopyMetadata(src, st, dst);
}

}  // namespace cairn::runtime
