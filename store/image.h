// Reading and writing images (manifest + config + layers) in a Store.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/platform.h"
#include "store/store.h"

namespace cairn::store {

struct Image {
  Descriptor manifest_descriptor;
  nlohmann::json manifest;
  Descriptor config_descriptor;
  nlohmann::json config;             // the OCI/docker image config as stored
  std::vector<Descriptor> layers;    // compressed blobs, bottom first
  std::vector<std::string> diff_ids; // config.rootfs.diff_ids, bottom first
};

// Loads the image a tag or a manifest digest ("sha256:...") names; through an index, the host
// platform's image if the store has it, else the only one it has (an index pulled for one
// platform). Throws Error naming the reference if it is unknown
// ("image \"x:1\" not found in store /var/lib/cairn (import or pull it)").
Image LoadImage(const Store& store, const std::string& ref);

// The same for one platform: through an index, that platform's image (Error naming the platforms
// the index has when it lacks it, or telling to pull when its manifest is not in the store); a
// plain manifest must be for that platform (Error naming the platform it is for).
Image LoadImage(const Store& store, const std::string& ref, const Platform& platform);

// True when LoadImage(store, ref, platform) finds the image without a pull.
bool HasImage(const Store& store, const std::string& ref, const Platform& platform);

// The platform an image config says it is for (os, architecture, variant; normalised).
Platform PlatformOf(const nlohmann::json& config);
// The platform of an index entry (its "platform" object; normalised; empty fields when absent).
Platform EntryPlatform(const nlohmann::json& entry);
// Whether an image for `is` serves `want`: same os and architecture, and the same variant when
// both name one (configs of arm images often omit it).
bool PlatformServes(const Platform& is, const Platform& want);

// A tag's or digest's descriptor when it names an index (multi-platform image), else nullopt; with
// the index's JSON in *index.
std::optional<Descriptor> ResolveIndex(const Store& store, const std::string& ref, nlohmann::json* index);

// The platforms an index lists whose manifest is not in the store (a pull fetches one platform).
std::vector<Platform> AbsentPlatforms(const Store& store, const nlohmann::json& index);

// One image of a multi-platform image: the manifest written by WriteImage and its platform.
struct PlatformImage {
  Platform platform;
  Descriptor manifest;
};

// Writes an OCI image index listing images in the order given (the caller fixes the order: see
// cli/multi_build.cc), each entry with its platform fields as the image-spec has them (os,
// architecture, variant only when there is one). Canonical JSON, so the same images give the same
// index digest. Returns its descriptor.
// annotations: the index's (none: no "annotations" key); descriptor_annotations: every manifest
// descriptor's.
Descriptor WriteIndex(Store& store, const std::vector<PlatformImage>& images,
                      const std::map<std::string, std::string>& annotations = {},
                      const std::map<std::string, std::string>& descriptor_annotations = {});

// What WriteImage stored: the manifest (what a tag points at) and the config it names (whose
// digest is the image ID docker shows).
struct WrittenImage {
  Descriptor manifest;
  Descriptor config;
};

// How the manifest is written. The defaults are what every existing digest was made with.
struct ManifestOptions {
  std::map<std::string, std::string> annotations;  // none: no "annotations" key
  // Docker's media types (schema 2: manifest, config, gzip layers) instead of OCI's, for
  // registries and tools that take no OCI (buildx's oci-mediatypes=false). The config's bytes
  // are the same, so the image ID is too. A layer that is not gzip is an Error (docker's types
  // have no zstd).
  bool docker_media_types = false;
};

// Writes config and a manifest for layers. The config's rootfs.diff_ids must already match
// layers (else Error). Serialisation is canonical (see CanonicalJson).
WrittenImage WriteImage(Store& store, const nlohmann::json& config, const std::vector<Descriptor>& layers,
                        const ManifestOptions& options = {});

// The one JSON serialisation cairn writes blobs with: keys sorted, no insignificant whitespace,
// UTF-8 as is. Same input -> same bytes -> same digest.
std::string CanonicalJson(const nlohmann::json& j);

}  // namespace cairn::store
