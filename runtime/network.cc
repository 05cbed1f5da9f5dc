#include "runtime/network.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/fs.h"

extern char** environ;

namespace cairn::runtime {

namespace {

constexpr const char* kHelper = "slirp4netns";
constexpr const char* kInstallHint =
    "RUN's default network needs slirp4netns: install it (apt-get install slirp4netns), or pass "
    "--network none (loopback only) or --network host";
constexpr int kReadyTimeoutMs = 10000;

// Runs fn on a thread of its own and waits for it: setns() and unshare(CLONE_NEWNET) change
// the calling thread's network namespace, which must never be one of cairn's working threads.
template <typename Fn>
void OnOwnThread(Fn fn) {
  std::thread t(fn);
  t.join();
}

// The descriptor's contents, for slirp4netns's messages when it fails.
std::string ReadAll(int fd) {
  std::string text;
  char buf[4096];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// A copy of fd numbered above 5 (close-on-exec), for posix_spawn's dup2s into 2..5.
UniqueFd Above5(int fd) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 6);
  if (copy < 0) throw SysError("fcntl F_DUPFD", "slirp4netns's descriptors");
  return UniqueFd(copy);
}

class Hub {
 public:
  // Throws the reason the hub cannot start, the same one every time it is asked again.
  void EnsureStarted() {
    std::call_once(started_, [this] {
      try {
        Start();
      } catch (const Error& e) {
        failure_ = e.what();
      }
    });
    if (failure_) throw Error(*failure_);
  }

  int TakeSlot() {
    std::unique_lock<std::mutex> lock(slots_mutex_);
    slots_free_.wait(lock, [this] { return in_use_ < kOutboundSlots; });
    // Round robin: a slot just given back may still have its link in a namespace the kernel is
    // tearing down, which would refuse the same MAC address on tap0 for a while.
    for (;;) {
      next_ = next_ % kOutboundSlots + 1;
      if (!used_[next_]) break;
    }
    used_[next_] = true;
    ++in_use_;
    return next_;
  }

  void GiveBack(int slot) {
    {
      std::lock_guard<std::mutex> lock(slots_mutex_);
      used_[slot] = false;
      --in_use_;
    }
    slots_free_.notify_one();
  }

  // 0, or the errno of the kernel's refusal.
  int CreateLink(int slot, pid_t pid) {
    std::lock_guard<std::mutex> lock(netlink_mutex_);
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    // A fixed MAC per slot ("CAIR" + slot): the same address always goes with the same MAC,
    // so slirp's ARP table never holds a stale pair.
    unsigned char mac[6] = {0x02, 0x43, 0x41, 0x49, 0x52, static_cast<unsigned char>(slot)};
    mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
    mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
    mnl_attr_put_u32(nlh, IFLA_LINK, static_cast<uint32_t>(tap_index_));
    mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, static_cast<uint32_t>(pid));
    nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
    nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    if (mnl_socket_sendto(rtnl_, nlh, nlh->nlmsg_len) < 0) return errno;
    ssize_t n = mnl_socket_recvfrom(rtnl_, buf, sizeof buf);
    if (n < 0) return errno;
    if (mnl_cb_run(buf, static_cast<size_t>(n), seq_, mnl_socket_get_portid(rtnl_), nullptr, nullptr) < 0) return errno;
    return 0;
  }

 private:
  void Start() {
    MakeNamespace();
    StartHelper();
    OnOwnThread([this] {
      if (::setns(netns_.get(), CLONE_NEWNET) == 0) tap_index_ = static_cast<int>(::if_nametoindex("tap0"));
    });
    if (tap_index_ == 0) throw Error("RUN's default network: slirp4netns made no tap0 in cairn's network namespace");
  }

  void MakeNamespace() {
    int err = 0;
    int sock = -1;
    OnOwnThread([&] {
      if (::unshare(CLONE_NEWNET) != 0) {
        err = errno;
        return;
      }
      netns_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);  // bound to this namespace for good
      if (!netns_ || sock < 0) err = errno;
    });
    if (err != 0) throw SysError("RUN's default network: make cairn's network namespace", "", err);
    rtnl_ = mnl_socket_fdopen(sock);
    if (!rtnl_ || mnl_socket_bind(rtnl_, 0, MNL_SOCKET_AUTOPID) < 0)
      throw SysError("RUN's default network: netlink socket", "");
  }

  // slirp4netns opens /dev/net/tun as the user cairn runs as: say so before it fails obscurely.
  static void CheckTunDevice() {
    if (::access("/dev/net/tun", R_OK | W_OK) == 0) return;
    if (errno == ENOENT)
      throw Error("RUN's default network needs /dev/net/tun, which this machine lacks (a container "
                  "without the tun device?): pass --network none or --network host");
    throw Error(std::string("RUN's default network needs /dev/net/tun readable and writable by you: ") +
                std::strerror(errno) + " (Debian's udev makes it 0666; as root: chmod 0666 /dev/net/tun), or pass "
                "--network none or --network host");
  }

  // slirp4netns --configure on the hub namespace; returns once it reports tap0 configured.
  void StartHelper() {
    CheckTunDevice();
    int exit_pipe[2], ready_pipe[2];
    if (::pipe2(exit_pipe, O_CLOEXEC) != 0 || ::pipe2(ready_pipe, O_CLOEXEC) != 0) throw SysError("pipe", "slirp4netns");
    UniqueFd exit_read(exit_pipe[0]), ready_read(ready_pipe[0]), ready_write(ready_pipe[1]);
    exit_write_ = UniqueFd(exit_pipe[1]);  // held until cairn exits: then slirp4netns exits too
    UniqueFd log(::memfd_create("slirp4netns-log", MFD_CLOEXEC));
    if (!log) throw SysError("memfd_create", "slirp4netns log");

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    // The dup2s run in order: a source numbered 2..5 would be overwritten before its turn, so
    // every source is first copied above them.
    UniqueFd sources[] = {Above5(log.get()), Above5(exit_read.get()), Above5(ready_write.get()), Above5(netns_.get())};
    for (int target = 2; target <= 5; ++target) posix_spawn_file_actions_adddup2(&files, sources[target - 2].get(), target);
    // Its own process group (Ctrl-C is cairn's to handle), no signal of cairn's blocked or caught.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    // 65520: the largest MTU slirp4netns takes, so bulk downloads need the fewest packets.
    std::vector<std::string> args = {kHelper, "--configure", "--mtu=65520", "--disable-host-loopback",
                                     "--enable-sandbox", "--enable-seccomp", "--exit-fd=3", "--ready-fd=4",
                                     "--netns-type=path", "/proc/self/fd/5", "tap0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, kHelper, &files, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (rc == ENOENT) throw Error(kInstallHint);
    if (rc != 0) throw SysError("start slirp4netns for RUN's default network", "", rc);
    ready_write.Reset();  // now only slirp4netns holds it: EOF means it exited
    for (auto& copy : sources) copy.Reset();

    pollfd p{ready_read.get(), POLLIN, 0};
    int n;
    while ((n = ::poll(&p, 1, kReadyTimeoutMs)) < 0 && errno == EINTR) {
    }
    char byte = 0;
    if (n == 1 && ::read(ready_read.get(), &byte, 1) == 1) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::string said = ReadAll(log.get());
    throw Error(std::string("RUN's default network: slirp4netns ") +
                (n == 0 ? "did not get ready in 10 s" : "exited before it was ready") +
                (said.empty() ? "" : ": " + said) + "\n  pass --network none or --network host to build without it");
  }

  std::once_flag started_;
  std::optional<std::string> failure_;
  UniqueFd netns_, exit_write_;
  mnl_socket* rtnl_ = nullptr;
  int tap_index_ = 0;

  std::mutex netlink_mutex_;
  unsigned seq_ = 0;

  std::mutex slots_mutex_;
  std::condition_variable slots_free_;
  bool used_[kOutboundSlots + 1] = {};
  int in_use_ = 0;
  int next_ = 0;
};

// One per process, never destroyed: its slirp4netns serves every step until cairn exits.
Hub& TheHub() {
  static Hub* hub = new Hub;
  return *hub;
}

}  // namespace

OutboundLease& OutboundLease::operator=(OutboundLease&& o) noexcept {
  if (this != &o) {
    if (slot_) TheHub().GiveBack(slot_);
    slot_ = o.slot_;
    o.slot_ = 0;
  }
  return *this;
}

OutboundLease::~OutboundLease() {
  if (slot_) TheHub().GiveBack(slot_);
}

void StartOutboundInBackground() {
  std::thread([] {
    try {
      TheHub().EnsureStarted();
    } catch (const Error&) {
      // kept by the hub: the first step that needs the network reports it
    }
  }).detach();
}

OutboundLease AttachOutbound(pid_t pid) {
  Hub& hub = TheHub();
  hub.EnsureStarted();
  // A slot whose MAC is still taken (its last step's namespace not yet gone) is skipped.
  for (int tries = 0;; ++tries) {
    OutboundLease lease(hub.TakeSlot());
    int err = hub.CreateLink(lease.slot(), pid);
    if (err == 0) return lease;
    if ((err == EADDRINUSE || err == EEXIST || err == EBUSY) && tries < kOutboundSlots) continue;
    std::string why = err == EOPNOTSUPP || err == ENOENT ? " (this kernel has no macvlan support)" : "";
    throw SysError("RUN's default network: give the step a link on tap0" + why, "", err);
  }
}

bool TunDeviceExists() {
  static const bool exists = [] {
    struct stat st;
    return ::stat("/dev/net/tun", &st) == 0 && S_ISCHR(st.st_mode);
  }();
  return exists;
}

std::optional<Network> ParseNetwork(std::string_view name) {
  if (name == "default") return Network::kOutbound;
  if (name == "none") return Network::kLoopback;
  if (name == "host") return Network::kHost;
  return std::nullopt;
}

uint32_t OutboundAddress(int slot) { return (10u << 24) | (0u << 16) | (2u << 8) | static_cast<uint32_t>(100 + slot); }

}  // namespace cairn::runtime
