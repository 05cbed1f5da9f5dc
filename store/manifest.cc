#include "store/manifest.h"

namespace cairn::store {

bool IsImageManifest(const nlohmann::json& m) {
  return m.is_object() && m.contains("config") && m["config"].is_object() && m.contains("layers") &&
         m["layers"].is_array();
}

}  // namespace cairn::store
