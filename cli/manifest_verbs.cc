// cairn manifest create -t REF SOURCE...: buildx's `imagetools create`. Each SOURCE is an image
// in a registry (usually REPO@sha256:..., pushed by `build -o type=image,push-by-digest=true` on
// a native runner); its platform is read from its config (an index SOURCE adds all its images).
// The index is written like `build --platform A,B` writes one (store::WriteIndex in
// builder::IndexOrder), tagged REF locally and pushed with every image it lists.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "builder/multi_platform.h"
#include "cli/transfer_meter.h"
#include "cli/verbs.h"
#include "store/image.h"
#include "store/registry/registry.h"

namespace cairn::cli {
namespace {

namespace reg = store::registry;

// SOURCE's images with their platforms, each pulled into the store (manifest, config, layers:
// the push of the index needs them where REF's repository lacks them).
void AddSource(store::Store& store, reg::Client& client, const std::string& source, std::vector<store::PlatformImage>& out) {
  reg::Reference ref = reg::ParseReference(source);
  store::Descriptor top = client.PullManifestAndConfig(store, ref);  // an index is refused there
  store::Image image = store::LoadImage(store, top.digest);
  Platform platform = store::PlatformOf(image.config);
  if (platform.architecture.empty())
    throw Error("manifest create: " + source + " names no platform in its config; it cannot be an index entry");
  client.Pull(store, ref, platform);
  for (auto& seen : out)
    if (seen.platform == platform)
      throw Error("manifest create: " + source + " and " + seen.manifest.digest + " are both " + ToString(platform) +
                  " (an index has one image per platform)");
  out.push_back({platform, image.manifest_descriptor});
}

}  // namespace

void AddManifest(CLI::App& app, Globals& g) {
  struct Flags {
    std::string tag;
    std::vector<std::string> sources;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* manifest = app.add_subcommand("manifest", "assemble multi-platform images (as buildx imagetools)");
  manifest->require_subcommand(1);
  CLI::App* create = manifest->add_subcommand("create", "make an index of registry images and push it (-t REF SOURCE...)");
  create->add_option("-t,--tag", f->tag, "the index's name: a registry reference (localhost:5000/app:1)")->required();
  create->add_option("sources", f->sources, "images in a registry, one per platform (REPO@sha256:...)")->required();
  create->callback([&g, f] {
    reg::Client client(reg::LoadRegistryConfig());
    std::vector<store::PlatformImage> images;
    std::vector<Platform> order;
    {
      auto meter = StderrTransferMeter();
      for (auto& source : f->sources) AddSource(g.Store(), client, source, images);
    }
    for (auto& image : images) order.push_back(image.platform);
    std::vector<store::PlatformImage> sorted;
    for (auto& p : builder::IndexOrder(order))
      for (auto& image : images)
        if (image.platform == p) sorted.push_back(image);
    store::Descriptor index = store::WriteIndex(g.Store(), sorted);
    g.Store().SetTag(f->tag, index);
    store::Descriptor pushed = PushImage(g.Store(), f->tag);
    std::printf("%s: %s\n", reg::ParseReference(f->tag).String().c_str(), pushed.digest.c_str());
  });
}

}  // namespace cairn::cli
