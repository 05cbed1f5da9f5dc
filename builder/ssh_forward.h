// RUN --mount=type=ssh with `cairn build --ssh ID=SOCKET`, as BuildKit forwards ssh: the step
// gets a socket of its own (at the mount's target, default /run/buildkit/ssh_agent.N, with the
// mount's uid, gid and mode, default 0:0 0600; SSH_AUTH_SOCK names the first), and each
// connection to it is relayed to the agent socket given for that id. The step can list keys and
// have the agent sign, never read a key; the socket's path and the agent are in no layer (the
// target is a mount stub), no cache key (only the mount's own options are) and no history.
//
// Key files are not loaded: BuildKit runs an agent of its own for `--ssh ID=KEYFILE`; cairn
// forwards agents only, and says so (load the key with ssh-add and pass the agent's socket).
#pragma once

#include <sys/types.h>

#include <string>
#include <thread>
#include <utility>

#include "base/fs.h"

namespace cairn::builder {

// "default" | "ID" (both: $SSH_AUTH_SOCK) | "ID=SOCKET" -> (ID, the agent's socket path).
// Throws Error naming the flag: no agent (SSH_AUTH_SOCK unset), a path that is missing, a key
// file (or several paths) instead of one agent socket.
std::pair<std::string, std::string> ParseSshFlag(const std::string& flag, const char* ssh_auth_sock);

// A listening socket at path relaying every connection to the agent socket. Lives as long as
// the step: the destructor stops it and closes every relayed connection.
class SshAgentRelay {
 public:
  // Creates the socket at path (owned uid:gid, mode). Throws Error naming the path.
  SshAgentRelay(const std::string& path, const std::string& agent, uid_t uid, gid_t gid, mode_t mode);
  ~SshAgentRelay();
  SshAgentRelay(const SshAgentRelay&) = delete;
  SshAgentRelay& operator=(const SshAgentRelay&) = delete;

 private:
  void Serve();

  std::string agent_;
  UniqueFd listen_, stop_read_, stop_write_;
  std::thread thread_;
};

}  // namespace cairn::builder
