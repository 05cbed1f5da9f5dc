// Everything the builder runs or mounts, behind one interface: RUN containers, the writes of
// COPY/ADD/WORKDIR into a step's tree, and cancellation. The builder takes a Runtime; the CLI
// passes HostRuntime(), and the builder's unit tests a fake (tests/support/fake_runtime.h) that
// needs no root and runs in milliseconds.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/container.h"
#include "runtime/step_trees.h"

namespace cairn::runtime {

class Runtime {
 public:
  virtual ~Runtime() = default;

  // A RUN step's container (see Run in runtime/container.h for how it ends and fails).
  virtual ExitStatus Run(const ContainerSpec& spec) = 0;

  // Calls fn with one root directory per stack, in order, in a child process: writes into a
  // writable stack's root reach its upperdir as overlay would have left them. An exception from
  // fn comes back as an Error with the same message.
  virtual void WithTrees(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                         const std::function<void(const std::vector<std::string>& roots)>& fn) = 0;

  // True once the build was cancelled (Ctrl-C); ThrowIfCancelled throws Error("cancelled") then,
  // so that no later step starts.
  virtual bool Cancelled() = 0;
  virtual void ThrowIfCancelled() = 0;
  // Kills the containers running now, without cancelling: one stage failed, its siblings stop.
  virtual void KillRunning() = 0;

  // A RUN with the default network is coming: whatever that network needs once may start now,
  // in the background, so the first such step does not wait for it. Returns a note for the
  // build's output when that network is not what the step will get ("" by default).
  virtual std::string PrepareOutboundNetwork() { return ""; }

  // How RUN is isolated, for a build that has RUN steps (runtime/isolation.h): a note for the
  // build's output when it is less than full namespaces ("" otherwise), and why RUN cannot run
  // at all ("" when it can).
  virtual std::string IsolationNote() { return ""; }
  virtual std::string RunUnavailable() { return ""; }

  // Before the first step: a note when the steps will copy their trees instead of mounting an
  // overlay (runtime/snapshotter.h), naming why and what to change ("" otherwise). scratch: a
  // directory on the store's file system for the probe; store_dir: the store, for the note.
  virtual std::string SnapshotterNote(const std::string& /*scratch*/, const std::string& /*store_dir*/) { return ""; }
};

// The host's runtime: runtime::Run with the given adjustment of every spec (e.g. the CLI's
// --security-opt), overlay (or the copying snapshotter) for the trees, falling back to trees made
// without any mount where no mount namespace can be made, and the process's signal-driven
// cancellation (runtime/cancel.h).
class HostRuntime : public Runtime {
 public:
  using SpecAdjust = std::function<void(ContainerSpec&)>;
  explicit HostRuntime(SpecAdjust adjust = nullptr) : adjust_(std::move(adjust)) {}

  ExitStatus Run(const ContainerSpec& spec) override;
  void WithTrees(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                 const std::function<void(const std::vector<std::string>& roots)>& fn) override;
  bool Cancelled() override;
  void ThrowIfCancelled() override;
  void KillRunning() override;
  // Starts the slirp4netns hub (runtime/network.h); without /dev/net/tun, kNoTunNote.
  std::string PrepareOutboundNetwork() override;
  std::string IsolationNote() override;
  std::string RunUnavailable() override;
  std::string SnapshotterNote(const std::string& scratch, const std::string& store_dir) override;

 private:
  SpecAdjust adjust_;
};

}  // namespace cairn::runtime
