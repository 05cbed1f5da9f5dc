// RUN --mount=type=cache directories that travel with the exported step cache
// (--cache-to ...,cache-mounts=true; docs/cache-format.md, "Cache mounts"): a snapshot is a
// layer blob of the directory's files, never part of an image.
#pragma once

#include <optional>
#include <string>

#include "store/compressor.h"
#include "store/layer.h"
#include "store/store.h"

namespace cairn::builder {

// The files of the store's cache mount `id` (one without from=) as a layer blob in the store: a
// tar by the layer rules (sorted names, numeric owners) with every mtime kept, since tools that
// trim their caches (ccache, go) go by them; the same files give the same blob. Holds the mount's
// lock exclusively while reading, so it waits for the steps of other builds that use it.
// nullopt when the store has no such mount or it is empty. Throws Error naming the mount.
std::optional<store::Layer> SnapshotCacheMount(store::Store& store, const std::string& id,
                                               const store::Compression& compression);

// Extracts a snapshot's blob (in the store) into `dir`, an empty directory.
void RestoreCacheMount(const store::Store& store, const store::Layer& snapshot, const std::string& dir);

}  // namespace cairn::builder
