// The container's privilege limits: Docker's default capability set, a default seccomp filter,
// resource limits. The filter is compiled by the parent (libseccomp allocates); the Apply*
// functions run in the cloned child, so they only make system calls, never allocate, and return
// 0 or an errno instead of throwing.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <vector>

namespace cairn::runtime {

// Docker's default capabilities (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID,
// SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE) as a bit mask.
unsigned long long DefaultCapabilityMask();

// A BPF program equivalent to Docker's default seccomp profile (runtime/seccomp_profile.cc): an
// allowlist; everything else (mount, kexec, modules, reboot, swap, clock, keyrings, bpf,
// namespaces...) fails with EPERM. With syncs_return_at_once, the calls that wait for data to
// reach the disk (fsync, fdatasync, sync_file_range, syncfs, sync) return 0 without doing so: what
// a program wrote is still in the page cache, and every read sees it. Throws cairn::Error if
// libseccomp cannot build it.
std::vector<sock_filter> DefaultSeccompProgram(bool syncs_return_at_once = false);

// Child side. Each returns 0 or the errno of the failed call; *what names the step.
int InstallSeccomp(const std::vector<sock_filter>& program, const char** what);
// Sets no_new_privs (--security-opt no-new-privileges): setuid bits and file capabilities no
// longer raise privileges across execve. Off by default, as in docker, so sudo works.
int SetNoNewPrivileges(const char** what);
// The capabilities this process holds (its permitted set) as a bit mask; computed by the parent.
// A CI container may hold fewer than the default set (podman's default lacks NET_RAW, MKNOD and
// AUDIT_WRITE; a Kubernetes pod may drop ALL): a container gets DefaultCapabilityMask() & this,
// never a capability the kernel would refuse to grant.
unsigned long long HeldCapabilityMask();

// Drops every capability outside `keep` from the bounding set (before changing ids); the ones
// already outside it are left alone, so no CAP_SETPCAP is needed when there is nothing to drop.
int DropBoundingSet(unsigned long long keep, const char** what);
// After the ids are set: effective = permitted = `caps` for uid 0, nothing otherwise;
// inheritable is always empty (as runc does since CVE-2022-24769).
int SetCapabilities(uid_t uid, unsigned long long caps, const char** what);
// RLIMIT_NOFILE soft limit 1024 (the hard limit stays), the same on every machine.
int SetResourceLimits(const char** what);

}  // namespace cairn::runtime
