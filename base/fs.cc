#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "base/error.h"
#include "base/scope_guard.h"

namespace cairn {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void WriteAll(int fd, const void* data, size_t size, std::string_view what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("write", what);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

static void FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) ::fsync(fd.get());
}

namespace {

// Reads until buf is full or the file ends: the byte count.
size_t ReadFull(int fd, char* buf, size_t size, const std::string& path) {
  size_t got = 0;
  while (got < size) {
    ssize_t r = ::read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw SysError("read", path);
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

}  // namespace

XattrList ListXattrs(const std::string& path, bool (*keep)(std::string_view name)) {
  XattrList out;
  ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
  if (n <= 0) return out;  // none, or the file system has no xattrs
  std::string names(static_cast<size_t>(n), '\0');
  n = ::llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) throw SysError("listxattr", path);
  for (size_t i = 0; i < static_cast<size_t>(n);) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (!keep(name)) continue;
    ssize_t len = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (len < 0) continue;
    std::string value(static_cast<size_t>(len), '\0');
    len = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (len < 0) throw SysError("getxattr " + name, path);
    value.resize(static_cast<size_t>(len));
    out.emplace_back(std::move(name), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadSymlink(const std::string& path) {
  for (size_t size = 256;; size *= 2) {
    std::string target(size, '\0');
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) throw SysError("readlink", path);
    if (static_cast<size_t>(n) < size) {  // else it may have been cut short: try a larger buffer
      target.resize(static_cast<size_t>(n));
      return target;
    }
  }
}

bool SameEntry(const std::string& a, const struct stat& sa, const std::string& b, const struct stat& sb,
               bool (*keep_xattr)(std::string_view name)) {
  if ((sa.st_mode & (S_IFMT | 07777)) != (sb.st_mode & (S_IFMT | 07777)) || sa.st_uid != sb.st_uid ||
      sa.st_gid != sb.st_gid || sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
    return false;
  if ((S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) && sa.st_rdev != sb.st_rdev) return false;
  if (S_ISREG(sa.st_mode) && sa.st_size != sb.st_size) return false;
  if (ListXattrs(a, keep_xattr) != ListXattrs(b, keep_xattr)) return false;
  if (S_ISLNK(sa.st_mode)) return ReadSymlink(a) == ReadSymlink(b);
  if (S_ISREG(sa.st_mode)) return SameFileBytes(a, b);
  return true;
}

bool SameFileBytes(const std::string& a, const std::string& b) {
  UniqueFd fa(::open(a.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)), fb(::open(b.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fa) throw SysError("open", a);
  if (!fb) throw SysError("open", b);
  std::vector<char> ba(1 << 16), bb(1 << 16);
  for (;;) {
    size_t ra = ReadFull(fa.get(), ba.data(), ba.size(), a), rb = ReadFull(fb.get(), bb.data(), bb.size(), b);
    if (ra != rb || std::memcmp(ba.data(), bb.data(), ra) != 0) return false;
    if (ra == 0) return true;
  }
}

void WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode) {
  std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  if (dir.empty()) dir = ".";
  std::string tmp = path + ".tmp-XXXXXX";
  std::unique_ptr<char[]> name(new char[tmp.size() + 1]);
  std::memcpy(name.get(), tmp.c_str(), tmp.size() + 1);
  UniqueFd fd(::mkostemp(name.get(), O_CLOEXEC));
  if (!fd) throw SysError("create", tmp);
  {
    ScopeFail remove_tmp([&] { ::unlink(name.get()); });
    WriteAll(fd.get(), data.data(), data.size(), name.get());
    if (::fchmod(fd.get(), mode) != 0) throw SysError("chmod", name.get());
    if (::fsync(fd.get()) != 0) throw SysError("fsync", name.get());
    fd.Reset();
    if (::rename(name.get(), path.c_str()) != 0) throw SysError("rename to", path);
  }
  FsyncDir(dir);
}

void MakeDirs(const std::string& path, unsigned mode) {
  if (path.empty()) return;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw Error("mkdir " + path + ": exists and is not a directory");
  }
  auto slash = path.rfind('/', path.size() > 1 ? path.size() - 2 : 0);
  if (slash != std::string::npos && slash > 0) MakeDirs(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno == EEXIST) return;
    throw SysError("mkdir", path);
  }
  // Exactly `mode`, whatever the caller's umask: a step's upper dir is the container's `/`, so a
  // umask 077 would make it 0700 and lock every non-root USER out (DESIGN: no host process state
  // reaches a build).
  if (::chmod(path.c_str(), mode) != 0) throw SysError("chmod", path);
}

static void RemoveAt(int dirfd, const char* name, dev_t dev) {
  struct stat st;
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw SysError("stat", name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev) throw Error(std::string("remove ") + name + ": a mount point is in the way (unmount it first)");
    int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw SysError("open", name);
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      throw SysError("opendir", name);
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names.push_back(e->d_name);
    }
    {
      ScopeExit close_dir([d] { ::closedir(d); });
      for (auto& n : names) RemoveAt(::dirfd(d), n.c_str(), dev);
    }
    if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) throw SysError("rmdir", name);
  } else if (::unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
    throw SysError("unlink", name);
  }
}

void RemoveAll(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw SysError("stat", path);
  }
  try {
    RemoveAt(AT_FDCWD, path.c_str(), st.st_dev);
  } catch (const std::exception& e) {
    throw Wrap("remove " + path, e);
  }
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string JoinPath(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += '/';
  out += b;
  return out;
}

std::vector<std::string> ListDir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) throw SysError("opendir", path);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.push_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string MakeTempDir(const std::string& parent, std::string_view prefix) {
  std::string tmpl = JoinPath(parent, std::string(prefix) + "XXXXXX");
  std::unique_ptr<char[]> name(new char[tmpl.size() + 1]);
  std::memcpy(name.get(), tmpl.c_str(), tmpl.size() + 1);
  if (!::mkdtemp(name.get())) throw SysError("mkdtemp", tmpl);
  return name.get();
}

}  // namespace cairn
