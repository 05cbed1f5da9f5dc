// Docker's default seccomp profile, transcribed from moby's profiles/seccomp/default.json
// (moby/moby at 00f3d189e420, the profile of Docker 24/25; generated from
// profiles/seccomp/default_linux.go) and specialised for what cairn's containers are:
//   - default action ERRNO(EPERM) ("defaultErrnoRet": 1);
//   - the "minKernel 4.8" group (ptrace, process_vm_readv/writev) applies: Debian 12 runs 6.1;
//   - of the capability-conditional groups only CAP_SYS_CHROOT's (chroot) applies, since cairn
//     grants Docker's default capabilities and no others (runtime/security.cc); the
//     "excludes CAP_SYS_ADMIN" groups apply: clone without namespace flags, clone3 -> ENOSYS;
//   - architecture groups for x86-64/x86/x32 (arch_prctl, modify_ldt); other architectures'
//     names are ignored by libseccomp when they do not exist on the filter's architectures.
// One deliberate difference: io_uring_setup/enter/register are left out, as Docker itself does
// since 25.0 (moby PR #46762: io_uring bypasses the filter for the operations it submits).
#include "runtime/seccomp_profile.h"

#include <errno.h>

#include <vector>

namespace cairn::runtime {

namespace {

// The unconditional allowlist ("action": "SCMP_ACT_ALLOW" with no args/includes), minus io_uring.
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir",
    "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
    "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
    "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
    "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
    "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
    "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64",
    "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64",
    "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv",
    "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
    "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
    "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
    "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
    "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
    // "minKernel": "4.8": ptrace cannot bypass seccomp since 4.8.
    "ptrace", "process_vm_readv", "process_vm_writev",
    // "includes": {"caps": ["CAP_SYS_CHROOT"]}, which the default set holds.
    "chroot",
    // "includes": {"arches": ["amd64", "x32"]} and ["amd64", "x32", "x86"].
    "arch_prctl", "modify_ldt",
};

// personality(2) only with the values Docker allows: PER_LINUX, PER_LINUX32, UNAME26,
// PER_LINUX32|UNAME26, and 0xffffffff (query the current persona).
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (2114060288 in the profile): new
// namespaces need CAP_SYS_ADMIN, which cairn's containers do not hold.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

constexpr uint64_t kAfVsock = 40;

std::vector<SeccompRule> MakeRules() {
  std::vector<SeccompRule> rules;
  for (const char* name : kAllowed) rules.push_back({name, {}, 0});
  for (uint64_t p : kPersonalities) rules.push_back({"personality", {SeccompArg::kEq, 0, p, 0}, 0});
  // Any socket family but AF_VSOCK, which reaches the host's hypervisor sockets.
  rules.push_back({"socket", {SeccompArg::kNe, 0, kAfVsock, 0}, 0});
  rules.push_back({"clone", {SeccompArg::kMaskedEq, 0, kCloneNamespaceFlags, 0}, 0});
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to
  // clone(), which the rule above checks.
  rules.push_back({"clone3", {}, ENOSYS});
  return rules;
}

}  // namespace

std::span<const SeccompRule> DockerDefaultRules() {
  static const std::vector<SeccompRule> rules = MakeRules();
  return rules;
}

}  // namespace cairn::runtime
