#include "builder/multi_platform.h"

#include <algorithm>

#include "base/error.h"
#include "store/image.h"

namespace cairn::builder {

std::vector<Platform> IndexOrder(std::vector<Platform> platforms) {
  const auto& known = KnownPlatforms();
  auto rank = [&known](const Platform& p) { return std::find(known.begin(), known.end(), ToString(p)) - known.begin(); };
  std::stable_sort(platforms.begin(), platforms.end(), [&](const Platform& a, const Platform& b) { return rank(a) < rank(b); });
  return platforms;
}

BuildResult BuildPlatforms(store::Store& store, Progress& progress, const BuildOptions& options, runtime::Runtime& rt,
                           const std::vector<Platform>& platforms) {
  BuildResult all;
  std::vector<store::PlatformImage> images, attestations;
  for (const Platform& platform : IndexOrder(platforms)) {
    BuildOptions one = options;
    one.platform = platform;
    one.tags.clear();  // the index gets the names, not its images
    progress.Note("building for " + ToString(platform));
    BuildResult r;
    try {
      r = BuildImageManifest(store, progress, one, rt);
    } catch (const std::exception& e) {
      throw Wrap("building for " + ToString(platform), e);
    }
    images.push_back({platform, r.manifest});
    // As buildx: every image's attestation manifest after the images, for no platform.
    if (r.attestation) attestations.push_back({Platform{"unknown", "unknown", ""}, *r.attestation});
    all.image_cache.insert(all.image_cache.end(), r.image_cache.begin(), r.image_cache.end());
    all.all_cache.insert(all.all_cache.end(), r.all_cache.begin(), r.all_cache.end());
    all.cache_mounts.insert(all.cache_mounts.end(), r.cache_mounts.begin(), r.cache_mounts.end());
    all.epochs = r.epochs;
  }
  // annotation-manifest-descriptor.*: on the images' entries, not on their attestations'.
  for (auto& image : images)
    for (auto& [k, v] : options.descriptor_annotations) image.manifest.annotations[k] = v;
  images.insert(images.end(), attestations.begin(), attestations.end());
  all.manifest = store::WriteIndex(store, images, options.index_annotations, {});
  all.config_digest = all.manifest.digest;  // an index has no config: its own digest is its ID
  for (auto& tag : options.tags) store.SetTag(tag, all.manifest);
  return all;
}

}  // namespace cairn::builder
