#include "builder/build_attestations.h"

#include "base/fs.h"
#include "base/platform.h"
#include "builder/git_source.h"
#include "builder/sbom.h"
#include "store/compressor.h"

namespace cairn::builder {

using nlohmann::json;

bool WantsAttestations(const BuildOptions& options) { return !options.provenance.empty() || options.sbom; }

std::vector<BuildMaterials::Step> PlanSteps(const plan::Plan& plan) {
  std::vector<BuildMaterials::Step> steps;
  for (int index : plan.build_order) {
    const plan::Stage& stage = plan.stages.at(static_cast<size_t>(index));
    std::string name = stage.name.empty() ? "stage-" + std::to_string(stage.index) : stage.name;
    if (!stage.base.is_scratch()) {
      const int* parent = stage.base.stage();
      steps.push_back({name, "FROM " + (parent ? plan.stages.at(static_cast<size_t>(*parent)).name : *stage.base.image()), ""});
    }
    for (auto& step : stage.steps) {
      auto* run = std::get_if<plan::RunAction>(&step.action);
      steps.push_back({name, step.display, run ? run->network : ""});
    }
  }
  return steps;
}

namespace {

// The Dockerfile relative to the context, or one outside it (or read from stdin) by its name alone.
std::string DockerfileInContext(const BuildOptions& options, const std::string& display) {
  std::string path = options.dockerfile_path.empty() ? JoinPath(options.context_dir, "Dockerfile") : options.dockerfile_path;
  if (path.rfind(options.context_dir + "/", 0) == 0) return path.substr(options.context_dir.size() + 1);
  return display.substr(display.rfind('/') + 1);
}

}  // namespace

ProvenanceRequest ProvenanceRequestFor(const BuildOptions& options, const std::string& dockerfile_display,
                                       const Epochs& epochs, const std::vector<std::string>& secret_values,
                                       const store::Descriptor& manifest) {
  ProvenanceRequest r;
  r.mode = options.provenance;
  r.subject = manifest;
  r.dockerfile = DockerfileInContext(options, dockerfile_display);
  r.target = options.target;
  r.platform = ToString(options.platform);
  r.network = options.network;
  r.compression = store::ToString(options.compression);
  r.build_args = options.build_args;
  r.labels = options.labels;
  r.annotations = options.annotations;
  r.add_hosts = options.add_hosts;
  r.ulimits = options.ulimits;
  r.allow.assign(options.allow.begin(), options.allow.end());
  r.shm_size = options.shm_size;
  for (auto& [name, context] : options.named_contexts) r.named_contexts.push_back(name);
  r.docker_media_types = options.docker_media_types;
  r.epochs = epochs;
  r.explicit_epoch_flag = options.source_date_epoch.has_value();
  if (options.git_context) {
    GitUrl url = ParseGitUrl(options.git_context->display);
    r.git_remote = url.remote;
    r.git_commit = options.git_context->commit;
    r.git_subdir = url.subdir;
  }
  r.secret_values = secret_values;
  return r;
}

json SbomStatement(store::Store& store, const AttestedImage& image, int64_t image_epoch) {
  std::vector<Package> packages = ImagePackages(store, image.layers, image.diff_ids);
  return InTotoStatement(kSpdxDocument, image.manifest,
                         SpdxDocument(packages, ImageDistro(store, image.layers, image.diff_ids), image_epoch));
}

}  // namespace cairn::builder
