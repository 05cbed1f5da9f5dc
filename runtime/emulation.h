// Running another architecture's programs: through the kernel's binfmt_misc and a registered
// emulator (Debian's qemu-user-static). cairn never registers a handler itself; it only checks
// that one is there, so that a foreign RUN fails up front with what to install instead of with
// "exec format error".
#pragma once

#include <string>

#include "base/platform.h"

namespace cairn::runtime {

// True when the host runs `p`'s programs without an emulator (same architecture, or 386 on amd64).
bool RunsNatively(const Platform& p, const Platform& host);

// Empty when programs for `p` can run here: natively, or through an enabled binfmt_misc handler
// qemu-<arch> with the F flag (the emulator opened at registration, so it works inside the
// container's root, where no /usr/bin/qemu-* exists). Otherwise a sentence saying what is missing
// and what to run. binfmt_dir is /proc/sys/fs/binfmt_misc but for tests.
std::string EmulationProblem(const Platform& p, const Platform& host,
                             const std::string& binfmt_dir = "/proc/sys/fs/binfmt_misc");

}  // namespace cairn::runtime
