#include "builder/run_step.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <thread>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "builder/step_error.h"
#include "builder/users.h"
#include "runtime/network.h"
#include "runtime/resource_limits.h"

namespace cairn::builder {

// The PATH docker gives a container whose image sets none.
static constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
static constexpr size_t kTailLines = 10;

static bool HasKey(const std::vector<std::string>& env, const std::string& key) {
  for (auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) return true;
  return false;
}

std::vector<std::string> RunEnvironment(const plan::ImageConfig& config, const std::vector<std::string>& build_env,
                                        const std::string& home, int64_t source_date_epoch) {
  std::vector<std::string> env = config.env;
  for (auto& kv : build_env) {
    std::string key = kv.substr(0, kv.find('='));
    if (!HasKey(env, key)) env.push_back(kv);
  }
  if (!HasKey(env, "PATH")) env.insert(env.begin(), kDefaultPath);
  if (!HasKey(env, "HOME")) env.push_back("HOME=" + home);
  if (!HasKey(env, "SOURCE_DATE_EPOCH")) env.push_back("SOURCE_DATE_EPOCH=" + std::to_string(source_date_epoch));
  return env;
}

static std::string Quote(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string MaskSecrets(std::string line, const std::vector<std::string>& secrets) {
  for (const std::string& value : secrets) {
    if (value.empty()) continue;
    for (size_t at = line.find(value); at != std::string::npos; at = line.find(value, at + 4))
      line.replace(at, value.size(), "****");
  }
  return line;
}

std::vector<std::string> SecretValues(const std::map<std::string, SecretSource>& secrets) {
  std::vector<std::string> values;
  for (auto& [id, src] : secrets) {
    std::string v;
    if (!src.env.empty()) {
      if (const char* e = std::getenv(src.env.c_str())) v = e;
    } else if (PathExists(src.file)) {
      v = ReadFile(src.file);
    }
    if (v.empty()) continue;
    values.push_back(v);
    size_t end = v.find_last_not_of("\r\n");
    if (end != std::string::npos && end + 1 < v.size()) values.push_back(v.substr(0, end + 1));
  }
  return values;
}

// The line a failed RUN's error ends with when the step had no network ("" otherwise).
static std::string NetworkHint(const std::string& network) {
  // A failure without a network is often a download that could not resolve its host: say so
  // in one line, so the user need not guess from "Temporary failure resolving ...".
  if (network == "none") return "\n  this step ran with --network none: it had no network";
  return "";
}

runtime::ContainerSpec RunStepSpec(const RunStepInput& in) {
  const plan::Step& step = *in.step;
  const auto& action = std::get<plan::RunAction>(step.action);
  UserIds user = ResolveProcessUser(step.config.user, ReaderInLayers(in.lowerdirs));

  runtime::ContainerSpec spec;
  spec.lowerdirs = in.lowerdirs;
  spec.upperdir = in.upperdir;
  spec.workdir = in.workdir;
  spec.argv = action.argv;
  spec.env = RunEnvironment(step.config, action.build_env, user.home, in.source_date_epoch);
  for (auto& kv : in.proxy_env) {
    std::string key = kv.substr(0, kv.find('=') + 1);
    if (std::none_of(spec.env.begin(), spec.env.end(), [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; }))
      spec.env.push_back(kv);
  }
  spec.cwd = step.config.workdir.empty() ? "/" : step.config.workdir;
  // Rule: speed only. A step's fsyncs return at once: its files reach the disk as the layer cairn
  // writes (and fsyncs) from them, and a step a crash cut short is run again, so waiting for the
  // disk inside the step buys nothing. dpkg and apt fsync every file they unpack: bench/apt-chain's
  // four apt steps took 12.7 s with them and 9.1 s without. cairn run keeps the kernel's fsync.
  spec.syncs_return_at_once = true;
  spec.uid = user.uid;
  spec.gid = user.gid;
  if (!in.hostname.empty()) spec.hostname = in.hostname;
  spec.supplementary_groups = user.supplementary_groups;
  auto network = runtime::ParseNetwork(action.network);
  if (!network) throw Error("unknown network mode \"" + action.network + "\"");  // the frontend lets none through
  spec.network = *network;
  for (auto& h : action.add_hosts) spec.extra_hosts.push_back(runtime::ParseAddHost(h));
  if (!action.shm_size.empty()) spec.shm_size = runtime::ParseShmSize(action.shm_size);
  for (auto& u : action.ulimits) spec.ulimits.push_back(runtime::ParseUlimit(u));
  if (in.mounts) {
    spec.binds = in.mounts->binds;
    spec.tmpfs = in.mounts->tmpfs;
    spec.layered = in.mounts->layered;
    // Secrets with env= reach the command only: not the image's config nor the history.
    for (auto& kv : in.mounts->env) {
      std::string key = kv.substr(0, kv.find('=') + 1);
      std::erase_if(spec.env, [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; });
      spec.env.push_back(kv);
    }
  }
  return spec;
}

void RunStep(const RunStepInput& in, Progress& progress, runtime::Runtime& rt) {
  const plan::Step& step = *in.step;
  const auto& action = std::get<plan::RunAction>(step.action);
  runtime::ContainerSpec spec = RunStepSpec(in);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe", "");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  spec.stdout_fd = spec.stderr_fd = write_end.get();

  std::deque<std::string> tail;
  std::thread pump([&] {
    std::string pending;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(read_end.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        line = MaskSecrets(line, in.secret_values);
        progress.Output(in.progress_id, line);
        tail.push_back(line);
        if (tail.size() > kTailLines) tail.pop_front();
      }
    }
    if (!pending.empty()) {
      pending = MaskSecrets(pending, in.secret_values);
      progress.Output(in.progress_id, pending);
      tail.push_back(pending);
    }
  });
  // However Run ends, the pump sees EOF once our end is closed (the container's copies are) and
  // has relayed every line before the step's result is told.
  auto finish_pump = [&] {
    write_end.Reset();
    if (pump.joinable()) pump.join();
  };
  ScopeExit finish_pump_on_exit(finish_pump);
  runtime::ExitStatus status;
  try {
    status = rt.Run(spec);
  } catch (const Error& e) {
    finish_pump();
    if (rt.Cancelled()) throw;
    // A container that could not be set up (or a RUN this isolation cannot give): located too.
    throw Error(MaskSecrets(StepError(step, e.what()).what(), in.secret_values));
  }
  finish_pump();
  if (status.ok()) return;
  std::string msg = "process \"" + Quote(action.argv) + "\" did not complete successfully: " + status.Describe();
  if (!tail.empty()) {
    msg += "\n  last output:";
    for (auto& l : tail) msg += "\n    " + l;
  }
  msg += NetworkHint(action.network);
  throw Error(MaskSecrets(StepError(step, msg).what(), in.secret_values));  // the command's text too
}

}  // namespace cairn::builder
