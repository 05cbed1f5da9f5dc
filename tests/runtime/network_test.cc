// RUN's networks through the real binary (runtime/network.h): by default outbound and cut off
// from the host's loopback and from link-local addresses; none = loopback only; host = the
// host's. Every packet these tests send goes to loopback or to addresses the test made itself
// in a network namespace of its own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include "base/fs.h"
#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A socket of the host's bound on `address` (127.0.0.1 or ::1) at `port` (0: an ephemeral one).
class HostSocket {
 public:
  HostSocket(int family, int type, const char* address, int port = 0) {
    fd_ = ::socket(family, type | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, address, &a->sin_addr);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET6, address, &a->sin6_addr);
      len = sizeof *a;
    }
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, 16) != 0) ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
      throw std::runtime_error(std::string("cannot bind a test socket on ") + address);
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~HostSocket() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string port() const { return std::to_string(port_); }
  // Whether anything arrived: a connection (TCP) or a datagram (UDP).
  bool Reached() const {
    char buf[64];
    int c = ::accept(fd_, nullptr, nullptr);
    if (c >= 0) {
      ::close(c);
      return true;
    }
    return ::recv(fd_, buf, sizeof buf, 0) >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class RunNetwork : public BusyboxStore<RunNetwork> {
 protected:

  CommandResult Build(const std::string& dockerfile, std::vector<std::string> extra = {}) {
    WriteTextFile(ctx_ / "Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--no-cache", "--progress", "plain"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx_.path());
    return Cairn(Root(), args);
  }
  CommandResult BuildRun(const std::string& script, std::vector<std::string> extra = {}) {
    return Build("FROM busybox\nRUN " + script + "\n", std::move(extra));
  }

  TempDir ctx_;
};

// What a step sees by default: lo and eth0, slirp4netns's resolver, a default route and the
// reject route for link-local addresses, the same on every machine.
TEST_F(RunNetwork, DefaultGivesEth0TheFixedResolverAndRejectsLinkLocal) {
  auto r = BuildRun("ls /sys/class/net | tr '\\n' ' '; echo; cat /etc/resolv.conf; ip route");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(" eth0 lo \n"));
  EXPECT_THAT(r.err, HasSubstr(" nameserver 10.0.2.3\n"));
  EXPECT_THAT(r.err, HasSubstr(" default via 10.0.2.2 dev eth0"));
  EXPECT_THAT(r.err, HasSubstr(" unreachable 169.254.0.0/16"));
}

TEST_F(RunNetwork, NoneHasOnlyLoopbackAndHostHasTheHostsInterfaces) {
  auto none = BuildRun("ls /sys/class/net | tr '\\n' ' '; wc -c < /etc/resolv.conf", {"--network", "none"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.err, HasSubstr(" lo 0\n"));  // lo alone; no network, no resolver
  auto host = Build("FROM busybox\nRUN --network=host ls /sys/class/net | tr '\\n' ' '\n", {"--allow", "network.host"});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  std::string real;
  for (auto& name : ListDir("/sys/class/net")) real += name + " ";
  EXPECT_THAT(host.err, HasSubstr(" " + real + "\n"));
}

// The step is root in its namespace but has no CAP_NET_ADMIN: it cannot lift the rule.
TEST_F(RunNetwork, StepCannotRemoveTheLinkLocalRule) {
  auto r = BuildRun("ip route del 169.254.0.0/16");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Operation not permitted"));
}

// A datagram to address:port from busybox (its nc has no -u; nslookup takes a server's port).
std::string Udp(const std::string& address, const HostSocket& to) {
  return "; timeout 3 nslookup -timeout=1 -retry=1 probe.invalid " + address + ":" + to.port();
}

// slirp4netns would take 10.0.2.2 to the host's 127.0.0.1; --disable-host-loopback refuses it,
// for TCP and UDP, and ::1 in the step is the step's own.
TEST_F(RunNetwork, HostsLoopbackIsOutOfReachOverTcpUdpAndIpv6) {
  HostSocket tcp(AF_INET, SOCK_STREAM, "127.0.0.1"), udp(AF_INET, SOCK_DGRAM, "127.0.0.1");
  HostSocket tcp6(AF_INET6, SOCK_STREAM, "::1");
  auto r = BuildRun("echo x | timeout 3 nc 10.0.2.2 " + tcp.port() + "; echo x | timeout 3 nc 127.0.0.1 " + tcp.port() +
                    Udp("10.0.2.2", udp) + Udp("127.0.0.1", udp) + "; echo x | timeout 3 nc ::1 " + tcp6.port() + "; true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(tcp.Reached()) << r.err;
  EXPECT_FALSE(udp.Reached()) << r.err;
  EXPECT_FALSE(tcp6.Reached()) << r.err;
  // The same sockets are reachable where they should be: with the host's network.
  auto host = BuildRun("echo x | timeout 3 nc 127.0.0.1 " + tcp.port() + Udp("127.0.0.1", udp) + "; true",
                       {"--network", "host"});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  EXPECT_TRUE(tcp.Reached());
  EXPECT_TRUE(udp.Reached());
}

// Two stages built at once each serve on 127.0.0.1:7777: their loopbacks are their own.
TEST_F(RunNetwork, ParallelStagesBindTheSameLoopbackPort) {
  std::string serve =
      "RUN httpd -f -p 127.0.0.1:7777 & pid=$!; sleep 1; kill -0 $pid && kill $pid && echo served > /served\n";
  auto r = Build("FROM busybox AS a\n" + serve + "FROM busybox AS b\n" + serve +
                     "FROM busybox\nCOPY --from=a /served /a\nCOPY --from=b /served /b\n",
                 {"--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// The cloud metadata address: the test makes a network namespace of its own that holds
// 169.254.169.254 with a server on it, and runs cairn there. By default the step cannot
// reach it; with --network host (that namespace's own network) it can, so the rule is what
// stops it.
TEST_F(RunNetwork, LinkLocalMetadataAddressIsOutOfReach) {
  std::string ns = "cairn-ll-" + std::to_string(::getpid());
  auto ip = [&](const std::string& args) { return RunCommand({"sh", "-c", "ip " + args}); };
  if (ip("netns add " + ns).exit_code != 0) GTEST_SKIP() << "cannot make a network namespace (ip netns add)";
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } cleanup{[&] { ip("netns del " + ns); }};
  // On the namespace's lo: a local address of that namespace, as a dummy link's would be (this
  // kernel may lack the dummy driver).
  for (const char* cmd : {"link set lo up", "addr add 169.254.169.254/32 dev lo"})
    ASSERT_EQ(ip("-n " + ns + " " + cmd).exit_code, 0) << cmd;
  TempDir www;
  WriteTextFile(www / "latest", "instance-secret\n");
  auto server = RunCommand({"sh", "-c", "ip netns exec " + ns + " busybox httpd -p 169.254.169.254:80 -h " + www.path()});
  ASSERT_EQ(server.exit_code, 0) << server.err;  // httpd daemonises; the netns's deletion... its kill below
  struct Stop {
    std::string ns;
    ~Stop() { RunCommand({"sh", "-c", "ip netns pids " + ns + " | xargs -r kill"}); }
  } stop{ns};
  WriteTextFile(ctx_ / "Dockerfile",
                "FROM busybox\nRUN printf 'GET /latest HTTP/1.0\\r\\n\\r\\n' | nc -w 10 169.254.169.254 80\n");
  auto in_ns = [&](const std::string& network) {
    return RunCommand({"ip", "netns", "exec", ns, CAIRN_BINARY, "--root", Root(), "build", "--no-cache", "--progress",
                       "plain", "--network", network, ctx_.path()});
  };
  auto by_default = in_ns("default");
  EXPECT_NE(by_default.exit_code, 0) << by_default.err;
  EXPECT_THAT(by_default.err, Not(HasSubstr("instance-secret")));
  // The prohibit route answers at once; a loaded machine may first time out setting up the step.
  EXPECT_THAT(by_default.err, AnyOf(HasSubstr("No route to host"), HasSubstr("timed out"))) << by_default.err;
  auto host = in_ns("host");
  EXPECT_THAT(host.err, HasSubstr("instance-secret")) << host.err;
}

// `cairn run` gets the same default network as RUN.
TEST_F(RunNetwork, CairnRunDefaultsToTheOutboundNetwork) {
  auto r = Cairn(Root(), {"run", "--rm", "busybox", "cat", "/etc/resolv.conf"});
  EXPECT_EQ(r.out, "nameserver 10.0.2.3\n") << r.err;
  auto none = Cairn(Root(), {"run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"});
  EXPECT_EQ(none.out, "lo\n") << none.err;
}

// A DNS stub on the host's 127.0.0.53, as systemd-resolved's, answering every A query with
// 10.1.2.3 and every other query with no record.
class LoopbackStubResolver {
 public:
  LoopbackStubResolver() : socket_(AF_INET, SOCK_DGRAM, "127.0.0.53", 53) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackStubResolver() {
    stop_ = true;
    thread_.join();
  }
  int answered() const { return answered_; }

 private:
  void Serve() {
    unsigned char q[512];
    while (!stop_) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(socket_.fd(), q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 17) {
        ::usleep(10000);
        continue;
      }
      size_t end = 12;
      while (end < static_cast<size_t>(n) && q[end] != 0) end += q[end] + 1;
      end += 5;  // the root label, QTYPE, QCLASS
      if (end > static_cast<size_t>(n)) continue;
      bool a = q[end - 4] == 0 && q[end - 3] == 1;
      std::string reply(reinterpret_cast<char*>(q), end);
      reply[2] = '\x81';
      reply[3] = '\x80';
      reply.replace(6, 6, std::string(a ? "\0\1\0\0\0\0" : "\0\0\0\0\0\0", 6));
      if (a) reply += std::string("\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\x0a\x01\x02\x03", 16);
      ::sendto(socket_.fd(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      if (a) ++answered_;
    }
  }
  HostSocket socket_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

// The host's resolv.conf names a local stub (127.0.0.53): the step still resolves through it,
// via slirp4netns's forwarder at 10.0.2.3, though the host's loopback is otherwise out of reach.
// cairn runs in a mount namespace of the test's own whose /etc/resolv.conf names the stub.
TEST_F(RunNetwork, ResolvesThroughAStubResolverOnTheHostsLoopback) {
  std::unique_ptr<LoopbackStubResolver> stub;
  try {
    stub = std::make_unique<LoopbackStubResolver>();
  } catch (const std::runtime_error&) {
    GTEST_SKIP() << "127.0.0.53:53 is taken on this machine (a resolver of its own listens there)";
  }
  TempDir etc;
  WriteTextFile(etc / "resolv.conf", "nameserver 127.0.0.53\n");
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN nslookup -type=a registry.example.test\n");
  std::string script = "mount --bind \"$2\" /etc/resolv.conf && exec \"$0\" --root \"$1\" build --no-cache --progress plain \"$3\"";
  auto r = RunCommand({"unshare", "-m", "--propagation", "private", "sh", "-c", script, CAIRN_BINARY, Root(),
                       etc / "resolv.conf", ctx_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Address: 10.1.2.3"));
  EXPECT_GE(stub->answered(), 1);
}

// Without slirp4netns, or with one that fails, the step's error says what to do, at once.
TEST_F(RunNetwork, AMissingOrFailingHelperIsReportedWithWhatToDo) {
  TempDir bin;
  // cairn run with PATH set to path alone (the harness's env would add to the inherited one).
  auto run_with_path = [&](const std::string& path, const std::string& network) {
    return RunCommand({"/usr/bin/env", "PATH=" + path, CAIRN_BINARY, "--root", Root(), "run", "--rm", "--network",
                       network, "busybox", "true"});
  };
  auto missing = run_with_path(bin.path(), "default");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("RUN's default network needs slirp4netns: install it (apt-get install slirp4netns)"));
  EXPECT_THAT(missing.err, HasSubstr("--network none"));
  WriteTextFile(bin / "slirp4netns", "#!/bin/sh\necho 'cannot open tap: no luck' >&2\nexit 1\n");
  ::chmod((bin / "slirp4netns").c_str(), 0755);
  auto failing = run_with_path(bin.path() + ":/usr/bin:/bin", "default");
  EXPECT_NE(failing.exit_code, 0);
  EXPECT_THAT(failing.err, HasSubstr("slirp4netns exited before it was ready: cannot open tap: no luck"));
  auto none = run_with_path(bin.path(), "none");
  EXPECT_EQ(none.exit_code, 0) << none.err;
}

// Most CI containers have no /dev/net/tun: steps then use that machine's own network, and the
// build says so once. cairn runs in a mount namespace of the test's own where /dev/net is empty.
TEST_F(RunNetwork, WithoutATunDeviceStepsUseTheMachinesNetworkAndTheBuildSaysSo) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN ls /sys/class/net | tr '\\n' ' '\nRUN true\n");
  std::string script = "mount -t tmpfs none /dev/net && exec \"$0\" --root \"$1\" build --no-cache --progress plain \"$2\"";
  auto r = RunCommand({"unshare", "-m", "--propagation", "private", "sh", "-c", script, CAIRN_BINARY, Root(), ctx_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string real;
  for (auto& name : ListDir("/sys/class/net")) real += name + " ";
  EXPECT_THAT(r.err, HasSubstr(" " + real + "\n"));
  std::string note = "this machine has no /dev/net/tun (a container without the tun device?), so steps use its own network";
  size_t first = r.err.find(note);
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(note, first + 1), std::string::npos) << "said more than once:\n" << r.err;
}

// slirp4netns is cairn's child while cairn runs and exits with it: it leaves nothing behind (a
// zombie waiting for init to reap it has exited).
TEST_F(RunNetwork, Slirp4netnsExitsWithCairn) {
  std::string script = std::string("\"$0\" --root \"$1\" run --rm busybox sleep 2 & c=$!; sleep 1; ") +
                       "s=$(pgrep -P $c -x slirp4netns); echo \"helper:${s:+yes}\"; wait $c; sleep 0.5; "
                       "st=$(awk '/^State/ {print $2}' /proc/$s/status 2>/dev/null); "
                       "if [ -n \"$s\" ] && [ -n \"$st\" ] && [ \"$st\" != Z ]; then echo left; else echo gone; fi";
  auto r = RunCommand({"sh", "-c", script, CAIRN_BINARY, Root()});
  EXPECT_EQ(r.out, "helper:yes\ngone\n") << r.err;
}

}  // namespace
}  // namespace cairn::testing
