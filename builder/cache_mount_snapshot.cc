#include "builder/cache_mount_snapshot.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstdint>

#include "base/error.h"
#include "base/fs.h"
#include "builder/run_mounts.h"

namespace cairn::builder {

std::optional<store::Layer> SnapshotCacheMount(store::Store& store, const std::string& id,
                                               const store::Compression& compression) {
  std::string dir = CacheMountDir(store.root(), id);
  if (!IsDirectory(dir)) return std::nullopt;
  // The lock file PrepareMounts takes: shared for sharing=shared, exclusive for locked/private.
  UniqueFd lock(::open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) throw SysError("open cache lock", dir + ".lock");
  while (::flock(lock.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw SysError("flock", dir + ".lock");
  store::SnapshotOptions o;
  o.source_date_epoch = INT64_MAX;  // no clamping: the mount's own times
  o.overlay_upper = false;
  o.compression = compression;
  try {
    return store::CommitLayerFromDir(store, dir, o);
  } catch (const std::exception& e) {
    throw Error("cache mount id=" + id + ": " + e.what());
  }
}

void RestoreCacheMount(const store::Store& store, const store::Layer& snapshot, const std::string& dir) {
  store::ExtractLayer(store.BlobPath(snapshot.descriptor.digest), dir);
}

}  // namespace cairn::builder
