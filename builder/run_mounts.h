// RUN --mount: turns the plan's mount specs into the runtime's mounts, as BuildKit does.
//
//   cache   a persistent directory <store>/cache-mounts/<sha256 of id> (id defaults to target),
//           kept between builds; uid/gid/mode apply when it is first created; sharing=shared
//           (default), private (a busy cache gives this step a fresh, throw-away directory) or
//           locked (an flock held for the whole step).
//   bind    from the context (source= relative to it) or from=stage/image; read-only unless rw,
//           and writes are discarded either way.
//   tmpfs   size= (bytes, or with a k/m/g suffix).
//   secret  from BuildOptions::secrets; default target /run/secrets/<id>, mode 0400; env= puts it
//           in the environment instead. Its value never enters a layer, a cache key or history.
//   ssh     from BuildOptions::ssh (id defaults to "default"): a relay to that agent socket (or
//           cairn's own agent of the key files given) at
//           target (default /run/buildkit/ssh_agent.N), uid/gid/mode (0:0 0600) as given;
//           SSH_AUTH_SOCK names the first (builder/ssh_forward.h). A missing id is skipped
//           unless required.
// Targets that do not exist in the step's lower layers come back as `stubs`: the runtime creates
// them as mount points in the upper dir, and the snapshot must leave them out.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/fs.h"
#include "builder/context_index.h"
#include "builder/ssh_forward.h"
#include "plan/plan.h"
#include "runtime/container.h"

namespace cairn::builder {

// Where a --secret comes from: exactly one of file and env.
struct SecretSource {
  std::string file;
  std::string env;
};

// "id=X,src=FILE" | "id=X,env=VAR" | "id=X" (env X, as docker) -> (id, source). Throws Error.
std::pair<std::string, SecretSource> ParseSecretFlag(const std::string& flag);

struct MountInputs {
  std::string store_root;
  std::string context_dir;
  std::string scratch;  // the step's scratch dir (secret files are written here, mode 0400)
  std::vector<std::string> lowerdirs;  // the step's unpacked layers, top-most first
  std::map<std::string, SecretSource> secrets;
  std::map<std::string, SshAgentSource> ssh;  // --ssh id -> agent socket or keys
  // Unpacked layers (top-most first) of a stage's result or an image.
  std::function<std::vector<std::string>(const plan::StageRef& from)> layers_of;
  // Called once when a cache mount without from= is first made in this store, with its id and
  // the new, empty directory: may fill it (a snapshot imported with --cache-from). Unset: none.
  std::function<void(const std::string& id, const std::string& dir)> seed_cache;
};

struct PreparedMounts {
  std::vector<runtime::BindMount> binds;
  std::vector<runtime::TmpfsMount> tmpfs;
  std::vector<runtime::LayeredMount> layered;
  std::vector<std::string> env;  // secrets with env=, SSH_AUTH_SOCK: "K=V"
  std::set<std::string> stubs;   // absolute targets to exclude from the snapshot
  std::vector<UniqueFd> locks;   // held until the step ends
  std::vector<std::unique_ptr<SshAgentRelay>> ssh_relays;  // relaying until the step ends
};

// The id of a cache mount: id=, else its target (normalised: absolute, no trailing "/").
// Throws Error when it has neither.
std::string CacheMountId(const plan::RunMount& mount);
// The store's directory for the cache mount `id` without from= (which may not exist yet).
std::string CacheMountDir(const std::string& store_root, const std::string& id);

// Throws Error naming the mount (e.g. "secret id=token is required but was not given with --secret").
PreparedMounts PrepareMounts(const std::vector<plan::RunMount>& mounts, const MountInputs& in);

// Digest of what bind mounts from the context read, for the step's cache key ("" = none). With
// an index, unchanged files are not read again (see DigestSources). With entries, every entry
// read is listed by path, as DigestSources lists them (the build's provenance records them).
std::string ContextMountsDigest(const std::vector<plan::RunMount>& mounts, const std::string& context_dir,
                                ContextIndex* index = nullptr, std::map<std::string, std::string>* entries = nullptr);

}  // namespace cairn::builder
