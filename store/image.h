// Reading and writing images (manifest + config + layers) in a Store.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

// Loads the image a tag or a manifest digest ("sha256:...") names. Throws Error naming the
// reference if it is unknown ("image \"x:1\" not found in store /var/lib/cairn (import or pull it)").
Image LoadImage(const Store& store, const std::string& ref);

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
