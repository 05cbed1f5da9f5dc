// The ssh agent git clones over ssh with (cli/git_clone.cc: libgit2's libssh2 reads
// $SSH_AUTH_SOCK): `cairn build --ssh default=...` when given, as buildx clones ssh sources with
// the default ssh; else the environment's agent. For key files (--ssh default=KEYFILE), cairn
// serves them as an agent (builder/ssh_forward.h) on a socket in a private scratch directory for
// as long as the build runs.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "builder/ssh_forward.h"

namespace cairn::cli {

class GitSshAgent {
 public:
  // Points SSH_AUTH_SOCK at the default agent, if ssh has one. Call before any thread starts
  // (it sets the environment). scratch: an empty directory of the caller's, made private here.
  GitSshAgent(const std::map<std::string, builder::SshAgentSource>& ssh, const std::string& scratch);

 private:
  std::unique_ptr<builder::SshAgentRelay> relay_;
};

}  // namespace cairn::cli
