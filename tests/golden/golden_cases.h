// Shared by the golden and variation tests: build a testdata Dockerfile and read its digests.
#pragma once

#include <string>
#include <vector>

namespace cairn::testing {

// The fixed build timestamp of every golden build.
inline constexpr const char* kGoldenEpoch = "1700000000";

struct Digests {
  std::string image_id;  // config digest
  std::string manifest;  // manifest digest
};

// Copies tests/golden/testdata/<name> to `ctx` with normalised permissions (a=rX,u+w: a git
// checkout keeps only the executable bit, and the checkout's umask must not matter).
void PrepareContext(const std::string& name, const std::string& ctx);

// `cairn build --source-date-epoch kGoldenEpoch [extra] ctx` in the store at root, optionally
// through a wrapper command (e.g. {"taskset", "-c", "0"}). Fails the test on a build error.
Digests BuildGolden(const std::string& root, const std::string& ctx, const std::vector<std::string>& extra = {},
                    const std::vector<std::string>& wrapper = {}, const std::vector<std::string>& env = {});

}  // namespace cairn::testing
