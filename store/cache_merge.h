// Merging the cache manifests that several writers published for one shared cache (a build
// farm: docs/cache-format.md, "Many writers"), and bounding the result to the records used most
// recently. Pure functions over records: the transport (cli/cache_transfer.cc) fetches and pushes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/cache_manifest.h"

namespace cairn::store {

// One cache manifest found for a shared cache.
struct PublishedCache {
  std::string name;          // where it was found (a tag), for messages
  std::string digest;        // the manifest's digest
  int64_t exported_at = 0;   // its kCacheExportedAnnotation; 0 when it has none
  bool summary = false;      // the plain tag every export rewrites: never deleted by a bound
  std::vector<CacheEntry> entries;
};

// A record of the merge, with the time it was last exported (its last use).
struct MergedRecord {
  CacheEntry entry;
  int64_t last_used = 0;
};

// Every key of `published` once, sorted by key. last_used is the newest exported_at among the
// manifests that hold the key. When two manifests give one key different layers (a step whose
// output is not reproducible, built on two machines), the newer export's wins (on a tie, the
// smaller layer digest), so every reader picks the same.
std::vector<MergedRecord> MergeCaches(const std::vector<PublishedCache>& published);

// A shared cache's bound: at most `records` records, and at most `bytes` of layers (each distinct
// layer the kept records name counted once, by its compressed size). Unset: no such limit.
struct CacheBound {
  std::optional<size_t> records;
  std::optional<int64_t> bytes;
};

// The most recently used of `records` (ties: by key) that fit the bound, sorted by key: taken in
// that order until the next one would not fit (so a record is never kept over a newer one). A
// cache mount snapshot counts as one record, its layer's bytes as any layer's.
std::vector<MergedRecord> KeepMostRecent(std::vector<MergedRecord> records, const CacheBound& bound);

// What bounding the merge of `published` takes.
struct BoundPlan {
  std::vector<MergedRecord> kept;  // KeepMostRecent of the merge
  // Manifests (not the summary) holding a record that is not kept: deleted, tags and all.
  std::vector<std::string> drop;
  // Kept records that only dropped manifests hold, grouped by last_used (ascending): each group
  // is published again with its own time before the drop, so no kept record disappears and the
  // times of use survive.
  std::vector<std::vector<MergedRecord>> republish;
};
BoundPlan PlanBound(const std::vector<PublishedCache>& published, const CacheBound& bound);

}  // namespace cairn::store
