// The step cache: key(step) -> the layer the step made (or none).
//
// key = sha256 over the parent's key (or the base image's manifest digest), the step's kind and
// fully expanded form, the config it runs with (env, workdir, user, shell), the build args it can
// see, for COPY/ADD the content digest of its sources, and the layer format (the epoch that clamps
// mtimes and the compressor: both change a layer's bytes). Never a time, a host name, a path of
// this machine or a thread count: the same inputs give the same key on any machine.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "builder/miss_reason.h"
#include "plan/plan.h"
#include "store/cache_records.h"
#include "store/layer.h"
#include "store/store.h"

namespace cairn::builder {

// A pure function of its arguments; see the rules above.
// layer_format: e.g. "epoch=0|gzip level 1", whatever makes the same change give other bytes.
std::string StepCacheKey(const std::string& parent_key, const plan::Step& step, const std::string& sources_digest,
                         const std::string& layer_format = "");

// The inputs StepCacheKey read, kept readable to explain a later miss (never read for a key).
// files: the per-entry listing DigestSources gives for context sources (may be empty); kept as
// path -> a short digest of the entry, and not at all beyond a size where it would cost more
// than it explains.
StepInputs StepInputsOf(const std::string& key, const plan::Step& step, const std::string& sources_digest,
                        std::map<std::string, std::string> files, const std::string& layer_format);

using store::CacheRecord;

// What the cache needs to know of the stage a step belongs to. One per stage being built, owned
// by that stage's state (stages may build on different threads).
struct StageCacheScope {
  std::string stage_id;      // Dockerfile path + stage name: where the stage's last base is remembered
  std::string base_name;     // "image busybox" or "stage builder", for messages
  std::string base_key;      // the base's identity: its manifest digest or the base stage's last key
  bool skip_lookup = false;  // --no-cache, or --no-cache-filter names this stage (still recorded)
  bool miss_explained = false;  // only a stage's first miss is explained: later ones follow from it
};

// Records are kept by store::CacheRecords (<store>/cache/<key hex>.json). Explanations are hints
// kept in <store>/cache-hints/: explain/<parent>/, the inputs of a parent key's most recent
// children (a few; the least recently changed parents beyond a cap are dropped), and stages/, the
// base each stage last started from. Safe to use from several threads.
class StepCache {
 public:
  explicit StepCache(store::Store& store);
  // A record whose layer blob is still in the store, or nullopt.
  std::optional<CacheRecord> Lookup(const std::string& key) const;
  void Record(const std::string& key, const CacheRecord& record);

  // For the first miss of a stage whose lookups are on: one line naming what changed since the
  // last build on the same parent (see ExplainMiss). nullopt otherwise. Marks scope explained.
  std::optional<std::string> ExplainFirstMiss(StageCacheScope& scope, const std::string& parent_key,
                                              const StepInputs& inputs) const;
  // Remembers that inputs (hit or built) followed parent_key, making it the latest child, and
  // for a stage's first step the base the stage started from. Writes only what changed, so a
  // warm rebuild reads a few small files and writes none. Never throws: explanations are optional.
  void RememberInputs(const StageCacheScope& scope, const std::string& parent_key, const StepInputs& inputs);

 private:
  std::string ExplainDir(const std::string& parent_key) const;
  std::string StageFile(const std::string& stage_id) const;

  store::Store& store_;
  store::CacheRecords records_;
};

}  // namespace cairn::builder
