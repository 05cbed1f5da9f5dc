// cairn run [--rm] [-i] [-t] [-e K=V] [-w DIR] [-u USER] [--network default|none|host] [-v HOST:CTR[:ro]]
//           [--security-opt no-new-privileges] IMAGE [CMD...]
#include <csignal>

#include "base/error.h"
#include "builder/run_image.h"
#include "cli/security_opt.h"
#include "cli/verbs.h"
#include "runtime/cancel.h"
#include "runtime/network.h"

namespace cairn::cli {

static runtime::BindMount ParseVolume(const std::string& v) {
  auto first = v.find(':');
  if (first == std::string::npos || first == 0) throw Error("-v " + v + ": want HOST:CONTAINER[:ro]");
  runtime::BindMount b;
  b.source = v.substr(0, first);
  std::string rest = v.substr(first + 1);
  auto second = rest.find(':');
  b.target = rest.substr(0, second);
  if (second != std::string::npos) {
    std::string mode = rest.substr(second + 1);
    if (mode != "ro" && mode != "rw") throw Error("-v " + v + ": mode must be ro or rw");
    b.read_only = mode == "ro";
  }
  if (b.target.empty() || b.target[0] != '/') throw Error("-v " + v + ": the container path must be absolute");
  return b;
}

void AddRun(CLI::App& app, Globals& g) {
  struct Flags {
    bool rm = false, interactive = false, tty = false;
    std::vector<std::string> security_opts;
    std::vector<std::string> env, volumes;
    std::string image;
    std::string workdir, user, network = "default", platform;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("run", "run a command in a new container from an image");
  cmd->add_flag("--rm", f->rm, "remove the container afterwards (cairn always does)");
  cmd->add_flag("-i,--interactive", f->interactive, "pass cairn's stdin to the container (else it reads /dev/null)");
  cmd->add_flag("-t,--tty", f->tty, "run the command on a terminal (raw mode on yours; ^C goes to the container)");
  cmd->add_option("--security-opt", f->security_opts, "no-new-privileges")->allow_extra_args(false);
  cmd->add_option("-e,--env", f->env, "set an environment variable K=V")->allow_extra_args(false);
  cmd->add_option("-w,--workdir", f->workdir, "working directory inside the container");
  cmd->add_option("-u,--user", f->user, "user[:group] to run as");
  cmd->add_option("--network", f->network, "default (outbound, not the host's loopback), none (loopback only) or host");
  cmd->add_option("-v,--volume", f->volumes, "bind mount HOST:CONTAINER[:ro]")->allow_extra_args(false);
  cmd->add_option("--platform", f->platform, "of a multi-platform image, run this platform's (default the host's)");
  cmd->add_option("image", f->image, "IMAGE [COMMAND [ARG...]]")->required();
  cmd->allow_extras();
  cmd->prefix_command();  // everything after IMAGE belongs to the command, flags included
  cmd->callback([&g, f, cmd] {
    builder::RunImageOptions o;
    o.image = f->image;
    if (!f->platform.empty()) o.platform = ParsePlatform(f->platform);
    o.command = cmd->remaining();
    for (auto& e : f->env) o.env.push_back(e.find('=') == std::string::npos ? e + "=" : e);
    o.workdir = f->workdir;
    o.user = f->user;
    // docker run calls its default "bridge".
    auto network = runtime::ParseNetwork(f->network == "bridge" ? "default" : f->network);
    if (!network) throw Error("--network " + f->network + ": use default, none or host");
    o.network = *network;
    for (auto& v : f->volumes) o.volumes.push_back(ParseVolume(v));
    o.interactive = f->interactive;
    o.tty = f->tty;
    o.no_new_privileges = ParseSecurityOpts(f->security_opts).no_new_privileges;
    // As docker run: SIGINT, SIGTERM... sent to cairn go to the command, which decides.
    runtime::HandleSignals(runtime::SignalPolicy::kForward);
    runtime::ExitStatus st = builder::RunImage(g.Store(), o);
    g.exit_code = st.signal ? 128 + st.signal : st.exit_code;
  });
}

}  // namespace cairn::cli
