// The copying snapshotter's first half (runtime/snapshotter.h): overlay's merged view of a stack
// of layer directories, made real in a plain directory, and a record of what was made so that
// WriteUpperDiff (runtime/upper_diff.h) can tell afterwards what a step changed.
//
// The merge follows overlay's rules, as FindInLowers (base/overlay_marks.h) implements them: the
// top-most layer that has a name decides it; a whiteout hides the name in every layer below; a
// directory merges with the directories of the same name below it down to the first opaque one or
// the first non-directory. Modes, owners, xattrs (not overlay's own),
// symlinks, device nodes, atime/mtime and hard links within a layer are kept.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

namespace cairn::runtime {

// How one entry looked right after it was made (statx). Identity is the inode and its birth
// time: inode numbers are reused once freed, so a directory deleted and made again may come back
// with the same number, but never with the same birth time (see MaterialiseMerged).
struct MadeEntry {
  mode_t type = 0;  // S_IFMT bits
  ino_t ino = 0;
  timespec btime{};  // zero when the file system does not report one
  timespec ctime{};
  std::vector<std::string> children;  // a directory's names, sorted
  // A file that shares its inode with other names: the lower file it was copied from. A change to
  // one name's inode shows under all of them here, unlike in overlay, where copy-up breaks the
  // link; WriteUpperDiff compares such files with their source before taking them.
  std::string source;
};

// Relative path ("" = the root, "etc/passwd") -> how it was made.
using MergedRecord = std::unordered_map<std::string, MadeEntry>;

enum class FileCopies {
  kCopy,      // a tree a container may change: every file is its own copy
  kHardLink,  // a read-only view: files are hard links to the layers' (copies where that fails)
};

// Makes the merged view of lowerdirs (top-most first, as overlay's lowerdir=) in dst (created if
// missing; must be empty). dst itself keeps its own metadata, as overlay's root shows its upper
// dir's. Returns when the file system clock has moved past every recorded ctime, so that any
// later change to an entry gives it a different ctime. Throws cairn::Error naming the path.
MergedRecord MaterialiseMerged(const std::vector<std::string>& lowerdirs, const std::string& dst, FileCopies files);

// The entry at path (not followed) as MadeEntry describes it, without children.
MadeEntry DescribeEntry(const std::string& path);

}  // namespace cairn::runtime
