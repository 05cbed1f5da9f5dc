// What is live in a store, and deleting what is not: `cairn rmi` and `cairn prune`.
//
// Live = reachable from index.json (every entry: manifest or index -> manifests -> config and
// layers) plus, unless the cache itself is being trimmed, the layers step-cache records name.
// Unpacked layers (layers/<diffid hex>) are live when a live image or cache record lists that
// diffID; l/ links are live when their layer is. Everything deleting holds the store's
// exclusive gc lock (Store::LockExclusive), so no running build loses what it just wrote.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.h"

namespace cairn::store {

struct LiveSet {
  std::set<std::string> blobs;     // "sha256:..." digests
  std::set<std::string> diff_ids;  // "sha256:..." diffIDs whose unpacked trees are in use
  std::map<std::string, std::string> layer_of_diff_id;  // diffID -> a layer blob digest with it
  std::vector<std::string> problems;  // references that could not be followed (for check)
};

// Adds everything one manifest (or index) digest reaches to live; `from` names it in problems.
void WalkImage(const Store& store, const std::string& digest, const std::string& from, LiveSet& live);

// One step-cache record as the collector sees it (read through store/cache_records.h).
struct CacheRecordRef {
  std::string path;                 // <root>/cache/<key>.json
  std::optional<Descriptor> layer;  // nullopt: the step made no layer
  std::string diff_id;
  int64_t mtime = 0;                // seconds; newest records are kept first
  bool readable = true;             // false: not valid JSON or not a cache record
};
std::vector<CacheRecordRef> ListCacheRecords(const Store& store);

// Follows every reference from index.json (and cache records when with_cache). Missing or
// unreadable blobs are listed in problems, never thrown.
LiveSet ComputeLive(const Store& store, bool with_cache);

// `cairn rmi`: untags each name; refuses (Error naming the other tags) when another tag points
// at the same manifest, unless force. Then deletes the image's manifest, config, layer blobs
// and unpacked layers that nothing else references, when no other cairn process holds the
// store (else leaves them for prune). Returns docker-style lines: "Untagged: x", "Deleted: d".
std::vector<std::string> RemoveImages(Store& store, const std::vector<std::string>& names, bool force);

struct PruneReport {
  int blobs = 0, layers = 0, links = 0, cache_records = 0;
  int64_t bytes = 0;  // reclaimed (file sizes, unpacked trees included)
};
// `cairn prune`: waits for the exclusive lock, then (with keep_storage) deletes the oldest
// cache records whose layers exceed keep_storage bytes and the cache hints (cache-hints/: miss
// explanations, the context digest index), then every dead blob, unpacked layer,
// l/ link, cache record whose layer blob is gone and stale temp file in blobs/.
PruneReport Prune(Store& store, std::optional<int64_t> keep_storage);

// Bytes a tree uses (regular file sizes), never following symlinks. 0 if missing.
int64_t TreeBytes(const std::string& path);

}  // namespace cairn::store
