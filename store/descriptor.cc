// OCI content descriptors <-> JSON.
#include "base/digest.h"
#include "base/error.h"
#include "store/store.h"

namespace cairn::store {

nlohmann::json ToJson(const Descriptor& d) {
  nlohmann::json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  // An empty annotations object is omitted, as every OCI writer does, so digests match theirs.
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Descriptor DescriptorFromJson(const nlohmann::json& j) {
  auto bad = [&](const std::string& why) {
    return Error("malformed descriptor " + j.dump() + ": " + why);
  };
  if (!j.is_object()) throw bad("not an object");
  Descriptor d;
  if (j.contains("mediaType")) {
    if (!j["mediaType"].is_string()) throw bad("mediaType is not a string");
    d.media_type = j["mediaType"].get<std::string>();
  }
  if (!j.contains("digest") || !j["digest"].is_string()) throw bad("digest missing");
  d.digest = j["digest"].get<std::string>();
  if (!IsValidDigest(d.digest)) throw bad("digest is not sha256:<64 hex digits>");
  if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
    throw bad("size missing or negative");
  d.size = j["size"].get<int64_t>();
  if (j.contains("annotations") && !j["annotations"].is_null()) {
    if (!j["annotations"].is_object()) throw bad("annotations is not an object");
    for (auto& [k, v] : j["annotations"].items()) {
      if (!v.is_string()) throw bad("annotation " + k + " is not a string");
      d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

}  // namespace cairn::store
