#include "base/owner.h"

#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "base/error.h"

namespace cairn {

bool OwnersRecorded() {
  static const bool recorded = ::geteuid() != 0;
  return recorded;
}

void SetOwner(const std::string& path, uid_t uid, gid_t gid) {
  if (!OwnersRecorded()) {
    if (::lchown(path.c_str(), uid, gid) != 0) throw SysError("chown", path);
    return;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) throw SysError("stat", path);
  if (S_ISLNK(st.st_mode)) {
    if (uid == 0 && gid == 0) return;
    throw Error("chown " + path + " to " + std::to_string(uid) + ":" + std::to_string(gid) +
                ": a symlink owned by anyone but root needs cairn to run as root or in a user namespace");
  }
  if (uid == 0 && gid == 0) {
    if (::removexattr(path.c_str(), kOwnerXattr) != 0 && errno != ENODATA) throw SysError("removexattr", path);
    return;
  }
  std::string value = std::to_string(uid) + ":" + std::to_string(gid);
  if (::setxattr(path.c_str(), kOwnerXattr, value.data(), value.size(), 0) != 0)
    throw SysError(std::string("record the owner (xattr ") + kOwnerXattr + ") of", path);
}

void ApplyRecordedOwner(const std::string& path, struct stat& st) {
  if (!OwnersRecorded()) return;
  st.st_uid = 0;
  st.st_gid = 0;
  if (S_ISLNK(st.st_mode)) return;
  char value[64];
  ssize_t n = ::lgetxattr(path.c_str(), kOwnerXattr, value, sizeof value - 1);
  if (n <= 0) return;
  value[n] = '\0';
  unsigned long uid = 0, gid = 0;
  if (std::sscanf(value, "%lu:%lu", &uid, &gid) == 2) {
    st.st_uid = static_cast<uid_t>(uid);
    st.st_gid = static_cast<gid_t>(gid);
  }
}

}  // namespace cairn
