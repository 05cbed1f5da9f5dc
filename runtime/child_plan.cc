#include "runtime/child_plan.h"

#include <linux/capability.h>
#include <sched.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/error.h"
#include "base/fs.h"
#include "base/path.h"
#include "runtime/isolation.h"
#include "runtime/network.h"
#include "runtime/security.h"
#include "runtime/userns.h"

namespace cairn::runtime {

namespace {

// The kernel copies legacy mount options into one page and rejects anything longer.
constexpr size_t kMountOptionsLimit = 4095;
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void CheckOverlayPath(const std::string& what, const std::string& path) {
  if (path.empty()) throw Error("container: " + what + " is empty");
  if (path.find_first_of(",:\\") != std::string::npos)
    throw Error("container: " + what + " " + path +
                " contains ',', ':' or '\\', which overlay mount options cannot carry (use another path)");
}

// The longest directory that contains every path (by whole components).
std::string CommonParent(const std::vector<std::string>& paths) {
  std::string common = Dirname(paths.front());
  for (const auto& p : paths) {
    while (common != "/" && !(p.compare(0, common.size(), common) == 0 && p.size() > common.size() &&
                              p[common.size()] == '/'))
      common = Dirname(common);
  }
  return common;
}

std::string RelativeTo(const std::string& base, const std::string& path) {
  if (base == "/") return path.substr(1);
  if (path.compare(0, base.size(), base) == 0 && path.size() > base.size() && path[base.size()] == '/')
    return path.substr(base.size() + 1);
  return path;  // not under base: stays absolute, which overlay accepts as well
}

std::string Options(const std::vector<std::string>& lowers, const std::string& upper, const std::string& work) {
  std::string o = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) o += (i ? ":" : "") + lowers[i];
  if (!upper.empty()) o += ",upperdir=" + upper + ",workdir=" + work;  // none: a read-only view
  // The upper dir alone must describe the change, as plain files and whiteouts: no index, no
  // redirects, no metadata-only copy-ups (the snapshot reads upper, never the merged view).
  o += std::string(",index=off,redirect_dir=") + OverlayRedirectDir() + ",metacopy=off";
  o += OverlayUserxattr();  // rootless: opaque markers in user.overlay.* (runtime/userns.h)
  return o;
}

std::string ResolvConf(Network network) {
  switch (network) {
    case Network::kLoopback:
      return "";  // nothing to resolve through
    case Network::kOutbound:
      // slirp4netns's forwarder, which asks the host's resolvers: the same file on every machine.
      return std::string("nameserver ") + kOutboundResolver + "\n";
    case Network::kHost:
      try {
        return ReadFile("/etc/resolv.conf");
      } catch (const Error&) {
        return "";
      }
  }
  return "";
}

std::string PathOf(const std::vector<std::string>& env) {
  for (const auto& kv : env)
    if (kv.compare(0, 5, "PATH=") == 0) return kv.substr(5);
  return kDefaultPath;
}

std::string AbsoluteInContainer(const std::string& what, const std::string& path) {
  if (path.empty() || path[0] != '/') throw Error("container: " + what + " \"" + path + "\" must be an absolute path");
  return path;
}

void AddBinds(const ContainerSpec& spec, ChildPlan& plan) {
  for (const auto& b : spec.binds) {
    struct stat st;
    if (::stat(b.source.c_str(), &st) != 0) throw SysError("bind mount source", b.source);
    PlannedBind p{AbsoluteHostPath(b.source), AbsoluteInContainer("bind mount target", b.target), b.read_only, S_ISDIR(st.st_mode)};
    plan.binds.push_back(p);
  }
}

// "/a/b/" -> 2: parents are attached before what is mounted below them.
size_t Depth(const std::string& path) {
  size_t n = 0;
  for (size_t i = 0; i < path.size(); ++i)
    if (path[i] == '/' && i + 1 < path.size() && path[i + 1] != '/') ++n;
  return n;
}

void AddTmpfsAndLayered(const ContainerSpec& spec, ChildPlan& plan, const CopiedTrees* copied) {
  for (const auto& t : spec.tmpfs) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o", t.mode & 07777);
    std::string options = std::string("mode=") + mode;
    if (t.size_bytes) options += ",size=" + std::to_string(t.size_bytes);
    plan.tmpfs.push_back({AbsoluteInContainer("tmpfs mount target", t.target), options});
  }
  for (size_t i = 0; i < spec.layered.size(); ++i) {
    const LayeredMount& m = spec.layered[i];
    if (m.lowerdirs.empty()) throw Error("container: layered mount on " + m.target + " has no lower directories");
    if (!m.subpath.empty() && m.subpath[0] == '/') throw Error("container: layered mount subpath " + m.subpath + " must be relative");
    PlannedLayered p;
    if (copied) {
      p.merged = AbsoluteHostPath(copied->layered.at(i));
    } else {
      p.dir = JoinPath(plan.scratch, "layered-" + std::to_string(i));
      p.merged = JoinPath(p.dir, "merged");
      p.upper = JoinPath(p.dir, "upper");
      p.work = JoinPath(p.dir, "work");
      std::vector<std::string> lowers;
      for (const auto& l : m.lowerdirs) {
        lowers.push_back(AbsoluteHostPath(l));
        CheckOverlayPath("layered mount lowerdir", lowers.back());
      }
      p.options = Options(lowers, p.upper, p.work);
      if (p.options.size() > kMountOptionsLimit)
        throw Error("container: layered mount on " + m.target + " has too many layers for one overlay mount");
    }
    p.subpath = m.subpath.empty() ? "." : m.subpath;
    p.target = AbsoluteInContainer("layered mount target", m.target);
    p.writable = m.writable;
    plan.layered.push_back(p);
  }
  for (size_t i = 0; i < plan.binds.size(); ++i) plan.attach_order.push_back({PlannedAttach::kBind, i});
  for (size_t i = 0; i < plan.tmpfs.size(); ++i) plan.attach_order.push_back({PlannedAttach::kTmpfs, i});
  for (size_t i = 0; i < plan.layered.size(); ++i) plan.attach_order.push_back({PlannedAttach::kLayered, i});
  auto target = [&plan](const PlannedAttach& a) -> const std::string& {
    if (a.kind == PlannedAttach::kBind) return plan.binds[a.index].target;
    if (a.kind == PlannedAttach::kTmpfs) return plan.tmpfs[a.index].target;
    return plan.layered[a.index].target;
  };
  std::stable_sort(plan.attach_order.begin(), plan.attach_order.end(),
                   [&](const PlannedAttach& a, const PlannedAttach& b) { return Depth(target(a)) < Depth(target(b)); });
  plan.layered_fds.assign(plan.layered.size(), -1);
  plan.layered_is_dir.assign(plan.layered.size(), 0);
}

void AddExec(const ContainerSpec& spec, ChildPlan& plan) {
  if (spec.argv.empty() || spec.argv[0].empty()) throw Error("container: no command to run (argv is empty)");
  plan.argv_storage = spec.argv;
  plan.env_storage = spec.env;
  for (auto& a : plan.argv_storage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env_storage) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.path = PathOf(spec.env);
}

// The overlay root: its options, or the layers one by one when one page cannot hold them.
void PlanOverlay(const ContainerSpec& spec, ChildPlan& plan) {
  std::vector<std::string> lowers;
  for (const auto& l : spec.lowerdirs) lowers.push_back(AbsoluteHostPath(l));
  if (lowers.empty()) {
    // overlay needs at least one lower layer; FROM scratch gets an empty one.
    plan.empty_lower = JoinPath(plan.scratch, "empty");
    lowers.push_back(plan.empty_lower);
  }
  std::string upper = AbsoluteHostPath(spec.upperdir), work = AbsoluteHostPath(spec.workdir);
  if (auto options = OverlayOptions(lowers, upper, work, &plan.overlay_cwd)) {
    plan.overlay_options = *options;
  } else {
    plan.overlay_lowers = lowers;
    plan.overlay_upper = upper;
    plan.overlay_work = work;
  }
}

}  // namespace

std::string AbsoluteHostPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw SysError("getcwd", "");
  return JoinPath(cwd, path);
}

std::string HostsFile(const std::string& hostname, const std::vector<std::string>& extra_hosts) {
  std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n";
  for (auto& line : extra_hosts) hosts += line + "\n";
  return hosts;
}

std::optional<std::string> OverlayOptions(const std::vector<std::string>& lowerdirs, const std::string& upperdir,
                                          const std::string& workdir, std::string* chdir_to) {
  for (const auto& l : lowerdirs) CheckOverlayPath("lowerdir", l);
  if (!upperdir.empty()) {
    CheckOverlayPath("upperdir", upperdir);
    CheckOverlayPath("workdir", workdir);
  }
  chdir_to->clear();
  std::string options = Options(lowerdirs, upperdir, workdir);
  if (options.size() <= kMountOptionsLimit) return options;

  // Too long: name everything relative to the common parent and mount from there (docker's
  // overlay2 does the same with its short "l/" links).
  std::vector<std::string> all = lowerdirs;
  for (const auto& l : all)
    if (l[0] != '/') throw Error("container: overlay options are too long and lowerdir " + l + " is relative");
  std::string base = CommonParent(all);
  std::vector<std::string> relative;
  for (const auto& l : lowerdirs) relative.push_back(RelativeTo(base, l));
  options = Options(relative, RelativeTo(base, upperdir), RelativeTo(base, workdir));
  if (options.size() > kMountOptionsLimit) return std::nullopt;
  *chdir_to = base;
  return options;
}

// Compiled once per process and variant, when first needed: the profile never changes and
// libseccomp takes milliseconds.
static const std::vector<sock_filter>& CompiledSeccompProgram(bool syncs_return_at_once) {
  if (syncs_return_at_once) {
    static const std::vector<sock_filter> fast_syncs = DefaultSeccompProgram(true);
    return fast_syncs;
  }
  static const std::vector<sock_filter> standard = DefaultSeccompProgram();
  return standard;
}

ChildPlan MakeChildPlan(const ContainerSpec& spec, const std::string& scratch, const CopiedTrees* copied) {
  ChildPlan plan;
  plan.clone_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
  if (spec.network != Network::kHost) plan.clone_flags |= CLONE_NEWNET;
  plan.network = spec.network;

  plan.scratch = scratch;
  plan.root = JoinPath(scratch, "root");
  if (copied) {
    plan.copy_root = AbsoluteHostPath(copied->root);
  } else {
    PlanOverlay(spec, plan);
  }
  plan.overlay_dirs = " (upperdir " + spec.upperdir + ", workdir " + spec.workdir + ")";

  plan.hostname = spec.hostname.empty() ? "cairn" : spec.hostname;
  plan.files = {
      {"/etc/hosts", HostsFile(plan.hostname, spec.extra_hosts), JoinPath(scratch, "hosts")},
      {"/etc/hostname", plan.hostname + "\n", JoinPath(scratch, "hostname")},
      {"/etc/resolv.conf", ResolvConf(spec.network), JoinPath(scratch, "resolv.conf")},
  };
  AddBinds(spec, plan);
  plan.bind_fds.assign(plan.binds.size(), -1);
  AddTmpfsAndLayered(spec, plan, copied);

  plan.cwd = AbsoluteInContainer("working directory", spec.cwd.empty() ? "/" : spec.cwd);
  plan.uid = spec.uid;
  plan.gid = spec.gid;
  plan.groups.assign(spec.supplementary_groups.begin(), spec.supplementary_groups.end());
  plan.stdin_fd = spec.stdin_fd;
  plan.stdout_fd = spec.stdout_fd;
  plan.stderr_fd = spec.stderr_fd;
  AddExec(spec, plan);
  plan.seccomp = CompiledSeccompProgram(spec.syncs_return_at_once);
  unsigned long long held = HeldCapabilityMask();
  plan.capabilities = DefaultCapabilityMask() & held;
  plan.loopback_up = (held >> CAP_NET_ADMIN) & 1;
  plan.set_hostname = CanSetHostname();
  plan.no_new_privileges = spec.no_new_privileges;
  plan.shm_options = "mode=1777,size=" + std::to_string(spec.shm_size ? spec.shm_size : 64ull << 20);
  plan.ulimits = spec.ulimits;
  plan.tty = spec.tty;
  // With a terminal the command's stdio is the pty alone (OpenTerminal); the caller's
  // descriptors stay with Run()'s relay and never enter the container.
  if (spec.tty) plan.stdin_fd = plan.stdout_fd = plan.stderr_fd = -1;
  return plan;
}

}  // namespace cairn::runtime
