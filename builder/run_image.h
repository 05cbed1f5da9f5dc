// `cairn run`: one container from a stored image, with docker's ENTRYPOINT/CMD rules.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/platform.h"
#include "builder/builder.h"
#include "runtime/container.h"
#include "store/store.h"

namespace cairn::builder {

struct RunImageOptions {
  std::string image;
  // --platform: of an index, this platform's image; a plain image must be for it. A foreign one
  // runs through its binfmt_misc emulator (runtime/emulation.h). Unset: the host's, else the
  // only one.
  std::optional<Platform> platform;
  std::vector<std::string> command;  // replaces CMD when not empty
  std::vector<std::string> env;      // -e K=V, added to the image's env
  std::string workdir;               // -w, else the image's
  std::string user;                  // -u, else the image's
  runtime::Network network = runtime::Network::kOutbound;  // --network, as docker run
  std::vector<runtime::BindMount> volumes;  // -v HOST:CTR[:ro]
  bool interactive = false;                 // -i: the container reads cairn's stdin (else /dev/null)
  bool tty = false;                         // -t: the command runs on a terminal (runtime::ContainerSpec::tty)
  bool no_new_privileges = false;           // --security-opt no-new-privileges
};

// docker's rule: ENTRYPOINT + (command if given, else CMD).
std::vector<std::string> ContainerArgv(const std::vector<std::string>& entrypoint, const std::vector<std::string>& cmd,
                                       const std::vector<std::string>& command);

// Runs the container with the terminal's stdio; its upper dir is thrown away afterwards.
runtime::ExitStatus RunImage(store::Store& store, const RunImageOptions& options);

// --on-error=shell: an interactive /bin/sh on the terminal in the failed step's container (its
// mounts, env, user, working directory, network) over the image its filesystem was kept as;
// what the shell writes is thrown away afterwards.
runtime::ExitStatus OpenFailedStepShell(store::Store& store, const FailedStep& failed, runtime::Runtime& rt);

}  // namespace cairn::builder
