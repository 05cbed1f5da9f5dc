// The statements of one build's attestations (--attest type=provenance, type=sbom), assembled from
// what BuildRun collected while it ran, so the build's main loop knows nothing of SLSA or SPDX;
// builder/attestation.h writes them beside the image manifest.
#pragma once

#include <string>
#include <vector>

#include "builder/builder.h"
#include "builder/provenance.h"
#include "plan/plan.h"
#include "store/store.h"

namespace cairn::builder {

// Whether the build asked for any attestation.
bool WantsAttestations(const BuildOptions& options);

// The plan's steps in build order, as provenance lists them: a FROM line for a stage on an
// image or another stage, then each step's display text (never whether it was cached).
std::vector<BuildMaterials::Step> PlanSteps(const plan::Plan& plan);

// What the provenance statement describes, from the build's options (paths absolute, as BuildRun
// holds them). dockerfile_display names a Dockerfile outside the context (or from stdin) by its
// last component: the statement never holds a host path.
ProvenanceRequest ProvenanceRequestFor(const BuildOptions& options, const std::string& dockerfile_display,
                                       const Epochs& epochs, const std::vector<std::string>& secret_values,
                                       const store::Descriptor& manifest);

// The image an attestation describes: its manifest and layers (every blob in the store).
struct AttestedImage {
  store::Descriptor manifest;
  std::vector<store::Descriptor> layers;
  std::vector<std::string> diff_ids;
};

// The SBOM statement (--attest type=sbom): an SPDX document of the packages the image's package
// databases list (dpkg, apk), dated image_epoch.
nlohmann::json SbomStatement(store::Store& store, const AttestedImage& image, int64_t image_epoch);

}  // namespace cairn::builder
