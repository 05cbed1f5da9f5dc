// The container's privilege limits: capabilities, seccomp, masked and read-only /proc paths.
#include <unistd.h>

#include "tests/runtime/fixture.h"

namespace cairn::runtime::testing {
namespace {

using ::testing::HasSubstr;

constexpr unsigned long long kSysAdmin = 1ULL << 21;

unsigned long long CapField(const std::string& status, const std::string& name) {
  size_t at = status.find(name + ":\t");
  if (at == std::string::npos) return ~0ULL;
  return std::stoull(status.substr(at + name.size() + 2, 16), nullptr, 16);
}

TEST_F(ContainerTest, MountIsRefused) {
  Result r = Sh("mkdir -p /mnt && mount -t tmpfs x /mnt");
  EXPECT_NE(r.status.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::AnyOf(HasSubstr("not permitted"), HasSubstr("ermission denied")));
}

TEST_F(ContainerTest, RootHasDockersDefaultCapabilitiesAndASeccompFilter) {
  Result r = Sh("cat /proc/self/status");
  ASSERT_TRUE(r.status.ok());
  unsigned long long eff = CapField(r.out, "CapEff");
  EXPECT_EQ(eff & kSysAdmin, 0u);
  EXPECT_EQ(eff, 0x00000000a80425fbULL);  // docker run busybox grep CapEff /proc/self/status
  EXPECT_EQ(CapField(r.out, "CapBnd"), 0x00000000a80425fbULL);
  EXPECT_EQ(CapField(r.out, "CapInh"), 0u);
  EXPECT_THAT(r.out, HasSubstr("Seccomp:\t2\n"));
}

// fsync of a pipe fails with EINVAL when the kernel runs it; with syncs_return_at_once (build
// steps) the filter answers 0 before the kernel sees the call.
TEST_F(ContainerTest, SyncsReturnAtOnceOnlyWhenTheSpecAsks) {
  Result normal = Sh("echo x | sync /dev/stdin");
  EXPECT_NE(normal.status.exit_code, 0);
  EXPECT_THAT(normal.err, HasSubstr("Invalid argument"));
  ContainerSpec spec = Spec({"sh", "-c", "echo x | sync /dev/stdin && sync -d /dev/stdin < /dev/null && sync && echo synced"});
  spec.syncs_return_at_once = true;
  Result fast = RunCaptured(spec);
  EXPECT_EQ(fast.status.exit_code, 0) << fast.err;
  EXPECT_EQ(fast.out, "synced\n");
}

TEST_F(ContainerTest, NonRootUserHasNoEffectiveCapabilities) {
  ContainerSpec spec = Spec({"cat", "/proc/self/status"});
  spec.uid = 1000;
  spec.gid = 1000;
  Result r = RunCaptured(spec);
  EXPECT_EQ(CapField(r.out, "CapEff"), 0u);
  EXPECT_EQ(CapField(r.out, "CapPrm"), 0u);
}

TEST_F(ContainerTest, ProcSysIsReadOnly) {
  Result r = Sh("echo 1 > /proc/sys/kernel/domainname");
  EXPECT_NE(r.status.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Read-only file system"));
}

TEST_F(ContainerTest, KernelInformationInProcIsMasked) {
  int checked = 0;
  for (std::string path : {"/proc/kcore", "/proc/timer_list", "/proc/keys", "/proc/sched_debug"}) {
    if (::access(path.c_str(), R_OK) != 0) continue;  // not on this kernel
    ++checked;
    EXPECT_EQ(Sh("wc -c < " + path).out, "0\n") << path;
  }
  EXPECT_GT(checked, 0);
}

TEST_F(ContainerTest, NamespacesCannotBeCreatedInside) {
  Result r = Sh("unshare -m true");
  EXPECT_NE(r.status.exit_code, 0);
}

TEST_F(ContainerTest, SeccompRefusesWhatDockersDefaultProfileRefuses) {
  // None of these needs a capability the container lacks: the filter alone refuses them.
  Result r = Probe({"keyctl", "add_key", "io_uring_setup", "userfaultfd", "unshare_user",
                                     "clone_newuser", "socket_vsock", "personality_exec"});
  ASSERT_TRUE(r.status.ok()) << r.err;
  EXPECT_EQ(r.out,
            "keyctl=EPERM\nadd_key=EPERM\nio_uring_setup=EPERM\nuserfaultfd=EPERM\nunshare_user=EPERM\n"
            "clone_newuser=EPERM\nsocket_vsock=EPERM\npersonality_exec=EPERM\n");
}

TEST_F(ContainerTest, SeccompAllowsWhatDockersDefaultProfileAllows) {
  // clone3 fails with ENOSYS so that libc falls back to clone(), which the filter can inspect.
  Result r = Probe({"clone_plain", "clone3", "socket_unix", "personality_linux32", "chroot",
                                     "ptrace_traceme"});
  ASSERT_TRUE(r.status.ok()) << r.err;
  EXPECT_EQ(r.out,
            "clone_plain=ok\nclone3=ENOSYS\nsocket_unix=ok\npersonality_linux32=ok\nchroot=ok\n"
            "ptrace_traceme=ok\n");
}

TEST_F(ContainerTest, HostManagementCommandsFailWithEperm) {
  // busybox mount says EPERM as "permission denied (are you root?)".
  for (std::string cmd : {"mkdir -p /mnt && mount -t tmpfs x /mnt", "swapoff /bin/sh", "reboot -f", "unshare -U true",
                          "hostname other"}) {
    Result r = Sh(cmd);
    EXPECT_NE(r.status.exit_code, 0) << cmd;
    EXPECT_THAT(r.err, ::testing::AnyOf(HasSubstr("not permitted"), HasSubstr("permission denied")))
        << cmd << ": " << r.err;
  }
}

TEST_F(ContainerTest, OrdinaryCommandsWorkUnderTheFilter) {
  Result r = Sh("mkdir -p /a/b && echo hi > /a/b/f && ln -s f /a/b/l && cat /a/b/l && chown 1:1 /a/b/f && "
                "chmod 600 /a/b/f && mknod /a/p p && tar -cf /a.tar /a 2>/dev/null && sort /etc/passwd | head -1 && "
                "(sleep 0.01 &) && wait && wget -q -O /dev/null http://127.0.0.1:1/ 2>/dev/null; "
                "nc -l -p 5555 -e true & sleep 0.1; echo ok");
  EXPECT_TRUE(r.status.ok()) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("hi\n"));
  EXPECT_THAT(r.out, ::testing::EndsWith("ok\n"));
}

TEST_F(ContainerTest, NoNewPrivilegesIsOffByDefaultAndOnWhenAsked) {
  EXPECT_THAT(Sh("grep NoNewPrivs /proc/self/status").out, HasSubstr("NoNewPrivs:\t0\n"));
  ContainerSpec spec = Spec({"grep", "NoNewPrivs", "/proc/self/status"});
  spec.no_new_privileges = true;
  EXPECT_THAT(RunCaptured(spec).out, HasSubstr("NoNewPrivs:\t1\n"));
}

TEST_F(ContainerTest, OpenFileLimitIs1024) { EXPECT_EQ(Sh("ulimit -n").out, "1024\n"); }

}  // namespace
}  // namespace cairn::runtime::testing
