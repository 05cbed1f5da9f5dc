// Images: manifest + config + layers.
#include "store/image.h"

#include "base/digest.h"
#include "base/error.h"
#include "store/manifest.h"

namespace cairn::store {

namespace {

using nlohmann::json;

json ParseBlob(const Store& store, const std::string& digest, const std::string& what, int64_t* size = nullptr) {
  try {
    std::string bytes = store.ReadBlob(digest);
    if (size) *size = static_cast<int64_t>(bytes.size());
    return json::parse(bytes);
  } catch (const json::exception& e) {
    throw Error(what + " " + digest + " in store " + store.root() + " is not valid JSON: " + e.what());
  }
}

bool IsIndex(const json& m, const std::string& media_type) {
  return media_type == media::kOciIndex || media_type == "application/vnd.docker.distribution.manifest.list.v2+json" ||
         (m.contains("manifests") && !m.contains("layers"));
}

// From an index (a multi-platform image), the linux/amd64 manifest, else the only one.
Descriptor PickFromIndex(const json& index, const std::string& digest) {
  const json& ms = index.value("manifests", json::array());
  for (auto& m : ms) {
    auto p = m.value("platform", json::object());
    if (p.value("os", "") == "linux" && p.value("architecture", "") == "amd64") return DescriptorFromJson(m);
  }
  if (ms.size() == 1) return DescriptorFromJson(ms[0]);
  throw Error("image index " + digest + " has no linux/amd64 manifest");
}

Image LoadManifest(const Store& store, Descriptor desc, const std::string& ref, int depth) {
  json m = ParseBlob(store, desc.digest, "manifest of " + ref, &desc.size);
  std::string mt = m.value("mediaType", desc.media_type);
  if (IsIndex(m, mt)) {
    if (depth > 2) throw Error("image " + ref + ": index nesting too deep");
    return LoadManifest(store, PickFromIndex(m, desc.digest), ref, depth + 1);
  }
  if (desc.media_type.empty()) desc.media_type = mt.empty() ? media::kOciManifest : mt;
  if (!IsImageManifest(m))
    throw Error("manifest " + desc.digest + " of " + ref + " has no config or layers (unsupported manifest type " + mt + ")");
  Image img;
  img.manifest_descriptor = desc;
  img.manifest = m;
  img.config_descriptor = DescriptorFromJson(m["config"]);
  img.config = ParseBlob(store, img.config_descriptor.digest, "config of " + ref);
  for (auto& l : m["layers"]) img.layers.push_back(DescriptorFromJson(l));
  const json* ids = img.config.contains("rootfs") ? &img.config["rootfs"] : nullptr;
  if (ids && ids->contains("diff_ids") && (*ids)["diff_ids"].is_array())
    for (auto& d : (*ids)["diff_ids"]) img.diff_ids.push_back(d.get<std::string>());
  if (img.diff_ids.size() != img.layers.size())
    throw Error("image " + ref + ": config lists " + std::to_string(img.diff_ids.size()) + " diff_ids but the manifest has " +
                std::to_string(img.layers.size()) + " layers");
  return img;
}

}  // namespace

Image LoadImage(const Store& store, const std::string& ref) {
  std::optional<Descriptor> desc;
  if (IsValidDigest(ref)) {
    if (store.HasBlob(ref)) desc = Descriptor{"", ref, 0, {}};
  } else {
    desc = store.ResolveTag(ref);
  }
  if (!desc)
    throw Error("image \"" + (IsValidDigest(ref) ? ref : NormalizeName(ref)) + "\" not found in store " + store.root() +
                " (import or pull it)");
  return LoadManifest(store, *desc, ref, 0);
}

namespace {

// A layer descriptor with docker's media type for its bytes (see ManifestOptions).
Descriptor WithDockerMediaType(Descriptor layer) {
  if (layer.media_type == media::kOciLayerGzip || layer.media_type == media::kDockerLayerGzip) {
    layer.media_type = media::kDockerLayerGzip;
    return layer;
  }
  throw Error("layer " + layer.digest + " is " + layer.media_type +
              ", which docker's media types cannot name (they have gzip layers only); build with --compression gzip "
              "or keep OCI media types");
}

}  // namespace

WrittenImage WriteImage(Store& store, const nlohmann::json& config, const std::vector<Descriptor>& layers,
                        const ManifestOptions& options) {
  size_t ids = 0;
  if (config.contains("rootfs") && config["rootfs"].contains("diff_ids")) ids = config["rootfs"]["diff_ids"].size();
  if (ids != layers.size())
    throw Error("image config lists " + std::to_string(ids) + " diff_ids for " + std::to_string(layers.size()) +
                " layers (a builder bug)");
  bool docker = options.docker_media_types;
  Descriptor config_desc = store.PutBlob(CanonicalJson(config), docker ? media::kDockerConfig : media::kOciConfig);
  const char* manifest_type = docker ? media::kDockerManifest : media::kOciManifest;
  json manifest = {{"schemaVersion", 2}, {"mediaType", manifest_type}, {"config", ToJson(config_desc)},
                   {"layers", json::array()}};
  for (auto& l : layers) manifest["layers"].push_back(ToJson(docker ? WithDockerMediaType(l) : l));
  if (!options.annotations.empty()) manifest["annotations"] = options.annotations;
  return {store.PutBlob(CanonicalJson(manifest), manifest_type), config_desc};
}

std::string CanonicalJson(const nlohmann::json& j) {
  // nlohmann::json keeps objects in a std::map<std::string, ...>: keys are already in bytewise
  // order. dump() without indent writes no whitespace; ensure_ascii=false keeps UTF-8 as is;
  // strict error handling refuses invalid UTF-8 instead of writing something non-canonical.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

}  // namespace cairn::store
