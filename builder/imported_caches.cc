#include "builder/imported_caches.h"

#include "base/error.h"
#include "builder/cache_mount_snapshot.h"

namespace cairn::builder {

std::optional<CacheRecord> ImportedCaches::Lookup(const std::string& key) {
  for (auto& cache : caches_) {
    auto it = cache.records.find(key);
    if (it == cache.records.end()) continue;
    const auto& layer = it->second.layer;
    if (layer && !store_.HasBlob(layer->descriptor.digest)) {
      std::lock_guard lock(mu_);
      Owed& owed = owed_[layer->descriptor.digest];
      owed.from = &cache;
      owed.keys.push_back(key);
    } else {
      own_.Record(key, it->second);
    }
    return it->second;
  }
  return std::nullopt;
}

void ImportedCaches::EnsureLocal(const std::vector<store::Descriptor>& layers) {
  std::lock_guard lock(mu_);
  for (auto& layer : layers) {
    auto it = owed_.find(layer.digest);
    if (it == owed_.end()) continue;
    try {
      it->second.from->fetch_blob(layer);
    } catch (const std::exception& e) {
      failure_ = "--cache-from " + it->second.from->name + ": " + e.what();
      throw Error(failure_);
    }
    for (auto& key : it->second.keys) own_.Record(key, it->second.from->records.at(key));
    owed_.erase(it);
  }
}

std::string ImportedCaches::SeedMount(const store::CacheMountName& name, const std::string& dir) {
  for (auto& cache : caches_) {
    auto it = cache.mounts.find(name);
    if (it == cache.mounts.end()) continue;
    {
      std::lock_guard lock(mu_);
      if (!store_.HasBlob(it->second.descriptor.digest)) cache.fetch_blob(it->second.descriptor);
    }
    RestoreCacheMount(store_, it->second, dir);
    return cache.name;
  }
  return "";
}

std::string ImportedCaches::Failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

}  // namespace cairn::builder
