#include "runtime/upper_diff.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "base/error.h"
#include "base/fs.h"
#include "base/overlay_marks.h"
#include "runtime/tree_copy.h"

namespace cairn::runtime {

namespace {

bool Same(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// Everything a layer records of a file, mtime included (a touched file is a change overlay keeps).
bool SameAsSource(const std::string& path, const struct stat& st, const std::string& source) {
  struct stat src;
  if (::lstat(source.c_str(), &src) != 0) throw SysError("lstat", source);
  return SameEntry(path, st, source, src, [](std::string_view n) { return !IsOverlayXattr(n); });
}

class Differ {
 public:
  Differ(const std::string& merged, const MergedRecord& before, const std::string& upper)
      : merged_(merged), before_(before), upper_(upper) {}

  // A directory MaterialiseMerged made and the step kept (same inode); st and now were taken
  // before anything below it moved. Returns whether the upper dir has it.
  bool Dir(const std::string& rel, const struct stat& st, const MadeEntry& now) {
    const MadeEntry& made = before_.at(rel);
    std::vector<std::string> names = ListDir(M(rel));
    std::set<std::string> present(names.begin(), names.end());
    bool in_upper = !rel.empty() && !Same(now.ctime, made.ctime);
    for (const std::string& name : made.children) {
      if (present.count(name)) continue;
      Ensure(rel);
      MakeWhiteoutAt(AT_FDCWD, U(Child(rel, name)));
      in_upper = true;
    }
    for (const std::string& name : names) {
      std::string child = Child(rel, name);
      struct stat cst;
      if (::lstat(M(child).c_str(), &cst) != 0) throw SysError("lstat", M(child));
      MadeEntry cnow = DescribeEntry(M(child));
      auto it = before_.find(child);
      bool kept = it != before_.end() && it->second.type == cnow.type && it->second.ino == cnow.ino &&
                  Same(it->second.btime, cnow.btime);
      if (kept && S_ISDIR(cst.st_mode)) {
        in_upper |= Dir(child, cst, cnow);
      } else if (kept && Same(it->second.ctime, cnow.ctime)) {
        continue;  // untouched since it was copied from the lowers
      } else if (kept && !it->second.source.empty() && SameAsSource(M(child), cst, it->second.source)) {
        continue;  // its ctime moved with another name of its inode (a link made or removed)
      } else {
        Ensure(rel);
        Move(child);
        // Made where the lowers had an entry: overlay made it over a whiteout.
        if (!kept && it != before_.end() && S_ISDIR(cst.st_mode)) MarkOpaque(U(child));
        in_upper = true;
      }
    }
    if (in_upper && !rel.empty()) {
      Ensure(rel);
      CopyMetadata(M(rel), st, U(rel));  // st: its times before the moves above touched them
    }
    return in_upper;
  }

 private:
  static std::string Child(const std::string& rel, const std::string& name) { return rel.empty() ? name : rel + "/" + name; }
  std::string M(const std::string& rel) const { return rel.empty() ? merged_ : JoinPath(merged_, rel); }
  std::string U(const std::string& rel) const { return rel.empty() ? upper_ : JoinPath(upper_, rel); }

  // The upper dir's copy of a kept directory, made on first need; its metadata comes when Dir()
  // has finished with it.
  void Ensure(const std::string& rel) {
    if (rel.empty() || made_dirs_.count(rel)) return;
    size_t slash = rel.rfind('/');
    if (slash != std::string::npos) Ensure(rel.substr(0, slash));
    if (::mkdir(U(rel).c_str(), 0700) != 0) throw SysError("mkdir", U(rel));
    made_dirs_.insert(rel);
  }

  void Move(const std::string& rel) {
    if (::rename(M(rel).c_str(), U(rel).c_str()) == 0) return;
    if (errno != EXDEV) throw SysError("rename " + M(rel) + " to", U(rel));
    CopyTree(M(rel), U(rel), links_);  // another file system: hard links kept through links_
  }

  const std::string& merged_;
  const MergedRecord& before_;
  const std::string& upper_;
  std::set<std::string> made_dirs_;
  LinkMap links_;
};

}  // namespace

void WriteUpperDiff(const std::string& merged, const MergedRecord& before, const std::string& upper) {
  try {
    if (!ListDir(upper).empty()) throw Error("the upper dir is not empty");
    struct stat st;
    if (::lstat(merged.c_str(), &st) != 0) throw SysError("lstat", merged);
    Differ(merged, before, upper).Dir("", st, DescribeEntry(merged));
  } catch (const std::exception& e) {
    throw Wrap("writing the change of " + merged + " into " + upper, e);
  }
}

}  // namespace cairn::runtime
