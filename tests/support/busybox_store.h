// A test suite whose tests share one store holding busybox:latest, made once per suite (ctest
// runs every test in a process of its own, so "once" is per test process; the import is what it
// saves within a test that builds several times). Derive as `class X : public BusyboxStore<X>`:
// the store is per suite, never shared between two suites of one binary.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/support/harness.h"

namespace cairn::testing {

template <typename Suite>
class BusyboxStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ImportBusybox(Root());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Root() { return *dir_ / "store"; }

 private:
  inline static TempDir* dir_ = nullptr;
};

}  // namespace cairn::testing
