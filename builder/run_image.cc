#include "builder/run_image.h"

#include <cstdio>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "builder/image_config.h"
#include "builder/layer_stack.h"
#include "builder/run_step.h"
#include "builder/users.h"
#include "runtime/emulation.h"
#include "runtime/network.h"
#include "store/image.h"

namespace cairn::builder {

std::vector<std::string> ContainerArgv(const std::vector<std::string>& entrypoint, const std::vector<std::string>& cmd,
                                       const std::vector<std::string>& command) {
  std::vector<std::string> argv = entrypoint;
  const auto& rest = command.empty() ? cmd : command;
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

runtime::ExitStatus RunImage(store::Store& store, const RunImageOptions& o) {
  store::Image image = o.platform ? store::LoadImage(store, o.image, *o.platform) : store::LoadImage(store, o.image);
  Platform platform = store::PlatformOf(image.config);
  if (std::string problem = platform.architecture.empty() ? "" : runtime::EmulationProblem(platform, HostPlatform());
      !problem.empty())
    throw Error("run " + o.image + ": " + problem);
  plan::ImageConfig config = ConfigFromJson(image.config);
  std::vector<std::string> argv =
      ContainerArgv(config.entrypoint.value_or(std::vector<std::string>{}), config.cmd.value_or(std::vector<std::string>{}), o.command);
  if (argv.empty()) throw Error("image " + o.image + " has no CMD or ENTRYPOINT: give a command (cairn run IMAGE CMD...)");

  std::vector<std::string> lowers = LowerDirsFor(store, image.layers, image.diff_ids);
  UserIds user = ResolveProcessUser(o.user.empty() ? config.user : o.user, ReaderInLayers(lowers));
  std::string scratch = store.NewScratchDir("run-");
  runtime::ContainerSpec spec;
  spec.lowerdirs = lowers;
  spec.upperdir = JoinPath(scratch, "upper");
  spec.workdir = JoinPath(scratch, "work");
  MakeDirs(spec.upperdir);
  MakeDirs(spec.workdir);
  spec.argv = argv;
  spec.env = RunEnvironment(config, {}, user.home);
  for (auto& kv : o.env) {
    std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(spec.env, [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; });
    spec.env.push_back(kv);
  }
  spec.cwd = !o.workdir.empty() ? o.workdir : config.workdir.empty() ? "/" : config.workdir;
  spec.uid = user.uid;
  spec.gid = user.gid;
  spec.supplementary_groups = user.supplementary_groups;
  spec.network = o.network;
  if (spec.network == runtime::Network::kOutbound && !runtime::TunDeviceExists())
    std::fprintf(stderr, "cairn: %s\n", runtime::kNoTunNote);  // runtime::Run uses the host's network
  spec.binds = o.volumes;
  spec.stdin_fd = o.interactive ? 0 : -1;  // docker: no -i, no input
  spec.tty = o.tty;
  spec.no_new_privileges = o.no_new_privileges;
  runtime::ExitStatus status;
  {
    ScopeExit remove_scratch([&] { RemoveAll(scratch); });
    status = runtime::Run(spec);
  }
  return status;
}

runtime::ExitStatus OpenFailedStepShell(store::Store& store, const FailedStep& failed, runtime::Runtime& rt) {
  store::Image image = store::LoadImage(store, failed.image);
  std::string scratch = store.NewScratchDir("run-");
  ScopeExit remove_scratch([&] { RemoveAll(scratch); });
  runtime::ContainerSpec spec = failed.container;
  spec.lowerdirs = LowerDirsFor(store, image.layers, image.diff_ids);
  spec.upperdir = JoinPath(scratch, "upper");
  spec.workdir = JoinPath(scratch, "work");
  MakeDirs(spec.upperdir);
  MakeDirs(spec.workdir);
  spec.argv = {"/bin/sh"};
  spec.stdin_fd = 0;
  spec.stdout_fd = 1;
  spec.stderr_fd = 2;
  spec.tty = true;
  return rt.Run(spec);
}

}  // namespace cairn::builder
