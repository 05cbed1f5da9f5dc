#include "tests/store/registry/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"

namespace cairn::store::registry::testing {
namespace {

int Listen(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0)
    throw SysError("listen", "127.0.0.1:0");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string StripHeader(const std::string& chunk, const std::string& name) {
  size_t at = chunk.find("\r\n" + name + ": ");
  if (at == std::string::npos) return chunk;
  size_t end = chunk.find("\r\n", at + 2);
  return chunk.substr(0, at) + chunk.substr(end);
}

}  // namespace

FaultProxy::FaultProxy(int upstream_port, Faults faults) : upstream_port_(upstream_port), faults_(std::move(faults)) {
  listen_fd_ = Listen(&port_);
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) throw SysError("pipe", "fault proxy");
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  char c = 0;
  (void)!write(stop_pipe_[1], &c, 1);
  acceptor_.join();
  for (auto& t : threads_) t.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

std::vector<std::string> FaultProxy::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool FaultProxy::TakeFault(int& counter) {
  std::lock_guard<std::mutex> lock(mu_);
  if (counter <= 0) return false;
  --counter;
  ++fired_;
  return true;
}

void FaultProxy::Record(const std::string& chunk) {
  // Request lines start chunks often enough to count methods and URLs in a test.
  static const char* methods[] = {"GET ", "HEAD ", "POST ", "PUT ", "PATCH ", "DELETE "};
  for (const char* m : methods) {
    if (chunk.rfind(m, 0) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(chunk.substr(0, chunk.find("\r\n\r\n")));
      return;
    }
  }
}

bool FaultProxy::AnswerBearer(int client, const std::string& chunk) {
  if (faults_.bearer_token.empty()) return false;
  std::string response;
  bool token_request = chunk.rfind("GET /token?", 0) == 0 || chunk.rfind("POST /token", 0) == 0;
  bool refused = !faults_.refresh_token.empty() &&
                 (chunk.rfind("POST /token", 0) != 0 || chunk.find("grant_type=refresh_token") == std::string::npos ||
                  chunk.find("refresh_token=" + faults_.refresh_token) == std::string::npos);
  if (token_request && refused) {
    response = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
  } else if (token_request) {
    std::string body = "{\"token\": \"" + faults_.bearer_token + "\"}";
    response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body;
  } else if (chunk.find("Authorization: Bearer " + faults_.bearer_token + "\r\n") == std::string::npos &&
             chunk.find(" HTTP/1.1\r\n") != std::string::npos) {
    std::string repo = chunk.substr(chunk.find("/v2/") + 4);
    repo = repo.substr(0, repo.find("/blobs/") != std::string::npos && repo.find("/blobs/") < repo.find(' ')
                              ? repo.find("/blobs/")
                              : repo.find("/manifests/"));
    response = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nWWW-Authenticate: Bearer realm=\"http://" + host() +
               "/token\",service=\"fault-proxy\",scope=\"repository:" + repo + ":pull\"\r\n\r\n";
  } else {
    return false;
  }
  SendAll(client, response.data(), response.size());
  return true;
}

void FaultProxy::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) threads_.emplace_back([this, client] { Serve(client); });
  }
}

void FaultProxy::Serve(int client) {
  char buf[65536];
  int upstream = -1;
  bool cutting = false, corrupting = false;
  size_t sent_after_marker = 0;
  while (true) {
    pollfd fds[3] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) continue;
    if (fds[2].revents) break;
    if (fds[0].revents) {
      ssize_t n = recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      std::string chunk(buf, static_cast<size_t>(n));
      Record(chunk);
      if (TakeFault(faults_.drop_connections)) break;
      bool fail_this = !faults_.fail_marker.empty() && chunk.find(faults_.fail_marker) != std::string::npos &&
                       !fail_done_.exchange(true);
      if (fail_this) ++fired_;
      if (fail_this || TakeFault(faults_.answer_500)) {
        std::string r = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        SendAll(client, r.data(), r.size());
        break;
      }
      if (!faults_.blob_unknown_marker.empty() && chunk.find(faults_.blob_unknown_marker) != std::string::npos &&
          !blob_unknown_done_.exchange(true)) {
        ++fired_;
        std::string body = R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]})";
        std::string r = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        SendAll(client, r.data(), r.size());
        break;
      }
      if (AnswerBearer(client, chunk)) continue;
      if (!faults_.cut_marker.empty() && !cut_done_ && chunk.find(faults_.cut_marker) != std::string::npos &&
          !cut_done_.exchange(true)) {
        cutting = true;
        ++fired_;
      }
      if (!faults_.corrupt_marker.empty() && chunk.find(faults_.corrupt_marker) != std::string::npos &&
          !corrupt_done_.exchange(true)) {
        corrupting = true;
        ++fired_;
      }
      if (faults_.strip_range) chunk = StripHeader(chunk, "Range");
      if (upstream < 0 && (upstream = Connect(upstream_port_)) < 0) break;
      if (!SendAll(upstream, chunk.data(), chunk.size())) break;
    }
    if (upstream >= 0 && fds[1].revents) {
      ssize_t n = recv(upstream, buf, sizeof buf, 0);
      if (n <= 0) break;
      size_t len = static_cast<size_t>(n);
      if (cutting && sent_after_marker + len > faults_.cut_after) {
        SendAll(client, buf, faults_.cut_after - sent_after_marker);
        break;
      }
      if (corrupting && faults_.corrupt_at >= sent_after_marker && faults_.corrupt_at < sent_after_marker + len) {
        buf[faults_.corrupt_at - sent_after_marker] ^= 0x01;
        corrupting = false;
      }
      if (cutting || corrupting) sent_after_marker += len;
      if (!SendAll(client, buf, len)) break;
    }
  }
  if (upstream >= 0) close(upstream);
  close(client);
}

}  // namespace cairn::store::registry::testing
