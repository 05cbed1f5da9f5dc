#include "store/cache_manifest.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"

namespace cairn::store {

using nlohmann::json;

namespace {

constexpr int kFormatVersion = 1;

json RecordJson(const CacheEntry& e) {
  json j = {{"key", e.key}, {"layer", nullptr}};
  if (e.layer) j["layer"] = {{"descriptor", ToJson(e.layer->descriptor)}, {"diffID", e.layer->diff_id}};
  return j;
}

json MountJson(const CacheEntry& e) {
  return {{"id", e.mount->id},
          {"platform", e.mount->platform},
          {"layer", {{"descriptor", ToJson(e.layer->descriptor)}, {"diffID", e.layer->diff_id}}}};
}

Layer LayerFromJson(const json& l, const std::string& what) {
  if (!l.is_object() || !l.contains("descriptor") || !l.contains("diffID") || !l["diffID"].is_string() ||
      !IsValidDigest(l["diffID"].get<std::string>()))
    throw Error(what + ": malformed layer");
  return Layer{DescriptorFromJson(l["descriptor"]), l["diffID"].get<std::string>()};
}

CacheEntry MountFromJson(const json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty() ||
      !j.contains("platform") || !j["platform"].is_string() || !j.contains("layer"))
    throw Error("a cache mount snapshot without \"id\", \"platform\" or \"layer\"");
  CacheMountName name{j["id"].get<std::string>(), j["platform"].get<std::string>()};
  return CacheEntry{CacheMountKey(name), LayerFromJson(j["layer"], "cache mount " + name.id), name};
}

CacheEntry RecordFromJson(const json& j) {
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string() || !IsValidDigest(j["key"].get<std::string>()))
    throw Error("a record without a valid \"key\"");
  CacheEntry e{j["key"].get<std::string>(), std::nullopt};
  if (!j.contains("layer") || j["layer"].is_null()) return e;
  e.layer = LayerFromJson(j["layer"], "record " + e.key);
  return e;
}

}  // namespace

std::string CacheMountKey(const CacheMountName& mount) {
  return DigestOf("cairn cache mount\n" + mount.id + "\n" + mount.platform);
}

namespace {

// Sorted by key, each key once (the first given wins).
std::vector<CacheEntry> SortedUnique(std::vector<CacheEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const CacheEntry& a, const CacheEntry& b) { return a.key < b.key; });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const CacheEntry& a, const CacheEntry& b) { return a.key == b.key; }),
                entries.end());
  return entries;
}

}  // namespace

std::string CacheConfigBytes(std::vector<CacheEntry> entries) {
  json records = json::array(), mounts = json::array();
  for (auto& e : SortedUnique(std::move(entries))) {
    if (e.mount && !e.layer) throw Error("cache mount " + e.mount->id + ": a snapshot without a layer");
    (e.mount ? mounts : records).push_back(e.mount ? MountJson(e) : RecordJson(e));
  }
  json config = {{"version", kFormatVersion}, {"records", records}};
  // Only when there are snapshots: a cache without them keeps the bytes (and digests) it had.
  if (!mounts.empty()) config["mounts"] = mounts;
  return config.dump();
}

Descriptor WriteCacheManifest(Store& store, std::vector<CacheEntry> entries, std::optional<int64_t> exported_at) {
  entries = SortedUnique(std::move(entries));
  std::map<std::string, Descriptor> layers;  // by digest: sorted, each once
  for (auto& e : entries)
    if (e.layer) layers.emplace(e.layer->descriptor.digest, e.layer->descriptor);
  Descriptor config_desc = store.PutBlob(CacheConfigBytes(std::move(entries)), kCacheConfigMediaType);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", media::kOciManifest},
                   {"config", ToJson(config_desc)},
                   {"layers", json::array()}};
  for (auto& [digest, d] : layers) manifest["layers"].push_back(ToJson(d));
  if (exported_at) manifest["annotations"] = {{kCacheExportedAnnotation, std::to_string(*exported_at)}};
  return store.PutBlob(manifest.dump(), media::kOciManifest);
}

Descriptor CacheConfigDescriptor(const std::string& manifest_bytes) {
  json m = json::parse(manifest_bytes, nullptr, false);
  if (!m.is_object() || !m.contains("config")) throw Error("not a manifest");
  Descriptor config = DescriptorFromJson(m["config"]);
  if (config.media_type != kCacheConfigMediaType)
    throw Error("not a cairn cache: its config is \"" + config.media_type + "\", not " + kCacheConfigMediaType);
  return config;
}

std::optional<std::vector<CacheEntry>> InlineCacheOf(const std::string& image_config_bytes) {
  json c = json::parse(image_config_bytes, nullptr, false);
  if (!c.is_object() || !c.contains(kInlineCacheKey)) return std::nullopt;
  return ParseCacheConfig(c[kInlineCacheKey].dump());
}

std::optional<int64_t> CacheExportedAt(const std::string& manifest_bytes) {
  json m = json::parse(manifest_bytes, nullptr, false);
  if (!m.is_object() || !m.contains("annotations") || !m["annotations"].is_object()) return std::nullopt;
  auto& a = m["annotations"];
  if (!a.contains(kCacheExportedAnnotation) || !a[kCacheExportedAnnotation].is_string()) return std::nullopt;
  std::string text = a[kCacheExportedAnnotation];
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(text);
}

std::vector<CacheEntry> ParseCacheConfig(const std::string& config_bytes) {
  json c = json::parse(config_bytes, nullptr, false);
  if (!c.is_object()) throw Error("the cache config is not JSON");
  if (!c.contains("version") || c["version"] != kFormatVersion)
    throw Error("cache format version " + (c.contains("version") ? c["version"].dump() : std::string("missing")) +
                " (this cairn reads version " + std::to_string(kFormatVersion) + ")");
  if (!c.contains("records") || !c["records"].is_array()) throw Error("the cache config has no \"records\"");
  std::vector<CacheEntry> out;
  for (auto& r : c["records"]) out.push_back(RecordFromJson(r));
  if (c.contains("mounts")) {
    if (!c["mounts"].is_array()) throw Error("the cache config's \"mounts\" is not a list");
    for (auto& m : c["mounts"]) out.push_back(MountFromJson(m));
  }
  std::sort(out.begin(), out.end(), [](const CacheEntry& a, const CacheEntry& b) { return a.key < b.key; });
  return out;
}

}  // namespace cairn::store
