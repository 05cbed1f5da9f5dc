#include "runtime/merged_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <set>

#include "base/error.h"
#include "base/fs.h"
#include "base/overlay_marks.h"
#include "base/path.h"
#include "runtime/tree_copy.h"

namespace cairn::runtime {

namespace {

bool Later(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

timespec FromStatx(const statx_timestamp& t) { return timespec{t.tv_sec, static_cast<long>(t.tv_nsec)}; }

class Materialiser {
 public:
  explicit Materialiser(FileCopies files) : files_(files) {}

  const std::unordered_map<std::string, std::string>& sources() const { return sources_; }

  // What overlay shows of layer_dirs (top-most first), made real in dst; names in sorted order,
  // so the copy is made in one order on any machine.
  void Merge(const std::vector<std::string>& layer_dirs, const std::string& dst) {
    std::set<std::string> names;
    for (const std::string& dir : layer_dirs)
      for (std::string& name : ListDir(dir)) names.insert(std::move(name));
    for (const std::string& name : names) {
      std::vector<std::string> below;
      std::optional<LowerEntry> entry = FindInLowers(layer_dirs, name, &below);
      if (!entry) continue;  // whited out
      std::string out = JoinPath(dst, name);
      Place(*entry, out);
      if (!S_ISDIR(entry->st.st_mode)) continue;
      Merge(below, out);
      CopyMetadata(entry->path, entry->st, out);  // after the children, which changed its times
    }
  }

 private:
  void Place(const LowerEntry& s, const std::string& out) {
    if (files_ == FileCopies::kHardLink && !S_ISDIR(s.st.st_mode)) {
      // Shares the inode: hard links within a layer stay links. Another file system, or a
      // kernel that refuses (protected_hardlinks), gets a copy.
      if (::link(s.path.c_str(), out.c_str()) == 0) return;
      if (errno == EEXIST) throw SysError("link to " + s.path + " at", out);
    }
    CopyEntry(s.path, s.st, out, &links_);
    if (s.st.st_nlink > 1 && !S_ISDIR(s.st.st_mode)) sources_[out] = s.path;
  }

  FileCopies files_;
  LinkMap links_;
  std::unordered_map<std::string, std::string> sources_;  // copy -> lower file, for hard links
};

void Record(const std::string& path, const std::string& rel, const std::unordered_map<std::string, std::string>& sources,
            MergedRecord& out, timespec& newest) {
  MadeEntry e = DescribeEntry(path);
  if (auto it = sources.find(path); it != sources.end()) e.source = it->second;
  if (Later(e.ctime, newest)) newest = e.ctime;
  if (S_ISDIR(e.type)) {
    e.children = ListDir(path);
    for (const std::string& name : e.children)
      Record(JoinPath(path, name), rel.empty() ? name : rel + "/" + name, sources, out, newest);
  }
  out[rel] = std::move(e);
}

// ctime has the resolution of the kernel's clock tick, not of nanoseconds: an entry changed
// within the tick in which it was made would keep its ctime. Waiting here until a fresh change
// gets a later ctime than every entry made guarantees that any change after return shows.
void WaitForClockPast(const std::string& dir, const timespec& newest) {
  std::string probe = JoinPath(dir, ".cairn-clock-XXXXXX");
  UniqueFd fd(::mkstemp(probe.data()));
  if (!fd) throw SysError("create", probe);
  ::unlink(probe.c_str());
  for (int i = 0; i < 5000; ++i) {
    if (::futimens(fd.get(), nullptr) != 0) throw SysError("set times of", probe);  // updates ctime
    struct statx sx;
    if (::statx(fd.get(), "", AT_EMPTY_PATH, STATX_CTIME, &sx) != 0) throw SysError("statx", probe);
    if (Later(FromStatx(sx.stx_ctime), newest)) return;
    struct timespec ms = {0, 1000000};
    ::nanosleep(&ms, nullptr);
  }
  throw Error("the clock of the file system at " + dir + " does not advance (ctime stays at or before " +
              std::to_string(newest.tv_sec) + "): the copying snapshotter cannot tell changes there");
}

}  // namespace

MadeEntry DescribeEntry(const std::string& path) {
  struct statx sx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_CTIME | STATX_BTIME, &sx) != 0)
    throw SysError("statx", path);
  MadeEntry e;
  e.type = sx.stx_mode & S_IFMT;
  e.ino = sx.stx_ino;
  e.ctime = FromStatx(sx.stx_ctime);
  if (sx.stx_mask & STATX_BTIME) e.btime = FromStatx(sx.stx_btime);
  return e;
}

MergedRecord MaterialiseMerged(const std::vector<std::string>& lowerdirs, const std::string& dst, FileCopies files) {
  try {
    MakeDirs(dst);
    if (!ListDir(dst).empty()) throw Error("the directory is not empty");
    Materialiser materialiser(files);
    materialiser.Merge(lowerdirs, dst);
    MergedRecord record;
    timespec newest{};
    Record(dst, "", materialiser.sources(), record, newest);
    WaitForClockPast(Dirname(dst), newest);
    return record;
  } catch (const std::exception& e) {
    throw Wrap("copying the merged layers into " + dst, e);
  }
}

}  // namespace cairn::runtime
