#include "tests/support/harness.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "base/fs.h"

extern char** environ;

namespace cairn::testing {

CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<std::string> envs;
  // An entry of env replaces the inherited one of its name (getenv would find the first).
  auto overridden = [&env](const std::string& entry) {
    std::string name = entry.substr(0, entry.find('=') + 1);
    for (auto& e : env)
      if (e.compare(0, name.size(), name) == 0) return true;
    return false;
  };
  for (char** e = environ; *e; e++)
    if (!overridden(*e)) envs.push_back(*e);
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
  CommandResult result;
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TempDir::TempDir() : path_(MakeTempDir("/tmp", "cairn-test-")) {}
TempDir::~TempDir() {
  try {
    RemoveAll(path_);
  } catch (...) {
  }
}

void WriteTextFile(const std::string& path, const std::string& text) {
  MakeDirs(path.substr(0, path.rfind('/')));
  std::ofstream(path, std::ios::binary) << text;
}

CommandResult Cairn(const std::string& root, const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {CAIRN_BINARY, "--root", root};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env);
}

void ImportBusybox(const std::string& root) {
  TempDir work;
  auto made = RunCommand({std::string(CAIRN_SOURCE_DIR) + "/tests/support/busybox-rootfs", work / "rootfs", work / "busybox.tar"});
  if (made.exit_code != 0) throw std::runtime_error("busybox-rootfs failed: " + made.err);
  auto imported = Cairn(root, {"import", work / "busybox.tar", "busybox:latest"});
  if (imported.exit_code != 0) throw std::runtime_error("cairn import failed: " + imported.err);
}

std::string ExamplesRoot() {
  for (const char* var : {"CAIRN_EXAMPLES_ROOT", "CAIRN_ROOT"})
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  return "/var/lib/cairn";
}

std::string LoadDebianBase(const std::string& root, const std::string& tag) {
  const std::string examples = ExamplesRoot();
  const std::string base = "debian-gcc:bookworm";
  if (Cairn(examples, {"inspect", base}).exit_code != 0)
    return base + " is not in " + examples + "; run scripts/examples-base --root " + examples +
           " (or set CAIRN_EXAMPLES_ROOT)";
  TempDir work;
  auto saved = Cairn(examples, {"save", "-o", work / "base.tar", base});
  if (saved.exit_code != 0) throw std::runtime_error("cairn save " + base + ": " + saved.err);
  auto loaded = Cairn(root, {"load", "-i", work / "base.tar"});
  if (loaded.exit_code != 0) throw std::runtime_error("cairn load: " + loaded.err);
  if (tag != base) {
    auto tagged = Cairn(root, {"tag", base, tag});
    if (tagged.exit_code != 0) throw std::runtime_error("cairn tag: " + tagged.err);
  }
  return "";
}

bool DebianArchiveReachable() { return TcpReachable("deb.debian.org", "80"); }

bool TcpReachable(const std::string& host, const std::string& port) {
  struct addrinfo hints {};
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return false;
  bool reached = false;
  for (struct addrinfo* a = found; a != nullptr && !reached; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      reached = true;
    } else if (errno == EINPROGRESS) {
      struct pollfd p = {fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      reached = ::poll(&p, 1, 5000) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return reached;
}

}  // namespace cairn::testing
