// What a build reads before it plans: the Dockerfile's text and the .dockerignore that applies.
#pragma once

#include <optional>
#include <string>

#include "frontend/dockerignore.h"

namespace cairn::builder {

struct DockerfileSource {
  std::string text;
  std::string display_name;  // for messages: relative to the context when inside it ("Dockerfile")
  std::optional<frontend::IgnoreMatcher> ignore;  // <Dockerfile>.dockerignore, else the context's
};

// context_dir and dockerfile_path are absolute; an empty dockerfile_path means the file
// DockerfilePath picks. Throws Error when the context is not a directory or the Dockerfile
// cannot be read ("... (pass the Dockerfile with -f FILE)"), or a .dockerignore is malformed.
// -f, else CONTEXT/Dockerfile, else CONTEXT/dockerfile: with no -f, docker and BuildKit take the
// lower-case name when it is the only one there.
std::string DockerfilePath(const std::string& context_dir, const std::string& dockerfile_path);

DockerfileSource LoadDockerfile(const std::string& context_dir, const std::string& dockerfile_path);

}  // namespace cairn::builder
