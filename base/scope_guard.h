// Cleanup that runs however a scope is left, in place of
//   try { ...; } catch (...) { cleanup; throw; }  cleanup;
//
//   ScopeExit remove([&] { RemoveAll(scratch); });  // always, at the end of the scope
//   ScopeFail unlink([&] { ::unlink(tmp.c_str()); });  // only when an exception leaves the scope
//
// Contract: when the scope is left normally, an exception from the cleanup propagates (as the
// trailing `cleanup;` did). When an exception is already leaving the scope, one from the cleanup is
// dropped: the first failure is the one that explains, and two in flight would end the process.
// Dismiss() cancels the cleanup (the work it guarded was handed on).
#pragma once

#include <exception>
#include <utility>

namespace cairn {

namespace detail {

template <typename F, bool kOnlyOnFailure>
class ScopeGuard {
 public:
  explicit ScopeGuard(F cleanup) : cleanup_(std::move(cleanup)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

  ~ScopeGuard() noexcept(false) {
    if (dismissed_) return;
    bool failing = std::uncaught_exceptions() > exceptions_at_start_;
    if (kOnlyOnFailure && !failing) return;
    if (!failing) {
      cleanup_();
      return;
    }
    try {
      cleanup_();
    } catch (...) {  // see the contract above: the exception already on its way wins
    }
  }

  void Dismiss() { dismissed_ = true; }

 private:
  F cleanup_;
  int exceptions_at_start_ = std::uncaught_exceptions();
  bool dismissed_ = false;
};

}  // namespace detail

template <typename F>
class ScopeExit : public detail::ScopeGuard<F, false> {
 public:
  using detail::ScopeGuard<F, false>::ScopeGuard;
};
template <typename F>
ScopeExit(F) -> ScopeExit<F>;

template <typename F>
class ScopeFail : public detail::ScopeGuard<F, true> {
 public:
  using detail::ScopeGuard<F, true>::ScopeGuard;
};
template <typename F>
ScopeFail(F) -> ScopeFail<F>;

}  // namespace cairn
