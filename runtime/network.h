// The default network of RUN steps and `cairn run`: outbound access, isolated from the host.
//
// Why slirp4netns: it is the user-mode network helper podman and rootlesskit use, kept in
// Debian, and it works the same as root and rootless (no bridge, no iptables, no privileges
// beyond the user namespace cairn already runs in). It gives a fixed network on every machine
// (10.0.2.0/24, gateway 10.0.2.2, a DNS forwarder at 10.0.2.3 that asks the host's resolvers,
// local stubs such as 127.0.0.53 included) and --disable-host-loopback keeps the host's
// 127.0.0.0/8 out of reach.
//
// Why one slirp4netns per cairn process: starting one takes milliseconds, a step's share of one
// costs a netlink message. The first step that needs the network makes a network namespace of
// cairn's own (the hub: no process lives in it; a descriptor keeps it) and starts slirp4netns on
// it, which creates tap0 there. Each step then gets a macvlan link on tap0, created straight into
// the step's network namespace as eth0. Mode private: steps never reach one another, and each
// has its own loopback, so steps of parallel stages can bind the same 127.0.0.1 port. The step
// configures eth0 itself (runtime/child_net.cc) with its slot's fixed address 10.0.2.(100+slot)
// and a reject route for 169.254.0.0/16 (the cloud metadata endpoint), which it cannot remove:
// the command has no CAP_NET_ADMIN (runtime/security.cc). slirp4netns exits with cairn: it
// watches a pipe only cairn holds open (--exit-fd).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "runtime/container.h"

namespace cairn::runtime {

// The step's view of its network, the same on every machine but for the slot.
inline constexpr uint32_t kOutboundGatewayIp = 0x0a000202;  // 10.0.2.2, host byte order
inline constexpr const char* kOutboundResolver = "10.0.2.3";
inline constexpr int kOutboundSlots = 150;  // 10.0.2.101 .. 10.0.2.250

// "default" -> kOutbound, "none" -> kLoopback, "host" -> kHost, as docker build --network and
// RUN --network; nullopt for any other name.
std::optional<Network> ParseNetwork(std::string_view name);

// A step's place on the hub: its eth0 exists while the lease is held; the slot goes back to the
// pool when it ends. Movable, not copyable.
class OutboundLease {
 public:
  OutboundLease() = default;
  explicit OutboundLease(int slot) : slot_(slot) {}
  OutboundLease(OutboundLease&& o) noexcept : slot_(o.slot_) { o.slot_ = 0; }
  OutboundLease& operator=(OutboundLease&& o) noexcept;
  OutboundLease(const OutboundLease&) = delete;
  OutboundLease& operator=(const OutboundLease&) = delete;
  ~OutboundLease();
  int slot() const { return slot_; }  // 1 .. kOutboundSlots

 private:
  int slot_ = 0;
};

// Gives the network namespace of process `pid` (a container's init, which must not yet use its
// network) an eth0 on the hub, starting the hub first if this is the process's first such step.
// Safe from several threads at once. Throws cairn::Error saying what to do when slirp4netns is
// missing or cannot start, or the link cannot be made.
OutboundLease AttachOutbound(pid_t pid);

// Starts the hub on a thread of its own and returns at once: a build calls it as soon as it knows
// a RUN with the default network is coming, so slirp4netns's start-up (milliseconds) overlaps the
// build's own. A failure is kept and reported by AttachOutbound.
void StartOutboundInBackground();

// Whether this machine has /dev/net/tun (looked at once per process). Where it lacks it (most CI
// containers), no user-mode network can be made: runtime::Run then gives kOutbound containers
// the machine's own network, as kHost (the container is the sandbox), and the build or `cairn
// run` says so once with kNoTunNote.
bool TunDeviceExists();

// The one-line note for when TunDeviceExists() is false.
inline constexpr const char* kNoTunNote =
    "RUN's default network: this machine has no /dev/net/tun (a container without the tun device?), "
    "so steps use its own network, as --network host would; --network none gives loopback only";

// The step's address for a slot, e.g. 1 -> "10.0.2.101" (host byte order: 0x0a000265).
uint32_t OutboundAddress(int slot);

}  // namespace cairn::runtime
