// The code that runs inside the container's namespaces, after clone().
//
// ContainerInit is the cloned process: PID 1 of the new PID namespace. It builds the root
// (private mounts, overlay, /proc, /dev, /sys, generated /etc files, binds, pivot_root, hostname,
// loopback), then forks the command, forwards signals to it, reaps every process, and reports how
// the command ended. Every failure is reported over report_fd as a ChildReport and ends the
// process: nothing here throws or allocates (the plan holds every string already).
#pragma once

#include "runtime/child_plan.h"

namespace cairn::runtime {

[[noreturn]] void ContainerInit(ChildPlan& plan, int report_fd);

}  // namespace cairn::runtime
