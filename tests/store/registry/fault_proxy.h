// Test support: a loopback TCP proxy in front of a registry that misbehaves on purpose, to prove
// that the client retries and resumes. Each fault fires the given number of times, then the proxy
// forwards faithfully.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cairn::store::registry::testing {

struct Faults {
  int drop_connections = 0;  // read the request, then close without a byte of answer
  int answer_500 = 0;        // answer "500 Internal Server Error" and close
  // The first request containing fail_marker is answered with a 500 and never reaches the registry.
  std::string fail_marker{};
  // The first request containing blob_unknown_marker is answered as a registry that does not yet
  // see a blob the manifest names: 400 with MANIFEST_BLOB_UNKNOWN (never reaches the registry).
  std::string blob_unknown_marker{};
  // When a request containing cut_marker passes, close the connection after cut_after bytes of
  // the answer went back (once).
  std::string cut_marker{};
  size_t cut_after = 0;
  // Removes Range headers from requests, as a registry or cache that ignores them would.
  bool strip_range = false;
  // When a request containing corrupt_marker passes, flips the byte at offset corrupt_at of its
  // answer (headers included; pick an offset inside the body), once.
  std::string corrupt_marker{};
  size_t corrupt_at = 0;
  // Plays a token-authenticated registry: requests without "Authorization: Bearer <token>" get a
  // 401 Bearer challenge whose realm is this proxy's /token, which grants `token` to anyone.
  std::string bearer_token{};
  // With bearer_token: the token service grants it only to docker's OAuth2 form POST
  // (grant_type=refresh_token) carrying this refresh token; any other token request gets a 401.
  std::string refresh_token{};
};

class FaultProxy {
 public:
  FaultProxy(int upstream_port, Faults faults);
  ~FaultProxy();

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Header blocks (request line and headers) of the requests that reached the proxy, in order.
  std::vector<std::string> requests();
  int faults_fired() const { return fired_; }

 private:
  void AcceptLoop();
  void Serve(int client);
  bool TakeFault(int& counter);
  void Record(const std::string& chunk);
  // Answers the request in `chunk` itself when playing a token service; true if it did.
  bool AnswerBearer(int client, const std::string& chunk);

  int upstream_port_;
  Faults faults_;
  int port_ = 0;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<int> fired_{0};
  std::atomic<bool> cut_done_{false};
  std::atomic<bool> corrupt_done_{false};
  std::atomic<bool> fail_done_{false};
  std::atomic<bool> blob_unknown_done_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace cairn::store::registry::testing
