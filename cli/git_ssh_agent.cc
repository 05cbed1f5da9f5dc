#include "cli/git_ssh_agent.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::cli {

GitSshAgent::GitSshAgent(const std::map<std::string, builder::SshAgentSource>& ssh, const std::string& scratch) {
  auto it = ssh.find("default");
  if (it == ssh.end()) return;
  std::string socket = it->second.socket;
  if (it->second.keys) {
    if (::chmod(scratch.c_str(), 0700) != 0) throw SysError("chmod", scratch);
    socket = JoinPath(scratch, "agent");
    relay_ = std::make_unique<builder::SshAgentRelay>(socket, it->second, ::geteuid(), ::getegid(), 0600);
  }
  ::setenv("SSH_AUTH_SOCK", socket.c_str(), 1);
}

}  // namespace cairn::cli
