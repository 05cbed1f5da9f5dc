// Test support: a real docker-credential-<name> program (a shell script speaking the
// docker-credential-helpers protocol) that keeps what `store` gives it in files, one per server,
// and logs each action it is asked for.
#pragma once

#include <string>

namespace cairn::store::registry::testing {

class FakeCredentialHelper {
 public:
  // Writes DIR/bin/docker-credential-NAME and puts DIR/bin first on PATH (restored on destruction).
  FakeCredentialHelper(const std::string& dir, const std::string& name);
  ~FakeCredentialHelper();
  FakeCredentialHelper(const FakeCredentialHelper&) = delete;
  FakeCredentialHelper& operator=(const FakeCredentialHelper&) = delete;

  const std::string& bin_dir() const { return bin_; }
  // What `get` for server_url answers from now on: {"ServerURL", "Username", "Secret"}.
  void Put(const std::string& server_url, const std::string& username, const std::string& secret);
  // The stored reply for server_url, "" when nothing is stored.
  std::string Stored(const std::string& server_url) const;
  // The actions run so far, one a line ("get 127.0.0.1:5000").
  std::string Calls() const;

 private:
  std::string File(const std::string& server_url) const;
  std::string dir_, bin_, old_path_;
};

}  // namespace cairn::store::registry::testing
