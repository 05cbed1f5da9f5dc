// What the container is cut off from: host processes, network, hostname, mounts.
#include <dirent.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "base/error.h"
#include "base/fs.h"
#include "tests/runtime/fixture.h"

namespace cairn::runtime::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(ContainerTest, HostnameAndEtcFilesAreGenerated) {
  ContainerSpec spec = Spec({"/bin/sh", "-c", "hostname; cat /etc/hostname; cat /etc/hosts; wc -c < /etc/resolv.conf"});
  spec.hostname = "builder7";
  Result r = RunCaptured(spec);
  EXPECT_THAT(r.out, ::testing::StartsWith("builder7\nbuilder7\n127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(r.out, HasSubstr("127.0.1.1\tbuilder7\n"));
  EXPECT_THAT(r.out, ::testing::EndsWith("0\n"));  // no network, no resolver
}

TEST_F(ContainerTest, GeneratedFilesDoNotEnterUpperBeyondTheirStubs) {
  ASSERT_TRUE(Sh("echo '10.0.0.1 x' >> /etc/hosts").status.ok());
  // Writes to /etc/hosts go to the runtime's private copy; upper holds at most an empty stub.
  if (PathExists(upper_ + "/etc/hosts")) {
    EXPECT_EQ(ReadFile(upper_ + "/etc/hosts"), "");
  }
}

TEST_F(ContainerTest, CommandRunsUnderATinyInit) {
  Result r = Sh("echo $$; cat /proc/1/cmdline | tr '\\0' ' '");
  EXPECT_THAT(r.out, ::testing::StartsWith("2\n"));
  std::string host_init = ReadFile("/proc/1/cmdline");
  for (auto& c : host_init) {
    if (c == '\0') c = ' ';
  }
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(host_init)));
}

TEST_F(ContainerTest, OnlyContainerProcessesAreVisible) {
  // PID 1 (init), PID 2 (sh), and ls itself.
  Result r = Sh("ls -d /proc/[0-9]*");
  EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_THAT(r.out, ::testing::StartsWith("/proc/1\n/proc/2\n"));
}

TEST_F(ContainerTest, OnlyLoopbackNetworkAndItIsUp) {
  Result r = Sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip link show lo");
  EXPECT_THAT(r.out, ::testing::StartsWith("lo\n")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("UP")) << r.out;
  EXPECT_EQ(r.out.find("eth"), std::string::npos) << r.out;
}

// The interface names only: their byte counters move while other tests talk over loopback.
TEST_F(ContainerTest, HostNetworkSharesHostInterfaces) {
  ContainerSpec spec = Spec({"sh", "-c", "sed 1,2d /proc/net/dev | cut -d: -f1"});
  spec.network = Network::kHost;
  std::istringstream host(ReadFile("/proc/net/dev"));
  std::string names, line;
  for (int n = 0; std::getline(host, line); ++n)
    if (n >= 2) names += line.substr(0, line.find(':')) + "\n";
  EXPECT_EQ(RunCaptured(spec).out, names);
  EXPECT_THAT(names, HasSubstr("lo\n"));
}

TEST_F(ContainerTest, DevHasTheStandardNodes) {
  Result r = Sh("ls /dev; echo x > /dev/null; head -c 4 /dev/zero | wc -c; ls /dev/pts");
  for (const char* n : {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "fd"})
    EXPECT_THAT(r.out, HasSubstr(std::string(n) + "\n")) << n;
  EXPECT_THAT(r.out, HasSubstr("4\n"));
  EXPECT_TRUE(r.status.ok()) << r.err;
}

TEST_F(ContainerTest, SysIsReadOnly) {
  Result r = Sh("ls /sys/kernel > /dev/null && touch /sys/x");
  EXPECT_NE(r.status.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Read-only file system"));
}

TEST_F(ContainerTest, NoMountOrScratchDirOutlivesTheContainer) {
  std::string before = ReadFile("/proc/self/mountinfo");
  ASSERT_TRUE(Sh("true").status.ok());
  ASSERT_FALSE(Sh("exit 1").status.ok());
  ContainerSpec failing = Spec({"true"});
  failing.binds = {{"/etc/hostname", "/etc/passwd/not-a-dir"}};
  EXPECT_THROW(RunCaptured(failing), Error);
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), before);
  EXPECT_EQ(ListDir(dir_), (std::vector<std::string>{"upper", "work"}));
}

// The host's first block device, "MAJOR MINOR" from /proc/partitions, or "" when it has none.
std::string HostDisk() {
  std::string table = ReadFile("/proc/partitions");
  size_t line = table.find('\n', table.find('\n') + 1);  // past the header and the blank line
  unsigned major = 0, minor = 0;
  if (line == std::string::npos || std::sscanf(table.c_str() + line, "%u %u", &major, &minor) != 2) return "";
  return std::to_string(major) + " " + std::to_string(minor);
}

TEST_F(ContainerTest, DeviceNodesMadeInsideCannotReachTheHostsDisk) {
  std::string disk = HostDisk();
  if (disk.empty()) GTEST_SKIP() << "no block device on this host";
  // CAP_MKNOD is in docker's default set, so the node can be made (and would enter a layer); it
  // must not open, in the root or in /dev.
  Result r = Sh("mknod /disk b " + disk + " && mknod /dev/disk b " + disk + " && ls -l /disk >/dev/null; "
                "head -c 512 /disk | wc -c; head -c 512 /dev/disk | wc -c");
  EXPECT_EQ(r.out, "0\n0\n") << r.err;
  EXPECT_THAT(r.err, HasSubstr("Permission denied"));
}

TEST_F(ContainerTest, HostFilesAreNotVisible) {
  std::string marker = "cairn-host-marker-" + std::to_string(::getpid());
  WriteFileAtomic("/tmp/" + marker, "secret");
  Result r = Sh("ls /tmp; cat /tmp/" + marker + "; find / -xdev -name '" + marker + "*' 2>/dev/null");
  ::unlink(("/tmp/" + marker).c_str());
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(marker)));
  EXPECT_THAT(r.err, HasSubstr("No such file"));
}

TEST_F(ContainerTest, BackgroundProcessesDieWithTheCommand) {
  // The command exits while a child still runs: init exits, the kernel ends the rest, and the
  // output pipe is closed (the test would hang otherwise).
  Result r = Sh("sleep 1000 & echo started");
  EXPECT_EQ(r.out, "started\n");
  EXPECT_TRUE(r.status.ok());
}

}  // namespace
}  // namespace cairn::runtime::testing
