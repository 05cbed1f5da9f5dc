#include "tests/support/fake_runtime.h"

#include <signal.h>

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"

namespace cairn::testing {

void FakeRuntime::On(const std::string& command, Script script) {
  std::lock_guard lock(mu_);
  scripts_[command] = std::move(script);
}

FakeRuntime::Script FakeRuntime::Writes(const std::string& path, const std::string& content) {
  return [path, content](const runtime::ContainerSpec& spec) {
    std::string file = JoinPath(spec.upperdir, path);
    MakeDirs(file.substr(0, file.rfind('/')));
    WriteFileAtomic(file, content);
    return runtime::ExitStatus{};
  };
}

FakeRuntime::Script FakeRuntime::Exits(int code) {
  return [code](const runtime::ContainerSpec&) { return runtime::ExitStatus{code, 0}; };
}

runtime::ExitStatus FakeRuntime::WaitUntilKilled(double seconds) {
  std::unique_lock lock(mu_);
  int kills_before = kills_;
  bool killed = changed_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return kills_ > kills_before; });
  return killed ? runtime::ExitStatus{0, SIGKILL} : runtime::ExitStatus{};
}

bool FakeRuntime::WaitForRunning(int n, double seconds) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return running_ >= n; });
}

std::vector<std::string> FakeRuntime::Commands() const {
  std::lock_guard lock(mu_);
  return commands_;
}

int FakeRuntime::Runs(const std::string& command) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count(commands_.begin(), commands_.end(), command));
}

int FakeRuntime::kills() const {
  std::lock_guard lock(mu_);
  return kills_;
}

void FakeRuntime::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
}

runtime::ExitStatus FakeRuntime::Run(const runtime::ContainerSpec& spec) {
  std::string command = spec.argv.empty() ? "" : spec.argv.back();
  Script script;
  {
    std::lock_guard lock(mu_);
    commands_.push_back(command);
    running_++;
    auto it = scripts_.find(command);
    if (it != scripts_.end()) script = it->second;
  }
  changed_.notify_all();
  ScopeExit finished([&] {
    {
      std::lock_guard lock(mu_);
      running_--;
    }
    changed_.notify_all();
  });
  return script ? script(spec) : runtime::ExitStatus{};
}

void FakeRuntime::WithTrees(const std::string& scratch, const std::vector<runtime::OverlayDirs>& stacks,
                            const std::function<void(const std::vector<std::string>& roots)>& fn) {
  runtime::WithCopiedStacks(scratch, stacks, fn);
}

bool FakeRuntime::Cancelled() {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void FakeRuntime::ThrowIfCancelled() {
  std::lock_guard lock(mu_);
  if (cancelled_) throw Error("cancelled");
}

void FakeRuntime::KillRunning() {
  {
    std::lock_guard lock(mu_);
    kills_++;
  }
  changed_.notify_all();
}

}  // namespace cairn::testing
