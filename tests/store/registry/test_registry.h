// Test support: a real distribution registry (Debian's docker-registry) on a loopback port,
// started for a test and killed when the object dies; plus small process helpers.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cairn::store::registry::testing {

// A port on 127.0.0.1 that was free a moment ago.
int FreePort();

// A registry serving https with this certificate and key, demanding a client certificate
// signed by client_ca (mutual TLS).
struct ServerTls {
  std::string cert, key, client_ca;
  // What the readiness probe presents: a CA to trust and a client certificate and key.
  std::string probe_ca, probe_cert, probe_key;
};

class TestRegistry {
 public:
  // Starts `docker-registry serve` with its data under a fresh temp dir. With an htpasswd file
  // (bcrypt lines), the registry demands basic auth (realm "cairn-test"); with tls, it serves
  // https only. Waits until /v2/ answers.
  explicit TestRegistry(const std::string& htpasswd_file = "", const ServerTls& tls = {});
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;  // what the registry printed, for failure messages
  // Where the registry keeps a blob's bytes (filesystem driver), for tests that damage one.
  std::string BlobDataPath(const std::string& digest) const;

 private:
  std::string dir_;
  ServerTls tls_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Runs argv, returns its exit status; stdout goes to *out when given (stderr is appended too).
int RunCommand(const std::vector<std::string>& argv, std::string* out = nullptr);

}  // namespace cairn::store::registry::testing
