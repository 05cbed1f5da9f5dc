// Docker's default seccomp profile as data, for security.cc to compile with libseccomp.
//
// The profile is an allowlist: every system call not named here fails with EPERM. Rules carry
// at most one argument comparison each (Docker's never need more).
#pragma once

#include <cstdint>
#include <span>

namespace cairn::runtime {

struct SeccompArg {
  enum Op { kNone, kEq, kNe, kMaskedEq } op = kNone;
  unsigned index = 0;     // which argument
  uint64_t value = 0;     // kEq / kNe: the value; kMaskedEq: the mask
  uint64_t expected = 0;  // kMaskedEq: (arg & value) == expected
};

struct SeccompRule {
  const char* name;
  SeccompArg arg;  // op == kNone: the call is allowed whatever its arguments
  int errno_ret;   // 0: allow; otherwise fail with this errno
};

// The rules of Docker's default profile that apply to a container holding exactly the
// capabilities of DefaultCapabilityMask() (no CAP_SYS_ADMIN) on a kernel newer than 4.8.
std::span<const SeccompRule> DockerDefaultRules();

}  // namespace cairn::runtime
