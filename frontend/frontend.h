// The frontend: Dockerfile text -> Plan. Start here.
//
// Parse() reads the text (directives, escapes, continuations, heredocs, JSON/shell forms) into
// typed instructions with locations; Lower() applies Dockerfile semantics (ARG/ENV scoping and
// expansion, stages, ONBUILD triggers of base images, SHELL, WORKDIR resolution) and produces the
// Plan the builder runs. Errors a user can cause throw ParseError, whose message reads
//   Dockerfile:12:5: unknown instruction "COPPY" (did you mean COPY?)
//    12 | COPPY a b
//       |     ^
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/platform.h"
#include "plan/plan.h"

namespace cairn::frontend {

class ParseError : public Error {
 public:
  ParseError(plan::Location where, const std::string& message);  // message formatted as above
  const plan::Location& location() const { return where_; }

 private:
  plan::Location where_;
};

struct Options {
  std::string dockerfile_name = "Dockerfile";  // used in locations and messages
  std::map<std::string, std::string> build_args;  // --build-arg K=V
  std::string target;                             // --target; empty = the last stage
  // The platform the image is built for (TARGETPLATFORM and FROM without --platform) and the one
  // the build runs on (BUILDPLATFORM: FROM --platform=$BUILDPLATFORM runs natively), both
  // "os/arch[/variant]" as base/platform.h parses them.
  std::string platform = "linux/amd64";
  std::string build_platform = "linux/amd64";
  // What `ARG SOURCE_DATE_EPOCH` in a stage gives when neither --build-arg nor a global
  // `ARG SOURCE_DATE_EPOCH=` sets it: the build's layer epoch, so RUN sees the epoch its layer is
  // clamped to.
  std::string source_date_epoch = "0";
  // --network: the mode of every RUN without RUN --network (default | none | host). It goes into
  // each RunAction, so it is part of the step's cache key, as BuildKit hashes an ExecOp's mode.
  std::string network = "default";
  // --build-context NAME=...: lower-cased NAME -> the image reference it stands for. As in
  // buildx, a named context wins over a stage of that name and over an image so written, in
  // FROM, COPY --from and RUN --mount from= (a NAME without a tag also matches NAME:latest).
  std::map<std::string, std::string> named_contexts;
  // --allow: the entitlements granted (network.host). RUN --network=host needs network.host
  // unless the build's own --network is host, as buildx grants it then.
  std::set<std::string> allow;
  // --add-host, --shm-size, --ulimit: copied into every RunAction (plan/plan.h).
  std::vector<std::string> add_hosts;
  std::string shm_size;
  std::vector<std::string> ulimits;
};

// Looks up the config of a base image by the reference written after FROM (already expanded), for
// the stage's platform (an index resolves to that platform's image). Throws cairn::Error if the
// image is unknown or has no image for the platform (the message names the ones it has).
using ConfigResolver = std::function<plan::ImageConfig(const std::string& ref, const Platform& platform)>;

plan::Plan BuildPlan(std::string_view dockerfile_text, const Options& options, const ConfigResolver& resolve);

}  // namespace cairn::frontend
