// The imported step caches (--cache-from) of one build attempt, after the store's own cache.
//
// A hit's layer blob is only noted as owed: it is fetched when a later step or the image needs the
// layer's files (EnsureLocal), so a build whose every step hits downloads just the image's layers.
// The store's own cache records a hit once its blob is here, so a store never holds a record
// without its layer. A fetch that fails is remembered (Failure) so that Build can start over
// without the imported caches. Shared by parallel stages: every method is thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "builder/builder.h"
#include "builder/step_cache.h"

namespace cairn::builder {

class ImportedCaches {
 public:
  // `caches` and `own` must outlive this.
  ImportedCaches(store::Store& store, StepCache& own, const std::vector<ImportedCache>& caches)
      : store_(store), own_(own), caches_(caches) {}

  // The first imported record for key, in --cache-from order, or nullopt.
  std::optional<CacheRecord> Lookup(const std::string& key);

  // Fetches the owed blobs among layers, one at a time (parallel stages may owe the same one).
  // Throws Error "--cache-from NAME: why" when one cannot be fetched.
  void EnsureLocal(const std::vector<store::Descriptor>& layers);

  // Fills `dir` (empty) from the first imported snapshot of the cache mount `name`, fetching its
  // blob when the store lacks it. Returns the cache's name, or "" when none has the mount.
  // Throws Error when the blob cannot be fetched or extracted (the caller empties dir again).
  std::string SeedMount(const store::CacheMountName& name, const std::string& dir);

  // Why a fetch failed, or "".
  std::string Failure() const;

 private:
  struct Owed {
    const ImportedCache* from = nullptr;  // the cache that supplies the blob
    std::vector<std::string> keys;         // the hits that named it, recorded once it is here
  };

  store::Store& store_;
  StepCache& own_;
  const std::vector<ImportedCache>& caches_;
  mutable std::mutex mu_;
  std::map<std::string, Owed> owed_;  // layer digest -> what is owed
  std::string failure_;
};

}  // namespace cairn::builder
