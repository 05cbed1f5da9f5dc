// `cairn build -o type=local,dest=DIR` and `-o type=tar,dest=FILE|-`: the final filesystem of
// a built image, as buildx's local and tar exporters write it. The merge follows overlay's rules
// over the image's layers (runtime/merged_tree.h): whiteouts hide, opaque directories cut,
// nothing of the store's own bookkeeping (overlay xattrs, whiteout devices) comes out.
#pragma once

#include <string>

#include "store/byte_sink.h"
#include "store/store.h"

namespace cairn::builder {

// Writes the filesystem of `image` (a tag or manifest digest) into dest_dir, which is made when
// missing and must otherwise be empty (nothing of an earlier export is merged or overwritten).
// Modes, symlinks, mtimes, xattrs and numeric owners are the image's. Owners are set as cairn
// runs: as root they are the image's on the host too; rootless, cairn is root in its user
// namespace (runtime/userns.h), so the host sees them through the /etc/subuid mapping (image
// uid 0 is the user), as it sees the store's files. An owner that cannot be set (outside the
// mapping) is an Error naming the path, as is any other failure, or a dest_dir that is not empty.
void ExportRootfsToDir(store::Store& store, const std::string& image, const std::string& dest_dir);

// Writes that filesystem to out as one uncompressed tar (store::WriteTreeTar: sorted names,
// numeric owners, the image's modes, times and hard links). Works in a scratch directory of the
// store, removed afterwards. Throws Error.
void ExportRootfsTar(store::Store& store, const std::string& image, store::ByteSink& out);

}  // namespace cairn::builder
