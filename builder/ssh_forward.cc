#include "builder/ssh_forward.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/error.h"

namespace cairn::builder {

namespace {

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error("ssh socket " + path + ": the path is longer than a unix socket's " +
                std::to_string(sizeof addr.sun_path - 1) + " bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

UniqueFd ConnectTo(const std::string& path) {
  sockaddr_un addr = UnixAddress(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  return fd;
}

// Copies what from has to to; false when from is closed (or to is gone).
bool Pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

std::pair<std::string, std::string> ParseSshFlag(const std::string& flag, const char* ssh_auth_sock) {
  std::string where = "--ssh " + flag;
  size_t eq = flag.find('=');
  std::string id = flag.substr(0, eq);
  if (id.empty()) throw Error(where + ": want default, ID or ID=SOCKET");
  std::string path;
  if (eq == std::string::npos) {
    if (!ssh_auth_sock || !*ssh_auth_sock)
      throw Error(where + ": SSH_AUTH_SOCK is not set; start an agent (eval $(ssh-agent); ssh-add) or pass " + id + "=SOCKET");
    path = ssh_auth_sock;
  } else {
    path = flag.substr(eq + 1);
  }
  if (path.find(',') != std::string::npos)
    throw Error(where + ": cairn forwards one agent socket per id, not several paths; load the keys into one agent "
                "(ssh-add KEY...) and pass its socket");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw SysError("--ssh " + id + ": stat", path);
  if (!S_ISSOCK(st.st_mode))
    throw Error(where + ": " + path + " is not an agent socket; cairn forwards ssh agents and does not read key "
                "files: load the key into an agent (ssh-add " + path + ") and pass --ssh " + id + " (SSH_AUTH_SOCK) or " +
                id + "=SOCKET");
  return {id, path};
}

SshAgentRelay::SshAgentRelay(const std::string& path, const std::string& agent, uid_t uid, gid_t gid, mode_t mode)
    : agent_(agent) {
  sockaddr_un addr = UnixAddress(path);
  listen_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listen_) throw SysError("socket", path);
  if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw SysError("bind", path);
  if (::chown(path.c_str(), uid, gid) != 0) throw SysError("chown", path);
  if (::chmod(path.c_str(), mode) != 0) throw SysError("chmod", path);
  if (::listen(listen_.get(), 16) != 0) throw SysError("listen", path);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe", path);
  stop_read_ = UniqueFd(fds[0]);
  stop_write_ = UniqueFd(fds[1]);
  thread_ = std::thread([this] { Serve(); });
}

SshAgentRelay::~SshAgentRelay() {
  char byte = 0;
  while (::write(stop_write_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

// One thread for the listener and every relayed connection: agent messages are small, and a
// step opens few connections.
void SshAgentRelay::Serve() {
  std::vector<std::pair<UniqueFd, UniqueFd>> links;  // (the step's end, the agent's end)
  for (;;) {
    std::vector<pollfd> fds = {{stop_read_.get(), POLLIN, 0}, {listen_.get(), POLLIN, 0}};
    for (auto& [step, agent] : links) {
      fds.push_back({step.get(), POLLIN, 0});
      fds.push_back({agent.get(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    std::vector<bool> closed(links.size(), false);
    for (size_t i = 0; i < links.size(); ++i) {
      auto& [step, agent] = links[i];
      if (fds[2 + 2 * i].revents && !Pump(step.get(), agent.get())) closed[i] = true;
      if (!closed[i] && fds[3 + 2 * i].revents && !Pump(agent.get(), step.get())) closed[i] = true;
    }
    for (size_t i = links.size(); i-- > 0;)
      if (closed[i]) links.erase(links.begin() + static_cast<long>(i));
    if (fds[1].revents & POLLIN) {
      UniqueFd step(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!step) continue;
      UniqueFd agent = ConnectTo(agent_);
      if (agent) links.emplace_back(std::move(step), std::move(agent));  // else: the step sees the connection close
    }
  }
}

}  // namespace cairn::builder
