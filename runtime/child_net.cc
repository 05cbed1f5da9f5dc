#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "runtime/child_steps.h"
#include "runtime/child_support.h"

namespace cairn::runtime::child {

namespace {

// A new network namespace starts with lo down; localhost must work inside (tests, servers).
void LoopbackUp() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Fail(errno, "socket for lo");
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  Must(::ioctl(s, SIOCGIFFLAGS, &ifr), "get flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  Must(::ioctl(s, SIOCSIFFLAGS, &ifr), "bring lo up");
  ::close(s);
}

}  // namespace

void SetUpHostAndNetwork(const ChildPlan& plan) {
  Must(::sethostname(plan.hostname.data(), plan.hostname.size()), "sethostname ", plan.hostname.c_str());
  if (!plan.host_network) LoopbackUp();
}

}  // namespace cairn::runtime::child
