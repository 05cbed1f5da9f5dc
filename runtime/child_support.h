// Helpers for code that runs after clone(): no allocation, no exceptions, only system calls and
// fixed buffers. A failure is reported to the parent (one ChildReport) and ends the process.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace cairn::runtime::child {

// Where reports go; set once at the start of the child.
void SetReportFd(int fd);
int ReportFd();

// Reports {kSetupError, err, a+b+c} and _exits. The parent throws Error("<a><b><c>: <strerror>").
[[noreturn]] void Fail(int err, const char* a, const char* b = "", const char* c = "");
// Fail(errno, ...) when rc != 0.
void Must(int rc, const char* a, const char* b = "", const char* c = "");

// Bounded string building into a fixed buffer (truncates, always terminates).
void Append(char* buf, size_t cap, const char* s);

// mkdir -p inside the current root; returns 0 or errno.
int MakeDirs(const char* path, mode_t mode);
// Creates an empty file (and its parents) unless something is already at path; 0 or errno.
int MakeFile(const char* path, mode_t mode);
// Writes the whole buffer to a new file at path; 0 or errno.
int WriteWholeFile(const char* path, const char* data, size_t size, mode_t mode);

// Closes every descriptor except those in keep (negative entries are ignored).
void CloseAllExcept(const int* keep, int count);

}  // namespace cairn::runtime::child
