// A busybox root file system (made once per test binary by tests/support/busybox-rootfs) and a
// fresh upper/work pair per test, plus a helper that runs a command and collects its output.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/container.h"

namespace cairn::runtime::testing {

struct Result {
  ExitStatus status;
  std::string out;
  std::string err;
};

class ContainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // A spec over the busybox rootfs with this test's upper and work dirs.
  ContainerSpec Spec(std::vector<std::string> argv) const;
  // Runs spec with stdout and stderr captured (in memory files, so output size is not bounded
  // by a pipe buffer).
  Result RunCaptured(ContainerSpec spec) const;
  // Runs the static probe (tests/runtime/syscall_probe.c) in the container: "NAME=ok|ERRNO" lines.
  Result Probe(std::vector<std::string> calls) const {
    ContainerSpec spec = Spec({"/probe"});
    spec.binds.push_back({CAIRN_SYSCALL_PROBE, "/probe", true});
    spec.argv.insert(spec.argv.end(), calls.begin(), calls.end());
    return RunCaptured(spec);
  }
  Result Sh(const std::string& script) const { return RunCaptured(Spec({"/bin/sh", "-c", script})); }

  static std::string rootfs_;
  std::string dir_, upper_, work_;
};

}  // namespace cairn::runtime::testing
