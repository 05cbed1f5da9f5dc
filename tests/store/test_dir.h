// A scratch directory per test, removed afterwards.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/fs.h"

namespace cairn::store::testing {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("/tmp", "cairn-store-test-"); }
  void TearDown() override { RemoveAll(dir_); }
  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }
  std::string dir_;
};

}  // namespace cairn::store::testing
