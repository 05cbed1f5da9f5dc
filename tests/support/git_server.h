// A git server on 127.0.0.1 for tests of git sources, from Debian's git: `git daemon` (git://)
// and `git http-backend` behind a minimal HTTP server in python3 (http://, optionally with basic
// auth). Both serve the bare repositories under one directory and stop when the object dies.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cairn::testing {

class GitServer {
 public:
  // Serves base_dir/NAME.git. With user and password, http:// asks for them (basic auth).
  explicit GitServer(const std::string& base_dir, const std::string& user = "", const std::string& password = "");
  ~GitServer();
  GitServer(const GitServer&) = delete;
  GitServer& operator=(const GitServer&) = delete;

  std::string GitUrl(const std::string& name) const;   // git://127.0.0.1:PORT/NAME
  std::string HttpUrl(const std::string& name, const std::string& userinfo = "") const;  // http://[userinfo@]127.0.0.1:PORT/NAME

 private:
  int git_port_ = 0, http_port_ = 0;
  pid_t git_pid_ = -1, http_pid_ = -1;
  std::string script_;
};

// Debian's sshd on 127.0.0.1 (a free port, a host key made here, public-key login as root with the
// keys of authorized_keys only): a git server over ssh (git-upload-pack runs through root's shell)
// and an ssh login to check an agent's signatures. Stops when the object dies.
class SshServer {
 public:
  // dir: an empty directory for the host key, the configuration and the log.
  SshServer(const std::string& dir, const std::string& authorized_keys);
  ~SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const;  // ssh://root@127.0.0.1:PORT/PATH (path absolute)
  std::string KnownHostsLine() const;              // "[127.0.0.1]:PORT ssh-ed25519 AAAA..."
  std::string Log() const;                         // sshd's log, for a failing test's message

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// `git -C dir args...` with a fixed author, committer and dates (so commits are reproducible);
// fails the test on error. date is like "2021-01-01T00:00:00Z".
void Git(const std::string& dir, const std::vector<std::string>& args, const std::string& date = "2021-01-01T00:00:00Z");

}  // namespace cairn::testing
