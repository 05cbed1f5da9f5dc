#include "tests/runtime/fixture.h"

#include <sys/mman.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::runtime::testing {

std::string ContainerTest::rootfs_;

namespace {

std::string ReadAllFrom(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  off_t off = 0;
  while ((n = ::pread(fd, buf, sizeof buf, off)) > 0) {
    s.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return s;
}

}  // namespace

// Made by the build (tests/runtime/CMakeLists.txt) and only ever used as a read-only lowerdir.
void ContainerTest::SetUpTestSuite() {
  rootfs_ = CAIRN_RUNTIME_ROOTFS;
  ASSERT_TRUE(PathExists(rootfs_ + "/bin/busybox")) << rootfs_ << " is missing: build runtime_test_rootfs";
}

void ContainerTest::TearDownTestSuite() {}

void ContainerTest::SetUp() {
  dir_ = MakeTempDir("/tmp", "cairn-runtime-test-");
  upper_ = JoinPath(dir_, "upper");
  work_ = JoinPath(dir_, "work");
  MakeDirs(upper_);
  MakeDirs(work_);
}

void ContainerTest::TearDown() { RemoveAll(dir_); }

ContainerSpec ContainerTest::Spec(std::vector<std::string> argv) const {
  ContainerSpec spec;
  spec.lowerdirs = {rootfs_};
  spec.upperdir = upper_;
  spec.workdir = work_;
  spec.argv = std::move(argv);
  spec.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"};
  return spec;
}

Result ContainerTest::RunCaptured(ContainerSpec spec) const {
  UniqueFd out(::memfd_create("stdout", MFD_CLOEXEC)), err(::memfd_create("stderr", MFD_CLOEXEC));
  if (!out || !err) throw SysError("memfd_create", "");
  spec.stdout_fd = out.get();
  spec.stderr_fd = err.get();
  Result r;
  r.status = runtime::Run(spec);
  r.out = ReadAllFrom(out.get());
  r.err = ReadAllFrom(err.get());
  return r;
}

}  // namespace cairn::runtime::testing
