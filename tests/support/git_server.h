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

// `git -C dir args...` with a fixed author, committer and dates (so commits are reproducible);
// fails the test on error. date is like "2021-01-01T00:00:00Z".
void Git(const std::string& dir, const std::vector<std::string>& args, const std::string& date = "2021-01-01T00:00:00Z");

}  // namespace cairn::testing
