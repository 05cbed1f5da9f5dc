// `cairn build --call=check|outline|targets` (and `--check`): answers about the Dockerfile
// without building it, as buildx's subrequests do.
#pragma once

#include <map>
#include <string>

#include "store/store.h"

namespace cairn::cli {

struct BuildCallInput {
  std::string context, file, target;  // as the build flags give them (file "" = CONTEXT/Dockerfile)
  std::map<std::string, std::string> build_args;
  std::string file_name;  // what messages call the Dockerfile; "" = its path (relative to the context)
};

// Prints to stdout and returns the exit code: check exits 1 when a finding is an error (the
// Dockerfile's `# check=error=true`), 0 for warnings only; outline and targets exit 0. The
// store is read (never pulled into) for the base images' platform and environment. Throws
// Error for an unknown call, naming the ones there are, and for a Dockerfile that does not parse.
int RunBuildCall(const std::string& call, const BuildCallInput& in, store::Store& store);

}  // namespace cairn::cli
