#include "runtime/userns.h"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <vector>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"

namespace cairn::runtime {

namespace {

constexpr const char* kSubuidFile = "/etc/subuid";
constexpr const char* kSubgidFile = "/etc/subgid";

std::string ReadIfExists(const char* path) {
  return PathExists(path) ? ReadFile(path) : std::string();
}

// newuidmap/newgidmap are setuid-root helpers from shadow (Debian package uidmap). They are the
// only way an unprivileged process can map a subordinate id range into a user namespace: the
// kernel lets a process map just its own id. Calling them is what podman, buildah and rootlesskit
// do, and the one place cairn runs another program.
std::string FindHelper(const char* name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/bin:/bin:/usr/sbin:/sbin";
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw Error(std::string("rootless: ") + name +
              " not found; install it (Debian: apt-get install uidmap) or run cairn as root");
}

// Runs `helper pid 0 own 1 start count` and waits for it.
void MapIds(const char* name, pid_t pid, unsigned long own, const SubordinateRange& range) {
  std::string helper = FindHelper(name);
  // pid, then (inside, outside, count) triples: 0 -> own id, 1.. -> the subordinate range.
  std::vector<std::string> args = {helper, std::to_string(pid), "0", std::to_string(own), "1",
                                   "1", std::to_string(range.start), std::to_string(range.count)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) throw SysError("fork for", helper);
  if (child == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("rootless: " + helper + " " + args[1] + " 0 " + args[3] + " 1 1 " + args[6] + " " + args[7] +
                " failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128) +
                "); check that the range is yours in " + (std::strcmp(name, "newuidmap") == 0 ? kSubuidFile : kSubgidFile) +
                " and that the helper is setuid root");
}

SubordinateRange RangeFor(const char* file, const std::string& user, unsigned long id) {
  if (auto r = FindSubordinateRange(ReadIfExists(file), user, id)) return *r;
  throw Error(std::string("rootless: user ") + user + " (id " + std::to_string(id) + ") has no subordinate ids in " +
              file + "; add a line \"" + user + ":100000:65536\" to /etc/subuid and /etc/subgid (for example: " +
              "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + user + "), or run cairn as root");
}

pid_t g_child = 0;

void Forward(int sig) {
  if (g_child > 0) ::kill(g_child, sig);
}

// The waiting parent: the terminal's Ctrl-C reaches the child directly (same process group), so
// the parent ignores it and only forwards what is sent to it alone; it ends as the child ended.
int WaitAndExitLikeChild(pid_t child) {
  g_child = child;
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = Forward;
  for (int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) ::sigaction(sig, &sa, nullptr);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw SysError("wait for the rootless child", "");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  int sig = WTERMSIG(status);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
  return 128 + sig;
}

void WriteByte(int fd, char c) {
  while (::write(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

char ReadByte(int fd) {
  char c = 0;
  ssize_t n;
  while ((n = ::read(fd, &c, 1)) < 0 && errno == EINTR) {
  }
  return n == 1 ? c : 0;
}

// In the child: wait for the parent's mapping, then become root of the namespace. A refused
// unshare is reported to the parent (which goes on as itself) and ends the child.
void BecomeNamespaceRoot(int ready_w, int go_r, pid_t parent, const char* marker) {
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    int err = errno;
    WriteByte(ready_w, 'E');
    WriteByte(ready_w, static_cast<char>(err));
    ::_exit(0);
  }
  WriteByte(ready_w, 'R');
  if (ReadByte(go_r) != 'G') ::_exit(1);  // the parent failed to map us and reports why
  ::close(ready_w);
  ::close(go_r);
  if (::setresgid(0, 0, 0) != 0) throw SysError("user namespace: setresgid 0", "");
  if (::setgroups(0, nullptr) != 0) throw SysError("user namespace: setgroups", "");
  if (::setresuid(0, 0, 0) != 0) throw SysError("user namespace: setresuid 0", "");
  // Die with the waiting parent, so a killed cairn leaves nothing behind. After the id changes:
  // the kernel clears the parent-death signal when credentials change.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(1);
  ::setenv(marker, "1", 1);
}

// Forks: the child unshares a user and a mount namespace and waits; map_ids(child) writes its id
// maps from here; then the child goes on inside and this process waits for it. See EnterResult.
EnterResult EnterWith(const std::function<void(pid_t)>& map_ids, const char* marker) {
  int ready[2], go[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0) throw SysError("pipe", "");
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) throw SysError("fork", "");
  if (child == 0) {
    ::close(ready[0]);
    ::close(go[1]);
    BecomeNamespaceRoot(ready[1], go[0], parent, marker);
    return {};
  }
  ::close(ready[1]);
  ::close(go[0]);
  ScopeExit close_ends([&] {
    ::close(go[1]);
    ::close(ready[0]);
  });
  char state = ReadByte(ready[0]);
  if (state != 'R') {
    int err = state == 'E' ? static_cast<unsigned char>(ReadByte(ready[0])) : 0;
    ::waitpid(child, nullptr, 0);
    EnterResult refused;
    refused.unshare_errno = err ? err : EPERM;
    return refused;
  }
  {
    ScopeFail end_child([&] {
      ::close(go[1]);  // the child sees EOF and exits
      go[1] = -1;
      ::waitpid(child, nullptr, 0);
    });
    map_ids(child);
  }
  WriteByte(go[1], 'G');
  EnterResult waited;
  waited.exit_code = WaitAndExitLikeChild(child);
  return waited;
}

// Root's own map (see EnterOwnUserNamespace): each range of this process's own map, onto itself.
// The initial namespace's one line "0 0 4294967295" becomes one id shorter, so that the map
// differs from the initial namespace's, which is how InUserNamespace() tells; the id it leaves out,
// 4294967294, is (uid_t)-2, which no image uses.
std::string IdentityMap(const std::string& own_map) {
  std::stringstream lines(own_map);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    unsigned long inner = 0, outer = 0, count = 0;
    if (std::sscanf(line.c_str(), "%lu %lu %lu", &inner, &outer, &count) != 3) continue;
    if (inner == 0 && count == 4294967295UL) count = 4294967294UL;
    out += std::to_string(inner) + " " + std::to_string(inner) + " " + std::to_string(count) + "\n";
  }
  return out;
}

void WriteMap(pid_t pid, const char* file, const std::string& map) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), map.data(), map.size()) != static_cast<ssize_t>(map.size()))
    throw SysError("user namespace: write", path);
}

}  // namespace

std::optional<SubordinateRange> FindSubordinateRange(const std::string& file_text, const std::string& user,
                                                     unsigned long id) {
  std::stringstream lines(file_text);
  const std::string id_text = std::to_string(id);
  for (std::string line; std::getline(lines, line);) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string owner = line.substr(0, a);
    if (owner != user && owner != id_text) continue;
    char* end = nullptr;
    errno = 0;
    unsigned long start = std::strtoul(line.c_str() + a + 1, &end, 10);
    if (errno || end != line.c_str() + b) continue;
    unsigned long count = std::strtoul(line.c_str() + b + 1, &end, 10);
    if (errno || end == line.c_str() + b + 1 || (*end && *end != '\r' && *end != ' ') || count == 0) continue;
    return SubordinateRange{start, count};
  }
  return std::nullopt;
}

bool InUserNamespace() {
  // 0 = unknown, 1 = initial namespace, 2 = inside one. Raw syscalls only: may run after clone().
  static std::atomic<int> state{0};
  int s = state.load();
  if (s != 0) return s == 2;
  bool inside = false;
  int fd = ::open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0) {
      buf[n] = '\0';
      unsigned long inner = 1, outer = 1, count = 0;
      int lines = 0;
      for (char* p = buf; *p; ++p)
        if (*p == '\n') ++lines;
      // The initial namespace maps all ids onto themselves in one line: "0 0 4294967295".
      bool identity = std::sscanf(buf, "%lu %lu %lu", &inner, &outer, &count) == 3 && inner == 0 && outer == 0 &&
                      count == 4294967295UL && lines <= 1;
      inside = !identity;
    }
  }
  state.store(inside ? 2 : 1);
  return inside;
}

const char* OverlayUserxattr() { return InUserNamespace() ? ",userxattr" : ""; }

const char* OverlayRedirectDir() { return InUserNamespace() ? "nofollow" : "off"; }

EnterResult EnterRootless() {
  if (::geteuid() == 0) return {};
  if (const char* inside = std::getenv(kRootlessEnv); inside && *inside) return {};

  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  const passwd* pw = ::getpwuid(uid);
  std::string user = pw ? pw->pw_name : std::to_string(uid);
  SubordinateRange uids = RangeFor(kSubuidFile, user, uid);
  SubordinateRange gids = RangeFor(kSubgidFile, user, uid);
  return EnterWith(
      [&](pid_t child) {
        MapIds("newuidmap", child, uid, uids);
        MapIds("newgidmap", child, gid, gids);
      },
      kRootlessEnv);
}

EnterResult EnterOwnUserNamespace() {
  if (const char* inside = std::getenv(kOwnUserNamespaceMarker); inside && *inside) return {};
  std::string uids = IdentityMap(ReadFile("/proc/self/uid_map")), gids = IdentityMap(ReadFile("/proc/self/gid_map"));
  return EnterWith(
      [&](pid_t child) {
        WriteMap(child, "uid_map", uids);
        WriteMap(child, "gid_map", gids);
      },
      kOwnUserNamespaceMarker);
}

}  // namespace cairn::runtime
