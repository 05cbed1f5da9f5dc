#include "builder/dockerfile_source.h"

#include "base/error.h"
#include "base/fs.h"

namespace cairn::builder {

namespace {

std::string DisplayName(const std::string& context_dir, const std::string& dockerfile) {
  std::string prefix = context_dir + "/";
  if (dockerfile.compare(0, prefix.size(), prefix) == 0) return dockerfile.substr(prefix.size());
  return dockerfile;
}

// <Dockerfile>.dockerignore beside a custom -f wins over the context's .dockerignore.
std::optional<frontend::IgnoreMatcher> LoadIgnoreFile(const std::string& context_dir, const std::string& dockerfile) {
  for (const std::string& path : {dockerfile + ".dockerignore", JoinPath(context_dir, ".dockerignore")})
    if (PathExists(path)) return frontend::IgnoreMatcher::Parse(ReadFile(path));
  return std::nullopt;
}

}  // namespace

DockerfileSource LoadDockerfile(const std::string& context_dir, const std::string& dockerfile_path) {
  std::string dockerfile = dockerfile_path.empty() ? JoinPath(context_dir, "Dockerfile") : dockerfile_path;
  if (!IsDirectory(context_dir)) throw Error("build context " + context_dir + ": not a directory");
  DockerfileSource out;
  try {
    out.text = ReadFile(dockerfile);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (pass the Dockerfile with -f FILE)");
  }
  out.ignore = LoadIgnoreFile(context_dir, dockerfile);
  out.display_name = DisplayName(context_dir, dockerfile);
  return out;
}

}  // namespace cairn::builder
