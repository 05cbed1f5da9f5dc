// The context digest index: content digests of build-context files, remembered by what lstat
// says of them, so that a rebuild does not read unchanged files again.
//
// An entry is trusted only while the file's path, size, mtime, ctime, inode and device are all
// what they were when it was read; any change (an edit, a touch, a replaced file) means the file
// is read again. The index only saves reading: the digest it returns is always the file's
// content digest, so keys and images are the same with or without it.
//
// Stored as <store>/cache-hints/context-index/<sha256 hex of the context's absolute path>, a text
// file replaced atomically (hints live beside cache/, which holds only cache records). Concurrent builds of one context may each write it: the last writer wins
// and the entries it lacks are simply read again next time. Safe to use from several threads.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace cairn::builder {

class ContextIndex {
 public:
  // context_dir: absolute, without a trailing '/'. Nothing is read until the first lookup.
  // settle: a file changed less than this long before it is read is not remembered, since a
  // rewrite within the same clock tick would leave size and times as they were (git's "racy
  // clean" problem). Tests pass 0 to see files remembered at once.
  ContextIndex(const std::string& store_root, const std::string& context_dir,
               std::chrono::nanoseconds settle = std::chrono::seconds(1));

  // The content digest ("sha256:...") of the regular file at path, whose lstat is st: from the
  // index when the stat fields match, else read (and remembered unless it changed within the
  // settle time). Paths outside the
  // context are read and not remembered. Throws Error if the file cannot be read.
  std::string FileDigest(const std::string& path, const struct stat& st);

  // Writes the index if this build learned something. A context in the store's scratch (tmp/: a
  // git checkout, a context tar from stdin) is gone after the build, and its path is new each
  // time: it is never written, so no index file is left per build. Throws Error if it cannot be
  // written.
  void Save();

  // Files read (not found in the index) since construction: for tests and benchmarks.
  int64_t files_read() const;

  std::string path() const { return file_; }

 private:
  struct Entry {
    std::string digest;
    int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
    uint64_t ino = 0, dev = 0;
    bool used = false;  // looked up or learned by this build
  };
  void LoadLocked();
  static Entry EntryOf(const struct stat& st);
  static bool Matches(const Entry& e, const Entry& now);

  std::string context_dir_;
  std::string file_;
  int64_t settle_ns_;
  bool persist_ = true;  // false: a scratch context (see Save)
  mutable std::mutex mu_;
  bool loaded_ = false;
  bool dirty_ = false;
  int64_t files_read_ = 0;
  std::map<std::string, Entry> entries_;  // path relative to the context -> entry
};

}  // namespace cairn::builder
