// A runtime::Runtime for the builder's unit tests: no container, no mount, no root, milliseconds.
//
// RUN: the step's command (the last argv word: "make" of {"/bin/sh", "-c", "make"}) is looked up
// among the scripts a test set with On(); a script plays the container: it writes what the
// command would have changed into spec.upperdir and returns the exit status. A command without a
// script exits 0 and changes nothing. Every run is recorded.
// COPY/ADD/WORKDIR: runtime::WithCopiedStacks, the real code for hosts without mount namespaces.
// KillRunning() ends every script waiting in WaitUntilKilled() with SIGKILL's status.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace cairn::testing {

class FakeRuntime : public runtime::Runtime {
 public:
  using Script = std::function<runtime::ExitStatus(const runtime::ContainerSpec& spec)>;

  void On(const std::string& command, Script script);

  // Scripts: write a file (path inside the container) into the step's upper dir and exit 0; exit
  // with a code.
  static Script Writes(const std::string& path, const std::string& content);
  static Script Exits(int code);

  // Called from a script: blocks until KillRunning() (returns SIGKILL's status) or `seconds`
  // pass (returns exit 0, so a test that fails does not hang).
  runtime::ExitStatus WaitUntilKilled(double seconds = 10);
  // Called from a script: returns true once `n` scripts are running at the same time, false when
  // `seconds` pass first.
  bool WaitForRunning(int n, double seconds = 10);

  // The commands run so far, in the order they started.
  std::vector<std::string> Commands() const;
  int Runs(const std::string& command) const;
  int kills() const;
  int network_preparations() const { return network_preparations_; }

  // Makes ThrowIfCancelled throw, as Ctrl-C does.
  void Cancel();

  runtime::ExitStatus Run(const runtime::ContainerSpec& spec) override;
  void WithTrees(const std::string& scratch, const std::vector<runtime::OverlayDirs>& stacks,
                 const std::function<void(const std::vector<std::string>& roots)>& fn) override;
  bool Cancelled() override;
  void ThrowIfCancelled() override;
  void KillRunning() override;
  std::string PrepareOutboundNetwork() override {
    ++network_preparations_;
    return "";
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Script> scripts_;
  std::vector<std::string> commands_;
  int running_ = 0;
  int kills_ = 0;
  std::atomic<int> network_preparations_{0};
  bool cancelled_ = false;
};

}  // namespace cairn::testing
