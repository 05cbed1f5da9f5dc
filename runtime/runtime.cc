#include "runtime/runtime.h"

#include <linux/capability.h>
#include <sched.h>

#include <mutex>

#include "runtime/cancel.h"
#include "runtime/isolation.h"
#include "runtime/network.h"
#include "runtime/security.h"
#include "runtime/snapshotter.h"

namespace cairn::runtime {

namespace {

// Whether this process may make a mount namespace: probed once, in a child, because a CI
// container without CAP_SYS_ADMIN refuses unshare(CLONE_NEWNS) while a root one allows it.
bool CanMakeMountNamespace() {
  static std::once_flag once;
  static bool can = true;
  std::call_once(once, [] { can = ProbeUnshare(CLONE_NEWNS) == 0; });
  return can;
}

}  // namespace

ExitStatus HostRuntime::Run(const ContainerSpec& spec) {
  if (!adjust_) return runtime::Run(spec);
  ContainerSpec adjusted = spec;
  adjust_(adjusted);
  return runtime::Run(adjusted);
}

void HostRuntime::WithTrees(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                            const std::function<void(const std::vector<std::string>& roots)>& fn) {
  if (CanMakeMountNamespace()) return WithMountedStacks(scratch, stacks, fn);
  WithCopiedStacks(scratch, stacks, fn);
}

bool HostRuntime::Cancelled() { return runtime::Cancelled(); }

void HostRuntime::ThrowIfCancelled() { runtime::ThrowIfCancelled(); }

void HostRuntime::KillRunning() { KillRunningContainers(); }

std::string HostRuntime::PrepareOutboundNetwork() {
  if (!TunDeviceExists()) return kNoTunNote;  // runtime::Run gives such steps the host's network
  StartOutboundInBackground();
  return "";
}

std::string HostRuntime::IsolationNote() {
  std::string note = runtime::IsolationNote();
  // Full namespaces, but lo stays down: runtime/child_plan.h, loopback_up.
  if (note.empty() && CurrentIsolation().level == Isolation::kNamespaces && !((HeldCapabilityMask() >> CAP_NET_ADMIN) & 1))
    note = "note: this process lacks CAP_NET_ADMIN, so RUN steps get their own network namespace with the loopback "
           "interface down (127.0.0.1 is unreachable inside a step); --cap-add NET_ADMIN brings it up";
  return note;
}

std::string HostRuntime::RunUnavailable() { return RunUnavailableReason(); }

std::string HostRuntime::SnapshotterNote(const std::string& scratch, const std::string& store_dir) {
  if (ChooseSnapshotter(scratch) != Snapshotter::kCopy || SnapshotterForced()) return "";
  std::string why = CopyingSnapshotterReason(store_dir);
  return why.empty() ? "" : "note: " + why;
}

}  // namespace cairn::runtime
