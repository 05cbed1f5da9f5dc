// --cache-to and --cache-from: the exported step cache (store/cache_manifest.h) in a registry or
// in a directory that several machines share.
//
//   type=registry,ref=R[,mode=min|max][,compression=gzip|zstd][,max-records=N][,max-size=SIZE]
//                      [,ignore-error=true][,cache-mounts=true]
//       OCI manifests in R's repository: each export's own under a tag of its own, and a summary
//       of every record at R; readers merge them all (docs/cache-format.md, "Many writers")
//   type=local,dest=DIR[,...the same options] / type=local,src=DIR
//       an OCI image layout in DIR; exports merge their records into it under DIR's lock
//   type=inline (export only)
//       no transport: the builder writes the records into the image config
//       (builder::BuildOptions::inline_cache); --cache-from IMAGE reads them back
//
// cache-mounts=true also exports snapshots of the build's RUN --mount=type=cache directories
// (builder/cache_mount_snapshot.h); an import always offers the snapshots it finds.
//
// mode=min (the default, as in BuildKit) exports the records of the steps whose layers the image
// holds; mode=max those of every stage built. Importing reads the records only: a layer is
// fetched when a step or the image needs its files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "builder/builder.h"
#include "store/cache_manifest.h"
#include "store/cache_merge.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::cli {

struct CacheSpec {
  std::string text;  // as the user wrote it, for messages
  std::string type;  // "registry" or "local"
  std::string ref;   // type=registry
  std::string dir;   // type=local: dest (export) or src (import)
  bool max = false;  // mode=max
  std::optional<store::Compression::Codec> compression;  // compression= (export)
  store::CacheBound bound;  // max-records=, max-size= (export): keep what was used last
  bool ignore_error = false;          // ignore-error=true (export): a failed export only warns
  bool cache_mounts = false;          // cache-mounts=true (export): snapshots of the cache mounts too
};

using Warn = std::function<void(const std::string&)>;

// Parses a --cache-to (exporting) or --cache-from value. Throws Error naming the flag and what
// to write instead.
CacheSpec ParseCacheSpec(const std::string& text, bool exporting);

// The records of the cache spec names, with the way to fetch its layers later. A cache that is
// missing, unreachable or malformed is not an error: `warn` hears why and nullopt comes back,
// and the build goes on without it.
std::optional<builder::ImportedCache> ImportCache(store::Store& store, const CacheSpec& spec, const Warn& warn);

struct CacheExport {
  store::Descriptor manifest;  // the summary: every record the cache holds after this export
  int records = 0;             // how many that is
  int dropped = 0;             // records max-records dropped (least recently used)
  int uploaded = 0;  // blobs (layers, config) sent or copied
  int mounted = 0;   // linked by the registry from another repository (cross-repository mount)
  int present = 0;   // already there (HEAD said so, or the file existed)
};

// Snapshots of the store's cache mounts `used` (builder::BuildResult::cache_mounts) as cache
// entries, for an export with cache-mounts=true; empty mounts are left out. `note` hears each.
std::vector<store::CacheEntry> SnapshotCacheMounts(store::Store& store, const std::vector<store::CacheMountName>& used,
                                                   const store::Compression& compression, const Warn& note);

// Adds `entries` (their layer blobs are in the store) to the cache spec names, keeping every
// record other exports put there (within spec.bound when given). `warn` hears about
// manifests found there that could not be read (they are left alone). Throws Error naming spec.
CacheExport ExportCache(store::Store& store, const CacheSpec& spec, const std::vector<store::CacheEntry>& entries,
                        const Warn& warn);

}  // namespace cairn::cli
