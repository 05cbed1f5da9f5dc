// Verbs that read or name images in the store: import, save, tag, inspect.
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "builder/attestation.h"
#include "builder/epoch.h"
#include "builder/provenance.h"
#include "cli/transfer_meter.h"
#include "cli/verbs.h"
#include "store/archive.h"
#include "store/image.h"

namespace cairn::cli {

void AddImport(CLI::App& app, Globals& g) {
  struct Flags {
    std::string tar, name;
    std::optional<std::string> epoch;
    std::vector<std::string> changes;
    std::string platform;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("import", "make a one-layer image from a root filesystem tar ('-' = stdin)");
  cmd->add_option("tar", f->tar, "the tar file")->required();
  cmd->add_option("name", f->name, "name[:tag] for the image")->required();
  cmd->add_option("--source-date-epoch", f->epoch, "clamp file times to this (seconds since 1970)");
  cmd->add_option("-c,--change", f->changes, "apply a Dockerfile instruction to the config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--platform", f->platform, "the platform the config names (default linux/amd64): linux/arm64, linux/arm/v7, ...");
  cmd->callback([&g, f] {
    auto epoch = builder::ResolveSourceDateEpoch(f->epoch, std::getenv("SOURCE_DATE_EPOCH"));
    Platform platform = f->platform.empty() ? Platform{"linux", "amd64", ""} : ParsePlatform(f->platform);
    store::Descriptor d = store::ImportRootfs(g.Store(), f->tar, f->name, epoch.seconds, f->changes, platform);
    store::Image image = store::LoadImage(g.Store(), d.digest);
    std::printf("%s\n", image.config_descriptor.digest.c_str());
  });
}

void AddSave(CLI::App& app, Globals& g) {
  struct Flags {
    std::string output;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("save", "write images to a tar that docker load, podman load and skopeo read");
  cmd->add_option("-o,--output", f->output, "the archive to write")->required();
  cmd->add_option("names", f->names, "images to save")->required();
  cmd->callback([&g, f] {
    auto meter = StderrTransferMeter();  // bytes, total and rate on stderr while blobs go out
    store::SaveArchive(g.Store(), f->names, f->output, [](const std::string& note) { std::fprintf(stderr, "%s\n", note.c_str()); });
  });
}

void AddTag(CLI::App& app, Globals& g) {
  struct Flags {
    std::string source, target;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("tag", "give an image another name");
  cmd->add_option("source", f->source, "existing image")->required();
  cmd->add_option("target", f->target, "new name[:tag]")->required();
  cmd->callback([&g, f] {
    // A multi-platform image keeps its index under the new name too.
    if (auto index = store::ResolveIndex(g.Store(), f->source, nullptr)) return g.Store().SetTag(f->target, *index);
    store::Image image = store::LoadImage(g.Store(), f->source);
    g.Store().SetTag(f->target, image.manifest_descriptor);
  });
}

namespace {

// The statement of predicate_type attached to ref's image for platform ("" = the host's, or the
// index's only image); Error naming ref and what to do when there is none.
nlohmann::json AttestationOf(const store::Store& store, const std::string& ref, const std::string& predicate_type,
                             const std::string& platform) {
  nlohmann::json index;
  std::optional<store::Descriptor> d = store::ResolveIndex(store, ref, &index);
  std::string kind = predicate_type == builder::kSpdxDocument ? "sbom" : "provenance";
  if (!d) throw Error("image " + ref + " has no attestations (it is a single manifest); build it with --attest type=" + kind);
  store::Image image = platform.empty() ? store::LoadImage(store, d->digest) : store::LoadImage(store, d->digest, ParsePlatform(platform));
  std::optional<store::Descriptor> att = builder::FindAttestation(index, image.manifest_descriptor.digest);
  if (!att) throw Error("image " + ref + ": its image " + image.manifest_descriptor.digest + " has no attestation manifest; build it with --attest type=" + kind);
  if (!store.HasBlob(att->digest)) throw Error("image " + ref + ": its attestation manifest " + att->digest + " is not in the store (pull it again)");
  std::optional<nlohmann::json> statement = builder::ReadStatement(store, att->digest, predicate_type);
  if (!statement) throw Error("image " + ref + " has no " + predicate_type + " statement; build it with --attest type=" + kind);
  return *statement;
}

}  // namespace

void AddInspect(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("inspect", "show images as JSON: descriptor, manifest, config");
  cmd->add_option("names", *names, "images")->required();
  auto which = std::make_shared<std::string>();  // --provenance / --sbom: the predicate to print
  auto platform = std::make_shared<std::string>();
  cmd->add_flag_callback("--provenance", [which] { *which = builder::kSlsaProvenanceV1; },
                         "print the image's SLSA provenance statement (cairn build --attest type=provenance)");
  cmd->add_flag_callback("--sbom", [which] { *which = builder::kSpdxDocument; },
                         "print the image's SPDX SBOM statement (cairn build --attest type=sbom)");
  cmd->add_option("--platform", *platform, "with --provenance or --sbom: the platform's image (default the host's)");
  cmd->callback([&g, names, which, platform] {
    if (which->empty() && !platform->empty())
      throw Error("inspect --platform " + *platform + ": it chooses the image of --provenance or --sbom; inspect shows "
                  "every platform of an index already");
    if (!which->empty()) {
      nlohmann::json all = nlohmann::json::array();
      for (auto& n : *names) all.push_back(AttestationOf(g.Store(), n, *which, *platform));
      std::printf("%s\n", (all.size() == 1 ? all[0] : all).dump(2).c_str());
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    for (auto& n : *names) {
      // A multi-platform image: its index, with each platform's image (those in the store).
      nlohmann::json index;
      if (auto d = store::ResolveIndex(g.Store(), n, &index)) {
        nlohmann::json images = nlohmann::json::array();
        for (auto& m : index.value("manifests", nlohmann::json::array())) {
          std::string digest = m.value("digest", "");
          nlohmann::json one = {{"Platform", m.value("platform", nlohmann::json::object())}, {"Descriptor", m}};
          if (g.Store().HasBlob(digest)) {
            store::Image image = store::LoadImage(g.Store(), digest);
            one["Id"] = image.config_descriptor.digest;
            one["Config"] = image.config;
          }
          images.push_back(one);
        }
        out.push_back({{"Id", d->digest}, {"Descriptor", store::ToJson(*d)}, {"Index", index}, {"Images", images}});
        continue;
      }
      store::Image image = store::LoadImage(g.Store(), n);
      out.push_back({{"Id", image.config_descriptor.digest},
                     {"Descriptor", store::ToJson(image.manifest_descriptor)},
                     {"Manifest", image.manifest},
                     {"Config", image.config}});
    }
    std::printf("%s\n", out.dump(4).c_str());
  });
}

}  // namespace cairn::cli
