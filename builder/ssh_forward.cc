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
#include "builder/ssh_agent.h"

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

std::pair<std::string, SshAgentSource> ParseSshFlag(const std::string& flag, const char* ssh_auth_sock) {
  std::string where = "--ssh " + flag;
  size_t eq = flag.find('=');
  std::string id = flag.substr(0, eq);
  if (id.empty()) throw Error(where + ": want default, ID, ID=SOCKET or ID=KEYFILE[,KEYFILE]");
  std::vector<std::string> paths;
  if (eq == std::string::npos) {
    if (!ssh_auth_sock || !*ssh_auth_sock)
      throw Error(where + ": SSH_AUTH_SOCK is not set; start an agent (eval $(ssh-agent); ssh-add), pass " + id +
                  "=SOCKET or " + id + "=KEYFILE");
    paths.push_back(ssh_auth_sock);
  } else {
    std::string rest = flag.substr(eq + 1);
    for (size_t at = 0;;) {
      size_t comma = rest.find(',', at);
      paths.push_back(rest.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  bool sockets = false;
  for (auto& path : paths) {
    if (path.empty()) throw Error(where + ": an empty path");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw SysError("--ssh " + id + ": stat", path);
    if (S_ISSOCK(st.st_mode)) sockets = true;
    else if (!S_ISREG(st.st_mode)) throw Error(where + ": " + path + " is neither an agent socket nor a key file");
  }
  if (sockets && paths.size() > 1)
    throw Error(where + ": an agent socket among several paths; give one agent socket, or key files only");
  SshAgentSource source;
  if (sockets) source.socket = paths[0];
  else source.keys = SshKeyring::Load(paths);
  return {id, std::move(source)};
}

SshAgentRelay::SshAgentRelay(const std::string& path, SshAgentSource source, uid_t uid, gid_t gid, mode_t mode)
    : source_(std::move(source)) {
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

namespace {

// One connection: to the agent it is relayed to (agent set), or answered with keys (pending
// holds the bytes of a request not yet complete).
struct Link {
  UniqueFd step, agent;
  std::string pending;
};

// Reads what the step sent and answers the complete requests; false when the step is gone.
bool Answer(const SshKeyring& keys, Link& link) {
  char buf[16384];
  ssize_t n = ::read(link.step.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  link.pending.append(buf, static_cast<size_t>(n));
  std::string out;
  bool ok = ServeAgentBytes(keys, link.pending, out);
  for (size_t off = 0; off < out.size();) {
    ssize_t w = ::send(link.step.get(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return ok;
}

}  // namespace

// One thread for the listener and every connection: agent messages are small, and a step opens
// few connections.
void SshAgentRelay::Serve() {
  std::vector<Link> links;
  for (;;) {
    std::vector<pollfd> fds = {{stop_read_.get(), POLLIN, 0}, {listen_.get(), POLLIN, 0}};
    for (auto& link : links) {
      fds.push_back({link.step.get(), POLLIN, 0});
      fds.push_back({link.agent ? link.agent.get() : -1, POLLIN, 0});  // -1: poll ignores it
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    std::vector<bool> closed(links.size(), false);
    for (size_t i = 0; i < links.size(); ++i) {
      Link& link = links[i];
      if (fds[2 + 2 * i].revents)
        closed[i] = link.agent ? !Pump(link.step.get(), link.agent.get()) : !Answer(*source_.keys, link);
      if (!closed[i] && link.agent && fds[3 + 2 * i].revents && !Pump(link.agent.get(), link.step.get())) closed[i] = true;
    }
    for (size_t i = links.size(); i-- > 0;)
      if (closed[i]) links.erase(links.begin() + static_cast<long>(i));
    if (fds[1].revents & POLLIN) {
      UniqueFd step(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!step) continue;
      if (source_.keys) {
        links.push_back({std::move(step), UniqueFd(), {}});
        continue;
      }
      UniqueFd agent = ConnectTo(source_.socket);
      if (agent) links.push_back({std::move(step), std::move(agent), {}});  // else: the step sees the connection close
    }
  }
}

}  // namespace cairn::builder
