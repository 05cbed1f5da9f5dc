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
// Modes, symlinks, mtimes and xattrs are the image's; owners too when the process may chown
// (root, or rootless inside its user namespace), else the files are the caller's. Throws Error
// naming dest_dir or the path that failed.
void ExportRootfsToDir(store::Store& store, const std::string& image, const std::string& dest_dir);

// Writes that filesystem to out as one uncompressed tar (store::WriteTreeTar: sorted names,
// numeric owners, the image's modes, times and hard links). Works in a scratch directory of the
// store, removed afterwards. Throws Error.
void ExportRootfsTar(store::Store& store, const std::string& image, store::ByteSink& out);

}  // namespace cairn::builder
