// Small file-system helpers shared by every folder. All of them throw cairn::Error naming the path.
#pragma once

#include <sys/stat.h>

#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace cairn {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.Release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Whole-file read. Throws if the file cannot be read.
std::string ReadFile(const std::string& path);
// The extended attributes of path (never followed) whose names keep() accepts, sorted by name.
// One that cannot be read (trusted.* in a user namespace) or vanished meanwhile is skipped.
using XattrList = std::vector<std::pair<std::string, std::string>>;  // name, value
XattrList ListXattrs(const std::string& path, bool (*keep)(std::string_view name));

// A symlink's target, whatever its length. Throws Error naming the path.
std::string ReadSymlink(const std::string& path);

// Whether the entries at a and b (sa, sb: their lstat) look the same to a process: type,
// permission bits, owner, mtime to the nanosecond, device number, size, the xattrs keep() accepts,
// and content (regular files) or target (symlinks). ctime, atime and link count are not compared.
bool SameEntry(const std::string& a, const struct stat& sa, const std::string& b, const struct stat& sb,
               bool (*keep_xattr)(std::string_view name));

// Whether the regular files at a and b (never followed) hold the same bytes; read in blocks, so
// any size. Throws Error naming the path that cannot be read.
bool SameFileBytes(const std::string& a, const std::string& b);
// Writes data to path atomically: a temp file beside it, fsync, rename, fsync of the directory.
// On failure the temp file is removed and path is untouched.
void WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// Writes all bytes to fd, retrying on EINTR and short writes.
void WriteAll(int fd, const void* data, size_t size, std::string_view what);

// mkdir -p with exactly the given mode (the umask does not apply) for directories it creates.
void MakeDirs(const std::string& path, unsigned mode = 0755);
// rm -rf; a missing path is not an error. Never follows symlinks; crosses no mount point.
void RemoveAll(const std::string& path);
bool PathExists(const std::string& path);  // lstat succeeds
bool IsDirectory(const std::string& path);  // stat says directory (follows links)

// Joins with exactly one '/' between parts.
std::string JoinPath(std::string_view a, std::string_view b);
// Names in a directory, sorted bytewise, without "." and "..".
std::vector<std::string> ListDir(const std::string& path);
// A fresh directory under parent named prefix + random suffix.
std::string MakeTempDir(const std::string& parent, std::string_view prefix);

}  // namespace cairn
