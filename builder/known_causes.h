// Known sources of non-determinism in image files, and the usual remedy: what `cairn verify`
// prints beside a differing file so that its user knows what to change in the Dockerfile.
// A pure function of the path (and whether the file's content names a build host), so it is
// tested without building anything.
#pragma once

#include <optional>
#include <string>

namespace cairn::builder {

struct KnownCause {
  std::string cause;   // what makes the file differ between builds
  std::string remedy;  // what to write in the Dockerfile
};

// path: as in a layer tar, without a leading '/' ("var/log/dpkg.log"). mentions_host: the
// file's content contains the name of a host a build ran on. nullopt: no known cause.
std::optional<KnownCause> KnownCauseOf(const std::string& path, bool mentions_host = false);

}  // namespace cairn::builder
