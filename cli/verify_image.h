// `cairn verify IMAGE-REF [--context DIR] [--platform P] [--secret S] [--ssh A] [--build-arg K=V]
// [--json]`: rebuilds an image from its
// SLSA provenance (cairn build --attest type=provenance) and says "reproduced, bit for bit" or
// what differs. In order: reads the provenance (the local store's image, else pulled); checks
// DIR against the recorded context (mode=max names the first differing file; the Dockerfile by
// its digest); warns about steps that used the network (what they fetched is not recorded);
// gives the rebuild every base by its recorded manifest digest (the store's, else pulled by
// digest: a re-tagged base changes nothing); rebuilds in a fresh private store with the
// recorded arguments; compares the image manifest digests, and on a difference prints the
// report verify's two-build form prints. A git context is fetched by its recorded commit when
// no --context is given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/image_diff.h"
#include "store/store.h"

namespace cairn::cli {

struct ImageVerify {
  std::string image, context, platform;
  // --secret, --ssh: passed to the rebuild as they are (a provenance never records them).
  std::vector<std::string> secrets, ssh;
  // --build-arg K=V: a value the provenance left out (it held userinfo or a secret) or overrides.
  std::vector<std::string> build_args;
  bool json = false;
};

// The image form of verify's arguments (--json already taken out), or nullopt for the context
// form ([build flags] CONTEXT). The image form: --context is given, or the one argument is no
// directory, git URL or "-".
std::optional<ImageVerify> ImageVerifyRequest(const std::vector<std::string>& args);

// Returns the exit code: 0 reproduced, 1 not. Throws Error naming the image, file or base.
int VerifyImage(store::Store& store, const ImageVerify& request);

// Shared with the two-build form (cli/check_verbs.cc).
// One world a verify build runs in. Everything here must not change the image.
struct Condition {
  std::string name;
  std::string tz;
  mode_t umask;
  std::string hostname;
  bool one_cpu;
};
// Runs `cairn --root ROOT build ...` under a condition; returns the manifest digest it wrote.
std::string BuildUnder(const Condition& c, const std::string& root, std::vector<std::string> args, const std::string& meta);
// Text of a verify that found differences: every differing file with the step that made it and,
// when known, its cause and remedy; then the rest (config, manifest).
std::string VerifyText(const builder::DiffReport& report, const std::string& da, const std::string& db);
nlohmann::json VerifyJson(const builder::DiffReport& report, const std::string& da, const std::string& db);

}  // namespace cairn::cli
