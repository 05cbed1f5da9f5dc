/* Runs inside a test container (bind-mounted, statically linked): makes the system calls named
 * on its command line and prints "NAME=ok" or "NAME=<errno name>" for each, so a test can check
 * the seccomp filter call by call rather than through whatever busybox happens to do. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static long probe(const char* name) {
  if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
  if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "cairn", "x", 1, -3);
  if (!strcmp(name, "io_uring_setup")) return syscall(SYS_io_uring_setup, 1, NULL);
  if (!strcmp(name, "userfaultfd")) return syscall(SYS_userfaultfd, 0);
  if (!strcmp(name, "unshare_user")) return syscall(SYS_unshare, CLONE_NEWUSER);
  if (!strcmp(name, "clone3")) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return pid < 0 ? -1 : 0;
  }
  if (!strcmp(name, "clone_newuser") || !strcmp(name, "clone_plain")) {
    unsigned long flags = SIGCHLD | (!strcmp(name, "clone_newuser") ? CLONE_NEWUSER : 0);
    long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return pid < 0 ? -1 : 0;
  }
  if (!strcmp(name, "socket_vsock")) return socket(AF_VSOCK, SOCK_STREAM, 0);
  if (!strcmp(name, "socket_unix")) return socket(AF_UNIX, SOCK_STREAM, 0);
  if (!strcmp(name, "personality_linux32")) return syscall(SYS_personality, PER_LINUX32);
  if (!strcmp(name, "personality_exec")) return syscall(SYS_personality, READ_IMPLIES_EXEC);
  if (!strcmp(name, "chroot")) return chroot("/");
  if (!strcmp(name, "ptrace_traceme")) return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
  errno = EINVAL;
  return -1;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    errno = 0;
    long rc = probe(argv[i]);
    printf("%s=%s\n", argv[i], rc < 0 ? strerrorname_np(errno) : "ok");
  }
  return 0;
}
