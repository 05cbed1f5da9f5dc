// Overlay's two markers as cairn keeps them in unpacked layers and upper dirs: the one place that
// writes and reads them (the layer extractor and committer in store/, the copying snapshotter in
// runtime/). A kernel overlay reads the same markers when it mounts these directories.
//
// Opaque directory (nothing below it shows through): the xattr trusted.overlay.opaque = "y", or
// user.overlay.opaque where trusted.* cannot be set: in a user namespace, whose overlay is mounted
// with userxattr and reads that name (runtime/userns.h), and in a store on overlay itself.
//
// Whiteout (the name is deleted): overlay's character device 0/0. Where that node cannot be made
// (a store on overlay, which never lets one be created through it; a user namespace before Linux
// 5.8), an empty file with the xattr user.cairn.whiteout = "y" stands for it. Overlay would show
// such a file, but no overlay is ever mounted on such a store: its probe fails there, and steps
// run on copies, which read both forms (runtime/snapshotter.h).
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// Overlay's own bookkeeping (trusted.overlay.*, user.overlay.*): it describes a layer directory,
// never the file a container sees.
bool IsOverlayXattr(std::string_view name);
// The xattrs of the two markers above (either opaque name, the whiteout file's): an unpacked
// layer has them where its tar said so, and no other of overlay's.
bool IsMarkerXattr(std::string_view name);

// dirfd (AT_FDCWD for a path) + name -> a whiteout, in the first form the file system takes.
// Throws cairn::Error naming the path when neither can be made.
void MakeWhiteoutAt(int dirfd, const std::string& name);
// st: path's lstat.
bool IsWhiteout(const std::string& path, const struct stat& st);

// An entry of an overlay's lower layers: its path in the layer that decides it, and its lstat.
struct LowerEntry {
  std::string path;
  struct stat st {};
};

// The entry `name` of a directory overlay merges from `dirs` (top-most first), by overlay's rules:
// the top-most dir that has the name decides it, and a whiteout there hides it (nullopt). When it
// is a directory and `below` is given, *below gets the directories that merge into it, top first:
// down to the first opaque one or the first that is not a directory. The one implementation of
// these rules (the copying snapshotter's merged copy, the committer's unchanged-copy-up test).
std::optional<LowerEntry> FindInLowers(const std::vector<std::string>& dirs, const std::string& name,
                                       std::vector<std::string>* below);

// fd: the directory, open; shown: its path, for errors.
void MarkOpaqueFd(int fd, const std::string& shown);
void MarkOpaque(const std::string& dir);
bool IsOpaqueDir(const std::string& path);

}  // namespace cairn
