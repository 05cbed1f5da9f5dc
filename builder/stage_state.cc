#include "builder/stage_state.h"

#include "builder/image_config.h"

namespace cairn::builder {

using nlohmann::json;

void AppendHistory(StageState& state, const plan::Step& step, const std::optional<store::Layer>& layer,
                   int64_t epoch) {
  json h = {{"created", Rfc3339(epoch)}, {"created_by", step.created_by}, {"comment", "buildkit.dockerfile.v0"}};
  if (layer) {
    state.layers.push_back(layer->descriptor);
    state.diff_ids.push_back(layer->diff_id);
  } else {
    h["empty_layer"] = true;
  }
  if (!state.config.contains("history") || !state.config["history"].is_array()) state.config["history"] = json::array();
  state.config["history"].push_back(h);
  ApplyConfig(state.config, step.config);
}

json FinalConfig(const StageState& state, const plan::Stage& stage, const std::map<std::string, std::string>& labels,
                 int64_t epoch) {
  json config = state.config;
  if (stage.steps.empty()) ApplyConfig(config, stage.base_config);
  for (auto& [k, v] : labels) config["config"]["Labels"][k] = v;
  config["created"] = Rfc3339(epoch);
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", state.diff_ids}};
  return config;
}

}  // namespace cairn::builder
