// Copying file-system entries with everything a layer or a container can see of them: type,
// content, mode, owner, xattrs, times, hard links. The copying snapshotter (runtime/snapshotter.h)
// is built on these; so is nothing else.
//
// Overlay's own bookkeeping xattrs (trusted.overlay.*, user.overlay.*) are never copied: in a
// lower layer they describe that layer (an opaque marker), not the file a container sees.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <utility>

namespace cairn::runtime {

// The first copy made of each multiply-linked source inode, so later names become hard links.
using LinkMap = std::map<std::pair<dev_t, ino_t>, std::string>;

// Copies the entry at src (never followed; st is its lstat) to dst, which must not exist: a
// regular file's bytes (a reflink where the file system can, else copy_file_range), a symlink's
// target, a device's or fifo's node; a directory is created empty. Then CopyMetadata, except for
// a directory, whose times its children would change: the caller applies them last. A source
// with st_nlink > 1 that is already in `links` is hard-linked to its first copy instead.
// Throws cairn::Error naming the path.
void CopyEntry(const std::string& src, const struct stat& st, const std::string& dst, LinkMap* links);

// Owner, mode, xattrs (read from src) and atime/mtime (from st) onto dst; st must be src's lstat
// (taken before src's directory changed, when it is a directory whose children moved).
void CopyMetadata(const std::string& src, const struct stat& st, const std::string& dst);

// A whole tree src -> dst (dst must not exist), hard links within it kept through `links`.
void CopyTree(const std::string& src, const std::string& dst, LinkMap& links);

}  // namespace cairn::runtime
