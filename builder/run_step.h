// RUN: one step in a container, its output streamed to the progress sink.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "builder/progress.h"
#include "builder/run_mounts.h"
#include "plan/plan.h"
#include "runtime/runtime.h"

namespace cairn::builder {

// The environment a RUN sees: the image's env, then the build args in scope that no ENV of the
// same name overrides, plus PATH and HOME defaults when missing, and SOURCE_DATE_EPOCH = the layer
// epoch unless the env or an ARG sets it (the reproducible-builds convention: gcc's __DATE__,
// Python's pyc, gzip and man-db then give fixed output without the user asking; never written
// into the image config). Nothing from the host.
std::vector<std::string> RunEnvironment(const plan::ImageConfig& config, const std::vector<std::string>& build_env,
                                        const std::string& home, int64_t source_date_epoch = 0);

// Every occurrence of a non-empty secret value in line replaced by "****".
std::string MaskSecrets(std::string line, const std::vector<std::string>& secrets);

// The values of a build's secrets, to mask in progress and output: each readable, non-empty one,
// and also without its trailing newline (a secret file usually ends in one that output lines never
// show). Unreadable ones are left to the secret mount to report.
std::vector<std::string> SecretValues(const std::map<std::string, SecretSource>& secrets);

struct RunStepInput {
  const plan::Step* step = nullptr;
  std::vector<std::string> lowerdirs;  // unpacked layers, top-most first
  std::string upperdir, workdir;
  int64_t source_date_epoch = 0;  // the layer epoch (builder/epoch.h)
  int progress_id = 0;
  const PreparedMounts* mounts = nullptr;  // RUN --mount, prepared by PrepareMounts (or none)
  std::string hostname;                    // BUILDKIT_SANDBOX_HOSTNAME; "" = the runtime's default
  // Values of the build's --secret sources: shown as "****" wherever the step's output (or a
  // failure's last lines) would print them, as BuildKit masks them in progress.
  std::vector<std::string> secret_values;
  // BuildOptions::proxy_env: added to the command's environment where it lacks the name.
  std::vector<std::string> proxy_env;
};

// The step's container: its layers and upper dir, command, environment, user, working directory,
// network, hosts, limits and mounts; stdout and stderr are left as the spec's defaults.
runtime::ContainerSpec RunStepSpec(const RunStepInput& input);

// Runs the step's command; throws Error naming the Dockerfile line, the exit status and the last
// lines of output when it fails.
void RunStep(const RunStepInput& input, Progress& progress, runtime::Runtime& rt);

}  // namespace cairn::builder
