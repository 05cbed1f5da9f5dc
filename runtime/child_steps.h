// The steps ContainerInit takes, one file each. All run after clone(); each reports a failure
// through child::Fail and never returns on error.
#pragma once

#include "runtime/child_plan.h"

namespace cairn::runtime::child {

// Mount namespace: private propagation, overlay root, pivot_root, /proc /dev /sys, generated
// /etc files, binds, masked paths. Afterwards "/" is the container's root. (child_root.cc)
void SetUpRoot(ChildPlan& plan);

// runtime/isolation.h, kChroot: chroot into plan.copy_root (prepared by the parent: /dev, /etc
// files) and create the working directory; no namespace, no mount. (child_root.cc)
void EnterChroot(const ChildPlan& plan);

// UTS and network namespaces: hostname, loopback up. (child_net.cc)
void SetUpHostAndNetwork(const ChildPlan& plan);

// ContainerSpec::tty, in init: opens a pty in the container's /dev/pts, sends the master to
// Run(), and makes the slave the command's stdio. (child_tty.cc)
void OpenTerminal(ChildPlan& plan);
// In the command's process, after its stdio is set: a new session with the pty as its
// controlling terminal. Does nothing without a tty. (child_tty.cc)
void TakeTerminal(const ChildPlan& plan);

// The command's process: stdio, cwd, umask, limits, seccomp, capabilities, ids, execve.
// On exec failure it prints "cairn: exec NAME: REASON" on the command's stderr and exits 127
// (126 when the file is not executable), as a shell would. (child_exec.cc)
[[noreturn]] void ExecCommand(const ChildPlan& plan);

}  // namespace cairn::runtime::child
