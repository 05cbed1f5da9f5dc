// What a command run by Run() sees and leaves behind: output, exit status, files, env, user.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <thread>

#include "base/error.h"
#include "base/fs.h"
#include "tests/runtime/fixture.h"

namespace cairn::runtime::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(ContainerTest, EchoOutputComesBackThroughPipe) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  ContainerSpec spec = Spec({"echo", "hello from the container"});
  spec.stdout_fd = write_end.get();
  ExitStatus status = runtime::Run(spec);
  write_end.Reset();
  EXPECT_TRUE(status.ok()) << status.Describe();
  char buf[256];
  ssize_t n = ::read(read_end.get(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "hello from the container\n");
}

TEST_F(ContainerTest, ExitCodeComesBack) {
  Result r = Sh("exit 3");
  EXPECT_EQ(r.status.exit_code, 3);
  EXPECT_EQ(r.status.signal, 0);
  EXPECT_EQ(r.status.Describe(), "exit code 3");
}

TEST_F(ContainerTest, DeathBySignalIsReportedAsSignal) {
  Result r = Sh("kill -9 $$");
  EXPECT_EQ(r.status.signal, 9);
  EXPECT_EQ(r.status.Describe(), "killed by signal 9 (SIGKILL)");
}

TEST_F(ContainerTest, StdinComesFromTheGivenFdOrDevNull) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  WriteAll(write_end.get(), "piped in\n", 9, "pipe");
  write_end.Reset();
  ContainerSpec spec = Spec({"cat"});
  spec.stdin_fd = read_end.get();
  EXPECT_EQ(RunCaptured(spec).out, "piped in\n");
  Result from_null = RunCaptured(Spec({"cat"}));  // /dev/null: EOF at once
  EXPECT_EQ(from_null.out, "");
  EXPECT_TRUE(from_null.status.ok()) << from_null.err;
}

TEST_F(ContainerTest, WrittenFileLandsInUpperAndLowerIsUntouched) {
  Result r = Sh("echo data > /root/new && echo more >> /etc/passwd");
  ASSERT_TRUE(r.status.ok()) << r.err;
  EXPECT_EQ(ReadFile(upper_ + "/root/new"), "data\n");
  EXPECT_FALSE(PathExists(rootfs_ + "/root/new"));
  EXPECT_THAT(ReadFile(upper_ + "/etc/passwd"), HasSubstr("more\n"));
  EXPECT_THAT(ReadFile(rootfs_ + "/etc/passwd"), ::testing::Not(HasSubstr("more\n")));
}

TEST_F(ContainerTest, DeletingALowerFileLeavesAWhiteoutInUpper) {
  ASSERT_TRUE(Sh("rm /etc/group").status.ok());
  struct stat st;
  ASSERT_EQ(::lstat((upper_ + "/etc/group").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_TRUE(PathExists(rootfs_ + "/etc/group"));
}

TEST_F(ContainerTest, EnvironmentIsExactlyTheSpecs) {
  ContainerSpec spec = Spec({"env"});
  spec.env = {"PATH=/usr/bin:/bin", "FOO=bar baz", "HOME=/home/x"};
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "PATH=/usr/bin:/bin\nFOO=bar baz\nHOME=/home/x\n");
}

TEST_F(ContainerTest, CommandIsFoundThroughDefaultPathWhenEnvHasNone) {
  ContainerSpec spec = Spec({"true"});
  spec.env = {};
  EXPECT_TRUE(RunCaptured(spec).status.ok());
}

TEST_F(ContainerTest, WorkingDirectoryIsCreatedAndUsed) {
  ContainerSpec spec = Spec({"pwd"});
  spec.cwd = "/srv/app/src";
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "/srv/app/src\n");
  EXPECT_TRUE(IsDirectory(upper_ + "/srv/app/src"));
}

TEST_F(ContainerTest, UmaskIs022) { EXPECT_EQ(Sh("umask").out, "0022\n"); }

TEST_F(ContainerTest, UserAndGroupsAreApplied) {
  ContainerSpec spec = Spec({"/bin/sh", "-c", "id -u; id -g; id -G"});
  spec.uid = 1000;
  spec.gid = 1000;
  spec.supplementary_groups = {1000, 50};
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "1000\n1000\n1000 50\n") << r.err;
}

TEST_F(ContainerTest, NonexistentCommandFailsWithClearMessage) {
  Result r = RunCaptured(Spec({"no-such-command", "x"}));
  EXPECT_EQ(r.status.exit_code, 127);
  EXPECT_THAT(r.err, HasSubstr("cairn: exec no-such-command: No such file or directory"));
}

TEST_F(ContainerTest, NonExecutableFileExits126) {
  Result r = RunCaptured(Spec({"/etc/passwd"}));
  EXPECT_EQ(r.status.exit_code, 126);
  EXPECT_THAT(r.err, HasSubstr("cairn: exec /etc/passwd: Permission denied"));
}

TEST_F(ContainerTest, SetupFailureThrowsTheChildsMessage) {
  ContainerSpec spec = Spec({"true"});
  spec.upperdir = dir_ + "/missing-upper";
  try {
    runtime::Run(spec);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("mount overlay on"));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
}

TEST_F(ContainerTest, EmptyArgvIsRejected) { EXPECT_THROW(runtime::Run(Spec({})), Error); }

TEST_F(ContainerTest, BindMountIsVisibleAndCanBeReadOnly) {
  std::string host = dir_ + "/shared";
  MakeDirs(host);
  WriteFileAtomic(host + "/in.txt", "from host\n");
  ContainerSpec spec = Spec({"/bin/sh", "-c", "cat /mnt/data/in.txt; echo x > /mnt/data/new"});
  spec.binds = {{host, "/mnt/data", true}};
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "from host\n");
  EXPECT_NE(r.status.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Read-only file system"));
  EXPECT_FALSE(PathExists(host + "/new"));
}

TEST_F(ContainerTest, ScratchRootRunsABoundStaticBinaryWithoutGrowingEtc) {
  ContainerSpec spec = Spec({"/busybox", "echo", "ok"});
  spec.lowerdirs = {};
  spec.binds = {{rootfs_ + "/bin/busybox", "/busybox", true}};
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_FALSE(PathExists(upper_ + "/etc"));
}

TEST_F(ContainerTest, ManyLayersMountThroughRelativePaths) {
  // 100 layers with long names exceed the one-page option limit unless named relative to
  // their common parent.
  std::string layers = dir_ + "/layers";
  MakeDirs(layers);
  ContainerSpec spec = Spec({"/bin/sh", "-c", "cat /top.txt; ls /bin/sh"});
  spec.lowerdirs.clear();
  for (int i = 0; i < 100; ++i) {
    std::string layer = layers + "/" + std::string(30, 'l') + std::to_string(100 + i);
    MakeDirs(layer);
    spec.lowerdirs.push_back(layer);
  }
  WriteFileAtomic(spec.lowerdirs.front() + "/top.txt", "top layer\n");
  ASSERT_EQ(::symlink(rootfs_.c_str(), (layers + "/base").c_str()), 0);
  spec.lowerdirs.push_back(layers + "/base");
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "top layer\n/bin/sh\n") << r.err;
}

TEST_F(ContainerTest, HundredsOfLayersMountLayerByLayer) {
  std::string layers = dir_ + "/layers";
  ContainerSpec spec = Spec({"/bin/sh", "-c", "cat /top.txt /bottom.txt"});
  spec.lowerdirs.clear();
  for (int i = 0; i < 300; ++i) {
    std::string layer = layers + "/" + std::string(40, 'l') + std::to_string(100 + i);
    MakeDirs(layer);
    spec.lowerdirs.push_back(layer);
  }
  WriteFileAtomic(spec.lowerdirs.front() + "/top.txt", "top\n");
  WriteFileAtomic(spec.lowerdirs.back() + "/bottom.txt", "bottom\n");
  spec.lowerdirs.push_back(rootfs_);
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.out, "top\nbottom\n") << r.err;
}

TEST_F(ContainerTest, ParallelRunsInThreadsBothComplete) {
  // Each container must close the other's inherited pipe ends, or Run() would not return.
  ContainerSpec other = Spec({"/bin/sh", "-c", "sleep 1; echo a"});
  other.upperdir = dir_ + "/upper2";
  other.workdir = dir_ + "/work2";
  MakeDirs(other.upperdir);
  MakeDirs(other.workdir);
  Result a, b;
  std::thread t([&] { a = RunCaptured(other); });
  b = Sh("echo b");
  t.join();
  EXPECT_EQ(a.out, "a\n");
  EXPECT_EQ(b.out, "b\n");
}

}  // namespace
}  // namespace cairn::runtime::testing
