// The exported step cache (--cache-to / --cache-from): an OCI manifest whose config maps step
// cache keys to layers. docs/cache-format.md is the reference for other tools.
//
//   manifest  application/vnd.oci.image.manifest.v1+json
//     config  application/vnd.cairn.cache.config.v1+json   {"version":1,"records":[{key, layer}]}
//             and, only when an export carries them, "mounts":[{id, platform, layer}]: snapshots
//             of RUN --mount=type=cache directories (older readers ignore the key)
//     layers  every distinct layer the records name, sorted by digest: ordinary layer blobs, so a
//             registry stores them once for the cache and for the images that hold them
//
// The same records give the same bytes (records sorted by key, layers by digest, JSON without
// whitespace), so exporting an unchanged cache uploads nothing new.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/layer.h"
#include "store/store.h"

namespace cairn::store {

inline constexpr const char* kCacheConfigMediaType = "application/vnd.cairn.cache.config.v1+json";

// What a cache mount snapshot is a snapshot of: a RUN --mount=type=cache id, as used by a stage
// built for platform ("linux/amd64").
struct CacheMountName {
  std::string id;
  std::string platform;
  bool operator==(const CacheMountName& o) const { return id == o.id && platform == o.platform; }
  bool operator<(const CacheMountName& o) const { return id != o.id ? id < o.id : platform < o.platform; }
};

// One entry of an exported cache: a step's record, or (mount set) a cache mount's snapshot.
// A snapshot's key is CacheMountKey(*mount), which no step key can equal, so merging and
// bounding treat snapshots as records: the newest export's wins, each counts as one record.
struct CacheEntry {
  CacheEntry() = default;
  CacheEntry(std::string k, std::optional<Layer> l, std::optional<CacheMountName> m = std::nullopt)
      : key(std::move(k)), layer(std::move(l)), mount(std::move(m)) {}

  std::string key;             // "sha256:<hex>": a step cache key, or CacheMountKey(*mount)
  std::optional<Layer> layer;  // nullopt: the step changed nothing (a snapshot always has one)
  std::optional<CacheMountName> mount;
};

// The key of a cache mount snapshot: sha256 of "cairn cache mount\n<id>\n<platform>".
std::string CacheMountKey(const CacheMountName& mount);

// The manifest annotation that says when an export wrote its records (unix seconds, decimal):
// how a shared cache bounded by max-records knows which records were used least recently.
inline constexpr const char* kCacheExportedAnnotation = "dev.cairn.cache.exported";

// Writes the config and manifest blobs for `entries` (duplicates by key dropped) into the store.
// With `exported_at`, the manifest carries it as kCacheExportedAnnotation (the config, and so the
// records' digest, does not). Returns the manifest's descriptor. The layer blobs are not touched.
Descriptor WriteCacheManifest(Store& store, std::vector<CacheEntry> entries,
                              std::optional<int64_t> exported_at = std::nullopt);

// The inline cache (--cache-to type=inline, as BuildKit's BUILDKIT_INLINE_CACHE): the image
// config's top-level key that holds the cache config (the object WriteCacheManifest writes as a
// blob) of the steps whose layers the image holds. Only builds that ask for it have the key.
inline constexpr const char* kInlineCacheKey = "dev.cairn.cache.v1";

// The cache config of `entries` (duplicates by key dropped): sorted keys, no whitespace.
std::string CacheConfigBytes(std::vector<CacheEntry> entries);

// The records an image config's bytes carry under kInlineCacheKey; nullopt when it has none.
// Throws Error when they are malformed.
std::optional<std::vector<CacheEntry>> InlineCacheOf(const std::string& image_config_bytes);

// The kCacheExportedAnnotation of a cache manifest's bytes, or nullopt when it has none (or it
// is not a number).
std::optional<int64_t> CacheExportedAt(const std::string& manifest_bytes);

// The config descriptor of a cache manifest's bytes. Throws Error saying what is wrong when the
// bytes are not a cairn cache manifest (another image, garbage).
Descriptor CacheConfigDescriptor(const std::string& manifest_bytes);

// The records of a cache config's bytes, sorted by key. Throws Error on anything malformed: a
// cache that cannot be read entirely is not used at all.
std::vector<CacheEntry> ParseCacheConfig(const std::string& config_bytes);

}  // namespace cairn::store
