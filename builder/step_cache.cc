#include "builder/step_cache.h"

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/image.h"

namespace cairn::builder {

using nlohmann::json;

static json ActionJson(const plan::Action& action) {
  struct Visitor {
    json operator()(const plan::NoAction&) const { return json{{"kind", "none"}}; }
    json operator()(const plan::RunAction& r) const {
      json mounts = json::array();
      for (auto& m : r.mounts) mounts.push_back({{"type", m.type}, {"options", m.options}});
      json heredocs = json::array();
      for (auto& h : r.heredocs) heredocs.push_back({{"name", h.name}, {"content", h.content}});
      return {{"kind", "run"}, {"argv", r.argv}, {"build_env", r.build_env}, {"network", r.network},
              {"security", r.security}, {"mounts", mounts}, {"heredocs", heredocs}};
    }
    json operator()(const plan::CopyAction& c) const {
      json inl = json::array();
      for (auto& h : c.inline_sources) inl.push_back({{"name", h.name}, {"content", h.content}});
      return {{"kind", c.is_add ? "add" : "copy"}, {"sources", c.sources}, {"inline", inl}, {"dest", c.dest},
              {"dest_is_dir", c.dest_is_dir}, {"from", c.from}, {"chown", c.chown}, {"chmod", c.chmod},
              {"link", c.link}, {"parents", c.parents}, {"excludes", c.excludes}, {"checksum", c.checksum}};
    }
    json operator()(const plan::MkdirAction& m) const { return {{"kind", "mkdir"}, {"path", m.path}}; }
  };
  return std::visit(Visitor{}, action);
}

std::string StepCacheKey(const std::string& parent_key, const plan::Step& step, const std::string& sources_digest,
                         const std::string& layer_format) {
  json k = {{"v", 1},
            {"parent", parent_key},
            {"action", ActionJson(step.action)},
            {"env", step.config.env},
            {"workdir", step.config.workdir},
            {"user", step.config.user},
            {"shell", step.config.shell},
            {"args", step.args_in_scope},
            {"sources", sources_digest},
            {"layer_format", layer_format}};
  return DigestOf(store::CanonicalJson(k));
}

StepCache::StepCache(store::Store& store) : store_(store), records_(store) {}

std::optional<CacheRecord> StepCache::Lookup(const std::string& key) const {
  std::optional<CacheRecord> rec = records_.Get(key);
  if (rec && rec->layer && !store_.HasBlob(rec->layer->descriptor.digest)) return std::nullopt;
  return rec;
}

void StepCache::Record(const std::string& key, const CacheRecord& record) { records_.Put(key, record); }

}  // namespace cairn::builder
