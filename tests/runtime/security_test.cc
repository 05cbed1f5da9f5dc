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

TEST_F(ContainerTest, OpenFileLimitIs1024) { EXPECT_EQ(Sh("ulimit -n").out, "1024\n"); }

}  // namespace
}  // namespace cairn::runtime::testing
