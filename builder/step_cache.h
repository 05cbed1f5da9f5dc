// The step cache: key(step) -> the layer the step made (or none).
//
// key = sha256 over the parent's key (or the base image's manifest digest), the step's kind and
// fully expanded form, the config it runs with (env, workdir, user, shell), the build args it can
// see, for COPY/ADD the content digest of its sources, and the layer format (the epoch that clamps
// mtimes and the compressor: both change a layer's bytes). Never a time, a host name, a path of
// this machine or a thread count: the same inputs give the same key on any machine.
#pragma once

#include <optional>
#include <string>

#include "builder/plan.h"
#include "store/cache_records.h"
#include "store/layer.h"
#include "store/store.h"

namespace cairn::builder {

// A pure function of its arguments; see the rules above.
// layer_format: e.g. "epoch=0|gzip level 1", whatever makes the same change give other bytes.
std::string StepCacheKey(const std::string& parent_key, const plan::Step& step, const std::string& sources_digest,
                         const std::string& layer_format = "");

using store::CacheRecord;

// Records are kept by store::CacheRecords (<store>/cache/<key hex>.json).
class StepCache {
 public:
  explicit StepCache(store::Store& store);
  // A record whose layer blob is still in the store, or nullopt.
  std::optional<CacheRecord> Lookup(const std::string& key) const;
  void Record(const std::string& key, const CacheRecord& record);

 private:
  store::Store& store_;
  store::CacheRecords records_;
};

}  // namespace cairn::builder
