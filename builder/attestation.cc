#include "builder/attestation.h"

#include "base/error.h"
#include "store/image.h"

namespace cairn::builder {

using nlohmann::json;

store::Descriptor WriteAttestationManifest(store::Store& store, const store::Descriptor& image_manifest,
                                           const std::vector<json>& statements) {
  std::vector<store::Descriptor> layers;
  json diff_ids = json::array();
  for (auto& s : statements) {
    store::Descriptor d = store.PutBlob(store::CanonicalJson(s), kInTotoMediaType);
    d.annotations[kPredicateTypeAnnotation] = s.value("predicateType", "");
    layers.push_back(d);
    diff_ids.push_back(d.digest);
  }
  // As BuildKit writes it: a config for no platform whose rootfs lists the statements.
  json config = {{"architecture", "unknown"}, {"os", "unknown"}, {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  store::Descriptor manifest = store::WriteImage(store, config, layers).manifest;
  manifest.annotations[kReferenceType] = "attestation-manifest";
  manifest.annotations[kReferenceDigest] = image_manifest.digest;
  return manifest;
}

bool IsAttestationEntry(const json& entry) {
  return entry.is_object() && entry.contains("annotations") && entry["annotations"].is_object() &&
         entry["annotations"].value(kReferenceType, "") == "attestation-manifest";
}

std::optional<store::Descriptor> FindAttestation(const json& index, const std::string& image_digest) {
  for (auto& m : index.value("manifests", json::array()))
    if (IsAttestationEntry(m) && m["annotations"].value(kReferenceDigest, "") == image_digest)
      return store::DescriptorFromJson(m);
  return std::nullopt;
}

std::optional<json> ReadStatement(const store::Store& store, const std::string& attestation_digest,
                                  const std::string& predicate_type) {
  json manifest = json::parse(store.ReadBlob(attestation_digest), nullptr, false);
  if (!manifest.is_object() || !manifest.contains("layers"))
    throw Error("attestation manifest " + attestation_digest + " has no layers");
  for (auto& l : manifest["layers"]) {
    store::Descriptor d = store::DescriptorFromJson(l);
    auto it = d.annotations.find(kPredicateTypeAnnotation);
    if (it == d.annotations.end() || it->second != predicate_type) continue;
    json statement = json::parse(store.ReadBlob(d.digest), nullptr, false);
    if (statement.is_discarded()) throw Error("attestation " + d.digest + " is not JSON");
    return statement;
  }
  return std::nullopt;
}

}  // namespace cairn::builder
