// Attestations attached as buildx attaches them: for each image manifest an attestation manifest
// in the image index, platform unknown/unknown, annotated vnd.docker.reference.type=
// attestation-manifest and vnd.docker.reference.digest=<the image manifest's digest>; each
// statement one layer of media type application/vnd.in-toto+json annotated with its
// in-toto.io/predicate-type.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace cairn::builder {

inline constexpr const char* kInTotoMediaType = "application/vnd.in-toto+json";
inline constexpr const char* kReferenceType = "vnd.docker.reference.type";
inline constexpr const char* kReferenceDigest = "vnd.docker.reference.digest";
inline constexpr const char* kPredicateTypeAnnotation = "in-toto.io/predicate-type";

// Writes the statements (canonical JSON) and the attestation manifest naming them; returns its
// descriptor with the two reference annotations set (what the index entry carries).
store::Descriptor WriteAttestationManifest(store::Store& store, const store::Descriptor& image_manifest,
                                           const std::vector<nlohmann::json>& statements);

// Whether an index entry is an attestation manifest (not an image to run).
bool IsAttestationEntry(const nlohmann::json& entry);

// The entry of index that attests image_digest, or nullopt.
std::optional<store::Descriptor> FindAttestation(const nlohmann::json& index, const std::string& image_digest);

// The statement of predicate_type an attestation manifest (in store, with its layers) holds, or
// nullopt when it has none.
std::optional<nlohmann::json> ReadStatement(const store::Store& store, const std::string& attestation_digest,
                                            const std::string& predicate_type);

}  // namespace cairn::builder
