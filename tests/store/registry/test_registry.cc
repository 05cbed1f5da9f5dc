#include "tests/store/registry/test_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/error.h"
#include "base/fs.h"
#include "store/registry/http.h"

namespace cairn::store::registry::testing {
namespace {

std::string Config(const std::string& dir, int port, const std::string& htpasswd, const ServerTls& tls) {
  std::string c = "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: " + dir +
                  "/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n";
  if (!tls.cert.empty())
    c += "  tls:\n    certificate: " + tls.cert + "\n    key: " + tls.key + "\n    clientcas:\n      - " + tls.client_ca + "\n";
  if (!htpasswd.empty()) c += "auth:\n  htpasswd:\n    realm: cairn-test\n    path: " + htpasswd + "\n";
  return c;
}

pid_t Spawn(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw SysError("fork", argv[0]);
  if (pid == 0) {
    if (out_fd >= 0) {
      dup2(out_fd, 1);
      dup2(out_fd, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

bool Answers(int port, const ServerTls& tls) {
  try {
    HttpRequest req;
    req.url = (tls.cert.empty() ? "http" : "https") + std::string("://127.0.0.1:") + std::to_string(port) + "/v2/";
    if (!tls.cert.empty()) req.tls = {ReadFile(tls.probe_ca), tls.probe_cert, tls.probe_key};
    long status = Perform(req).status;
    return status == 200 || status == 401;
  } catch (const TransportError&) {
    return false;
  }
}

}  // namespace

int FreePort() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw SysError("bind", "127.0.0.1:0");
  socklen_t len = sizeof addr;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

TestRegistry::TestRegistry(const std::string& htpasswd_file, const ServerTls& tls) : tls_(tls) {
  dir_ = MakeTempDir("/tmp", "cairn-registry-");
  port_ = FreePort();
  std::string config = JoinPath(dir_, "config.yml");
  WriteFileAtomic(config, Config(dir_, port_, htpasswd_file, tls_));
  UniqueFd log(open(JoinPath(dir_, "log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  pid_ = Spawn({"/usr/bin/docker-registry", "serve", config}, log.get());
  for (int i = 0; i < 200 && !Answers(port_, tls_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!Answers(port_, tls_)) throw Error("docker-registry did not start on port " + std::to_string(port_) + ": " + this->log());
}

TestRegistry::~TestRegistry() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  RemoveAll(dir_);
}

std::string TestRegistry::log() const {
  try {
    return ReadFile(JoinPath(dir_, "log"));
  } catch (const Error&) {
    return "";
  }
}

int RunCommand(const std::vector<std::string>& argv, std::string* out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe", argv[0]);
  pid_t pid = Spawn(argv, fds[1]);
  close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    if (out) out->append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string TestRegistry::BlobDataPath(const std::string& digest) const {
  std::string hex = digest.substr(digest.find(':') + 1);
  return JoinPath(dir_, "data/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data");
}

}  // namespace cairn::store::registry::testing
