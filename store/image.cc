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

std::string PlatformsOf(const json& index) {
  std::string seen;
  for (auto& m : index.value("manifests", json::array())) seen += (seen.empty() ? "" : ", ") + ToString(EntryPlatform(m));
  return seen.empty() ? "none" : seen;
}

// From an index (a multi-platform image), the manifest for `want`. Without one, the host's if
// it is in the store, else the only one that is (an index pulled for one platform).
Descriptor PickFromIndex(const Store& store, const json& index, const std::string& ref, const Platform* want) {
  const json& ms = index.value("manifests", json::array());
  Platform target = want ? *want : HostPlatform();
  for (auto& m : ms)
    if (EntryPlatform(m) == target && (want || store.HasBlob(m.value("digest", "")))) return DescriptorFromJson(m);
  if (!want) {
    std::vector<const json*> here;
    // An attestation manifest (buildx's vnd.docker.reference.type) is no image to pick.
    for (auto& m : ms)
      if (store.HasBlob(m.value("digest", "")) &&
          m.value("annotations", json::object()).value("vnd.docker.reference.type", "") != "attestation-manifest")
        here.push_back(&m);
    if (here.size() == 1) return DescriptorFromJson(*here[0]);
    if (ms.size() == 1) return DescriptorFromJson(ms[0]);
  }
  throw Error("image " + ref + " has no " + ToString(target) + " image (it has " + PlatformsOf(index) +
              "); build for one of those with --platform, or use a base image that has " + ToString(target));
}

// A plain manifest's image must be for the platform asked: an amd64 image does not run as arm64.
// Configs without an architecture (some hand-made ones) are taken as they are.
void CheckPlatform(const json& config, const std::string& ref, const Platform& want) {
  Platform is = PlatformOf(config);
  if (is.architecture.empty()) return;
  if (!PlatformServes(is, want))
    throw Error("image " + ref + " is for " + ToString(is) + " only, not " + ToString(want) +
                "; build for " + ToString(is) + " with --platform, or use a base image that has " + ToString(want));
}

Image LoadManifest(const Store& store, Descriptor desc, const std::string& ref, int depth, const Platform* want) {
  json m = ParseBlob(store, desc.digest, "manifest of " + ref, &desc.size);
  std::string mt = m.value("mediaType", desc.media_type);
  if (IsIndex(m, mt)) {
    if (depth > 2) throw Error("image " + ref + ": index nesting too deep");
    Descriptor picked = PickFromIndex(store, m, ref, want);
    if (!store.HasBlob(picked.digest))
      throw Error("image " + ref + ": its " + ToString(want ? *want : HostPlatform()) + " image " + picked.digest +
                  " is not in store " + store.root() + " (pull it with --platform)");
    return LoadManifest(store, picked, ref, depth + 1, want);
  }
  if (desc.media_type.empty()) desc.media_type = mt.empty() ? media::kOciManifest : mt;
  if (!IsImageManifest(m))
    throw Error("manifest " + desc.digest + " of " + ref + " has no config or layers (unsupported manifest type " + mt + ")");
  Image img;
  img.manifest_descriptor = desc;
  img.manifest = m;
  img.config_descriptor = DescriptorFromJson(m["config"]);
  img.config = ParseBlob(store, img.config_descriptor.digest, "config of " + ref);
  // Picked from an index, the index entry's platform is the one that counts (as in containerd).
  if (want && depth == 0) CheckPlatform(img.config, ref, *want);
  for (auto& l : m["layers"]) img.layers.push_back(DescriptorFromJson(l));
  const json* ids = img.config.contains("rootfs") ? &img.config["rootfs"] : nullptr;
  if (ids && ids->contains("diff_ids") && (*ids)["diff_ids"].is_array())
    for (auto& d : (*ids)["diff_ids"]) img.diff_ids.push_back(d.get<std::string>());
  if (img.diff_ids.size() != img.layers.size())
    throw Error("image " + ref + ": config lists " + std::to_string(img.diff_ids.size()) + " diff_ids but the manifest has " +
                std::to_string(img.layers.size()) + " layers");
  return img;
}

std::optional<Descriptor> Resolve(const Store& store, const std::string& ref) {
  if (IsValidDigest(ref)) {
    if (store.HasBlob(ref)) return Descriptor{"", ref, 0, {}};
    return std::nullopt;
  }
  return store.ResolveTag(ref);
}

Image Load(const Store& store, const std::string& ref, const Platform* want) {
  std::optional<Descriptor> desc = Resolve(store, ref);
  if (!desc)
    throw Error("image \"" + (IsValidDigest(ref) ? ref : NormalizeName(ref)) + "\" not found in store " + store.root() +
                " (import or pull it)");
  return LoadManifest(store, *desc, ref, 0, want);
}

}  // namespace

Image LoadImage(const Store& store, const std::string& ref) { return Load(store, ref, nullptr); }

Image LoadImage(const Store& store, const std::string& ref, const Platform& platform) {
  return Load(store, ref, &platform);
}

bool HasImage(const Store& store, const std::string& ref, const Platform& platform) {
  std::optional<Descriptor> desc = Resolve(store, ref);
  if (!desc) return false;
  json index;
  if (ResolveIndex(store, ref, &index)) {
    for (auto& m : index.value("manifests", json::array()))
      if (EntryPlatform(m) == platform) return store.HasBlob(m.value("digest", ""));
    return false;
  }
  try {
    LoadImage(store, ref, platform);
    return true;
  } catch (const Error&) {
    return false;  // another platform's image: a pull may find this one
  }
}

Platform PlatformOf(const nlohmann::json& config) {
  return NormalizePlatform({config.value("os", ""), config.value("architecture", ""), config.value("variant", "")});
}

Platform EntryPlatform(const nlohmann::json& entry) {
  json p = entry.value("platform", json::object());
  if (!p.is_object()) p = json::object();
  return NormalizePlatform({p.value("os", ""), p.value("architecture", ""), p.value("variant", "")});
}

std::vector<Platform> AbsentPlatforms(const Store& store, const nlohmann::json& index) {
  std::vector<Platform> absent;
  for (auto& m : index.value("manifests", json::array()))
    if (!store.HasBlob(m.value("digest", ""))) absent.push_back(EntryPlatform(m));
  return absent;
}

bool PlatformServes(const Platform& is, const Platform& want) {
  return is.os == want.os && is.architecture == want.architecture &&
         (is.variant.empty() || want.variant.empty() || is.variant == want.variant);
}

std::optional<Descriptor> ResolveIndex(const Store& store, const std::string& ref, nlohmann::json* index) {
  std::optional<Descriptor> desc = Resolve(store, ref);
  if (!desc) return std::nullopt;
  json m = ParseBlob(store, desc->digest, "manifest of " + ref);
  if (!IsIndex(m, m.value("mediaType", desc->media_type))) return std::nullopt;
  if (index) *index = m;
  return desc;
}

Descriptor WriteIndex(Store& store, const std::vector<PlatformImage>& images,
                      const std::map<std::string, std::string>& annotations,
                      const std::map<std::string, std::string>& descriptor_annotations) {
  json manifests = json::array();
  for (auto& image : images) {
    json entry = ToJson(image.manifest);
    for (auto& [k, v] : descriptor_annotations) entry["annotations"][k] = v;
    json platform = {{"os", image.platform.os}, {"architecture", image.platform.architecture}};
    if (!image.platform.variant.empty()) platform["variant"] = image.platform.variant;
    entry["platform"] = platform;
    manifests.push_back(entry);
  }
  json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", manifests}};
  if (!annotations.empty()) index["annotations"] = annotations;
  return store.PutBlob(CanonicalJson(index), media::kOciIndex);
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
