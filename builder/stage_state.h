// What a stage has built so far, and how a step and the end of the build add to it. Docker's
// rules for the image config's history and rootfs live here; the builder only calls them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/platform.h"

#include "builder/step_cache.h"
#include "plan/plan.h"
#include "store/cache_manifest.h"
#include "store/layer.h"

namespace cairn::builder {

struct StageState {
  nlohmann::json config;  // the image config being written
  std::vector<store::Descriptor> layers;
  std::vector<std::string> diff_ids;
  std::string cache_key;        // key of the last step (or the base's identity)
  StageCacheScope cache_scope;  // set per stage by the builder
  std::vector<store::CacheEntry> records;  // of every step that made this state, base stages' too
  Platform platform;  // what the stage is built for: its RUN steps run as this platform's programs
};

// One history entry per instruction, as docker writes them (created = the image epoch); a step
// whose change is empty (or that makes none) has no layer and is marked empty_layer. Then the
// step's config is applied.
void AppendHistory(StageState& state, const plan::Step& step, const std::optional<store::Layer>& layer,
                   int64_t epoch);

// The config of the image the stage's state makes: --label labels, created = epoch, rootfs.
nlohmann::json FinalConfig(const StageState& state, const plan::Stage& stage,
                           const std::map<std::string, std::string>& labels, int64_t epoch);

}  // namespace cairn::builder
