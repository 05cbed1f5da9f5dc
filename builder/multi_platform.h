// cairn build --platform A,B: one build per platform, assembled into an OCI image index.
#pragma once

#include <vector>

#include "base/platform.h"
#include "builder/builder.h"

namespace cairn::builder {

// The order of an index's entries: KnownPlatforms() order, whatever order --platform named them
// in, so that `--platform linux/arm64,linux/amd64` and `linux/amd64,linux/arm64` give one index
// digest. The one place this rule lives.
std::vector<Platform> IndexOrder(std::vector<Platform> platforms);

// Builds options for each platform (options.platform replaced, no tags), one after another:
// stages that do not depend on the target platform (FROM --platform=$BUILDPLATFORM without
// TARGET* args) have the same step cache keys in every build, so the second build reuses them.
// Then writes the index of the per-platform manifests (store::WriteIndex, in IndexOrder) and
// tags it with options.tags. The result's manifest and config_digest are the index's; its cache
// entries are every build's. Throws the first failing build's Error, prefixed with its platform.
BuildResult BuildPlatforms(store::Store& store, Progress& progress, const BuildOptions& options, runtime::Runtime& rt,
                           const std::vector<Platform>& platforms);

}  // namespace cairn::builder
