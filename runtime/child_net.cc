#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "runtime/child_steps.h"
#include "runtime/child_support.h"
#include "runtime/network.h"

namespace cairn::runtime::child {

namespace {

// Everything here runs in the cloned child: ioctls on a stack buffer, no allocation.

sockaddr_in Ipv4(uint32_t host_order) {
  sockaddr_in a;
  std::memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host_order);
  return a;
}

void SetAddress(int s, const char* ifname, unsigned long request, uint32_t address, const char* what) {
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  sockaddr_in a = Ipv4(address);
  std::memcpy(&ifr.ifr_addr, &a, sizeof a);
  Must(::ioctl(s, request, &ifr), what, ifname);
}

// A new network namespace starts with its links down; localhost must work inside (tests, servers).
void BringUp(int s, const char* ifname) {
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  Must(::ioctl(s, SIOCGIFFLAGS, &ifr), "get flags of ", ifname);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  Must(::ioctl(s, SIOCSIFFLAGS, &ifr), "bring up ", ifname);
}

void AddRoute(int s, uint32_t destination, uint32_t mask, uint32_t gateway, bool reject, const char* what) {
  rtentry rt;
  std::memset(&rt, 0, sizeof rt);
  sockaddr_in dst = Ipv4(destination), gw = Ipv4(gateway), genmask = Ipv4(mask);
  std::memcpy(&rt.rt_dst, &dst, sizeof dst);
  std::memcpy(&rt.rt_gateway, &gw, sizeof gw);
  std::memcpy(&rt.rt_genmask, &genmask, sizeof genmask);
  rt.rt_flags = RTF_UP | (reject ? RTF_REJECT : RTF_GATEWAY);
  char dev[] = "eth0";
  if (!reject) rt.rt_dev = dev;
  Must(::ioctl(s, SIOCADDRT, &rt), "add route ", what);
}

// eth0 (made by the parent on the hub, runtime/network.h) gets its slot's address, a default
// route through slirp4netns, and a reject route for link-local 169.254.0.0/16: the cloud
// metadata endpoint stays out of reach, and the command, without CAP_NET_ADMIN, cannot undo it.
void ConfigureOutbound(int s, int network_fd) {
  unsigned char slot = 0;
  ssize_t n;
  while ((n = ::read(network_fd, &slot, 1)) < 0 && errno == EINTR) {
  }
  ::close(network_fd);
  if (n != 1) Fail(EHOSTUNREACH, "the step's network was not set up (see the error above)");
  SetAddress(s, "eth0", SIOCSIFADDR, OutboundAddress(slot), "set the address of ");
  SetAddress(s, "eth0", SIOCSIFNETMASK, 0xffffff00u, "set the netmask of ");
  BringUp(s, "eth0");
  AddRoute(s, 0, 0, kOutboundGatewayIp, false, "default via 10.0.2.2");
  AddRoute(s, 0xa9fe0000u, 0xffff0000u, 0, true, "reject 169.254.0.0/16");
}

}  // namespace

void SetUpHostAndNetwork(const ChildPlan& plan) {
  if (plan.set_hostname)
    Must(::sethostname(plan.hostname.data(), plan.hostname.size()), "sethostname ", plan.hostname.c_str());
  if (plan.network == Network::kHost) return;
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Fail(errno, "socket for the network's set-up");
  if (plan.loopback_up) BringUp(s, "lo");
  if (plan.network == Network::kOutbound) ConfigureOutbound(s, plan.network_fd);
  ::close(s);
}

}  // namespace cairn::runtime::child
