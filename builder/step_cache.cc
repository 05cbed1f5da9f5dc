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

std::string StepCacheKey(const std::string& parent_key, const plan::Step& step, const std::string& sources_digest) {
  json k = {{"v", 1},
            {"parent", parent_key},
            {"action", ActionJson(step.action)},
            {"env", step.config.env},
            {"workdir", step.config.workdir},
            {"user", step.config.user},
            {"shell", step.config.shell},
            {"args", step.args_in_scope},
            {"sources", sources_digest}};
  return DigestOf(store::CanonicalJson(k));
}

StepCache::StepCache(store::Store& store) : store_(store) { MakeDirs(JoinPath(store_.root(), "cache")); }

std::string StepCache::PathFor(const std::string& key) const {
  return JoinPath(store_.root(), "cache/" + DigestHex(key) + ".json");
}

std::optional<CacheRecord> StepCache::Lookup(const std::string& key) const {
  std::string path = PathFor(key);
  if (!PathExists(path)) return std::nullopt;
  try {
    json j = json::parse(ReadFile(path));
    CacheRecord rec;
    if (j.contains("layer") && !j["layer"].is_null()) {
      store::Layer layer{store::DescriptorFromJson(j["layer"]["descriptor"]), j["layer"]["diff_id"].get<std::string>()};
      if (!store_.HasBlob(layer.descriptor.digest)) return std::nullopt;
      rec.layer = layer;
    }
    return rec;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged record is a miss, never a failed build
  }
}

void StepCache::Record(const std::string& key, const CacheRecord& record) {
  json j = {{"layer", nullptr}};
  if (record.layer) j["layer"] = {{"descriptor", store::ToJson(record.layer->descriptor)}, {"diff_id", record.layer->diff_id}};
  WriteFileAtomic(PathFor(key), j.dump());
}

}  // namespace cairn::builder
