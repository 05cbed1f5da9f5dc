// The file-backed BlobWriter. (Private to store/.)
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace cairn::store {

// Streams into a temp file under tmp_dir; Commit renames it into blobs_dir/<hex>.
std::unique_ptr<BlobWriter> NewFileBlobWriter(const std::string& tmp_dir, const std::string& blobs_dir);

}  // namespace cairn::store
