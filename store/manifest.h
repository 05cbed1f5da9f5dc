// The one shape check for image manifests: every reader of a manifest (load, pull, push, GC,
// saved archives) asks here whether a JSON document is an image manifest before it reads the
// config and layers, and names the document in its own error.
#pragma once

#include <nlohmann/json.hpp>

namespace cairn::store {

// An object with a "config" object and a "layers" array (OCI image manifest or docker schema 2).
// An index, docker schema 1 and anything else is not.
bool IsImageManifest(const nlohmann::json& m);

}  // namespace cairn::store
