// Safe tar extraction shared by ExtractLayer, ImportRootfs and `cairn build -` (a context tar).
#pragma once

#include <string>

namespace cairn::store {

struct ExtractOptions {
  // Layer semantics: ".wh.<name>" -> overlay whiteout (char 0/0), ".wh..wh..opq" -> opaque dir.
  // When false (a plain root filesystem) such names are ordinary files.
  bool whiteouts = true;
};

// Extracts the tar (plain, gzip, zstd, ... detected from the bytes) readable from fd into dir,
// which must exist. `source` names the input in errors. Every object is created relative to an
// fd of its parent directory, opened component by component without following symlinks, so no
// name, symlink or hard link can reach outside dir: such entries throw an Error naming them.
// Owner, mode (incl. setuid/sticky), mtime and allowed xattrs (see IsLayerXattr) are restored.
// A device node the kernel refuses to make (EPERM: a user namespace, no CAP_MKNOD) is skipped.
void ExtractTarFd(int fd, const std::string& source, const std::string& dir, const ExtractOptions& options);

}  // namespace cairn::store
