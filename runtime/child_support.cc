#include "runtime/child_support.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "runtime/report.h"

namespace cairn::runtime::child {

namespace {
int g_report_fd = -1;  // per process: each child sets its own copy
}

void SetReportFd(int fd) { g_report_fd = fd; }
int ReportFd() { return g_report_fd; }

void Append(char* buf, size_t cap, const char* s) {
  size_t len = ::strnlen(buf, cap);
  while (*s && len + 1 < cap) buf[len++] = *s++;
  buf[len < cap ? len : cap - 1] = '\0';
}

void Fail(int err, const char* a, const char* b, const char* c) {
  ChildReport r;
  r.kind = ChildReport::kSetupError;
  r.err = err;
  Append(r.what, sizeof r.what, a);
  Append(r.what, sizeof r.what, b);
  Append(r.what, sizeof r.what, c);
  ssize_t ignored = ::write(g_report_fd, &r, sizeof r);
  (void)ignored;  // nothing more can be done: the parent sees a failed child either way
  ::_exit(125);
}

void Must(int rc, const char* a, const char* b, const char* c) {
  if (rc != 0) Fail(errno, a, b, c);
}

int MakeDirs(const char* path, mode_t mode) {
  char buf[PATH_MAX];
  size_t len = ::strlen(path);
  if (len >= sizeof buf) return ENAMETOOLONG;
  std::memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char saved = buf[i];
    buf[i] = '\0';
    if (::mkdir(buf, mode) != 0 && errno != EEXIST) return errno;
    buf[i] = saved;
  }
  struct stat st;
  if (::stat(path, &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

int MakeFile(const char* path, mode_t mode) {
  struct stat st;
  if (::lstat(path, &st) == 0) return 0;
  char parent[PATH_MAX];
  size_t len = ::strlen(path);
  if (len >= sizeof parent) return ENAMETOOLONG;
  std::memcpy(parent, path, len + 1);
  char* slash = ::strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = '\0';
    if (int err = MakeDirs(parent, 0755)) return err;
  }
  int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

int WriteWholeFile(const char* path, const char* data, size_t size, mode_t mode) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return errno;
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return err;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  ::close(fd);
  return 0;
}

void CloseAllExcept(const int* keep, int count) {
  int sorted[8];
  int n = 0;
  for (int i = 0; i < count && n < 8; ++i)
    if (keep[i] >= 0) sorted[n++] = keep[i];
  for (int i = 1; i < n; ++i)  // insertion sort: a handful of fds
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; --j) {
      int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  unsigned next = 0;
  for (int i = 0; i < n; ++i) {
    unsigned fd = static_cast<unsigned>(sorted[i]);
    if (fd > next) ::close_range(next, fd - 1, 0);
    if (fd + 1 > next) next = fd + 1;
  }
  ::close_range(next, ~0U, 0);
}

}  // namespace cairn::runtime::child
