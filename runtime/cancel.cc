#include "runtime/cancel.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "base/error.h"

namespace cairn::runtime {

namespace {

// Lock-free: the signal handler reads it. 64 containers at once is far beyond what one cairn
// process runs (one per build step in flight).
constexpr int kSlots = 64;
std::atomic<pid_t> g_inits[kSlots];
std::atomic<bool> g_cancelled{false};
std::atomic<int> g_policy{static_cast<int>(SignalPolicy::kCancel)};

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void SignalAll(int sig) {
  for (auto& slot : g_inits) {
    pid_t pid = slot.load();
    if (pid > 0) ::kill(pid, sig);
  }
}

// Only async-signal-safe calls: atomics, kill, write, _exit.
void OnSignal(int sig) {
  if (static_cast<SignalPolicy>(g_policy.load()) == SignalPolicy::kForward) {
    SignalAll(sig);
    return;
  }
  if (g_cancelled.exchange(true)) {
    static const char msg[] = "cairn: cancelled (second signal: exiting now)\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(130);
  }
  SignalAll(SIGKILL);
}

}  // namespace

void HandleSignals(SignalPolicy policy) {
  g_policy = static_cast<int>(policy);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  // Restart interrupted reads and waits: the code around them need not know about signals.
  sa.sa_flags = SA_RESTART;
  if (policy == SignalPolicy::kCancel) {
    for (int sig : {SIGINT, SIGTERM})
      if (::sigaction(sig, &sa, nullptr) != 0) throw SysError("sigaction", "");
    return;
  }
  for (int sig : kForwardedSignals)
    if (::sigaction(sig, &sa, nullptr) != 0) throw SysError("sigaction", "");
}

bool Cancelled() { return g_cancelled.load(); }

void ThrowIfCancelled() {
  if (Cancelled()) throw Error("cancelled");
}

void KillRunningContainers() { SignalAll(SIGKILL); }

int RegisterContainer(pid_t init) {
  for (int i = 0; i < kSlots; ++i) {
    pid_t empty = 0;
    if (g_inits[i].compare_exchange_strong(empty, init)) {
      // A signal that came between clone() and now found no slot to kill: act for it.
      if (Cancelled()) ::kill(init, SIGKILL);
      return i;
    }
  }
  if (Cancelled()) ::kill(init, SIGKILL);
  return -1;
}

void UnregisterContainer(int slot) {
  if (slot >= 0) g_inits[slot].store(0);
}

}  // namespace cairn::runtime
