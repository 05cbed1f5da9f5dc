// What a signal to cairn does to the containers it runs.
//
// `cairn build` cancels: the first SIGINT or SIGTERM marks the process cancelled and kills every
// running container (SIGKILL to its init, so its whole PID namespace and mount namespace go);
// Run() then throws Error("cancelled") and the builder unwinds, removing its scratch
// directories, and no later container starts. A second signal ends cairn at once (exit 130).
// `cairn run` forwards instead, as `docker run` does: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1
// and SIGUSR2 go to the container's init, which passes them to the command.
#pragma once

#include <sys/types.h>

namespace cairn::runtime {

enum class SignalPolicy { kCancel, kForward };

// Installs the handlers for the whole process. Call once, from the main thread, before Run().
void HandleSignals(SignalPolicy policy);

// True once a cancelling signal arrived.
bool Cancelled();
// Throws cairn::Error("cancelled") when Cancelled().
void ThrowIfCancelled();

// Kills every running container (SIGKILL to its init) without marking the process cancelled: how
// a build stops the steps of sibling stages once one stage has failed.
void KillRunningContainers();

// Run()'s bookkeeping: the inits of the running containers, which a signal reaches. Register
// returns a slot for Unregister (-1 when the table is full: the container then only dies with
// cairn, through PR_SET_PDEATHSIG). Unregister before the init is reaped, so that a signal never
// reaches a recycled pid.
int RegisterContainer(pid_t init);
void UnregisterContainer(int slot);

}  // namespace cairn::runtime
