// RUN --mount=type=ssh with `cairn build --ssh ID=SOCKET|KEYFILE[,KEYFILE]`, as BuildKit
// forwards ssh: the step gets a socket of its own (at the mount's target, default
// /run/buildkit/ssh_agent.N, with the mount's uid, gid and mode, default 0:0 0600; SSH_AUTH_SOCK
// names the first). Each connection to it is relayed to the agent socket given for that id, or,
// for key files, answered by cairn itself as an agent of those keys (builder/ssh_agent.h), as
// buildx does. The step can list keys and have them sign, never read a key; the socket's path,
// the agent and the keys are in no layer (the target is a mount stub), no cache key (only the
// mount's own options are) and no history.
#pragma once

#include <sys/types.h>

#include <string>
#include <thread>
#include <utility>

#include "base/fs.h"
#include "builder/ssh_keys.h"

namespace cairn::builder {

// What one --ssh id gives: an agent's socket, or keys cairn serves itself.
struct SshAgentSource {
  std::string socket;                       // set: relay to this agent
  std::shared_ptr<const SshKeyring> keys;   // set: answer as an agent of these keys
};

// "default" | "ID" (both: $SSH_AUTH_SOCK) | "ID=SOCKET" | "ID=KEYFILE[,KEYFILE]" -> (ID, source).
// Throws Error naming the flag: no agent (SSH_AUTH_SOCK unset), a path that is missing, a socket
// among key files, a key file cairn cannot read (builder/ssh_keys.h).
std::pair<std::string, SshAgentSource> ParseSshFlag(const std::string& flag, const char* ssh_auth_sock);

// A listening socket at path relaying every connection to the source's agent socket, or
// answering it with the source's keys. Lives as long as the step (or the build, for git's ssh):
// the destructor stops it and closes every connection.
class SshAgentRelay {
 public:
  // Creates the socket at path (owned uid:gid, mode). Throws Error naming the path.
  SshAgentRelay(const std::string& path, SshAgentSource source, uid_t uid, gid_t gid, mode_t mode);
  ~SshAgentRelay();
  SshAgentRelay(const SshAgentRelay&) = delete;
  SshAgentRelay& operator=(const SshAgentRelay&) = delete;

 private:
  void Serve();

  SshAgentSource source_;
  UniqueFd listen_, stop_read_, stop_write_;
  std::thread thread_;
};

}  // namespace cairn::builder
