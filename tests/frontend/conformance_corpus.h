// Where the shared conformance corpus (BuildKit's and moby's own test data) is, and what a test
// that reads it does when it is not there.
//
// The corpus lives beside the repository in ../shared/conformance: CI has it, a plain
// `git clone` does not. Tests read it in place through ConformanceDir() and derive from
// CorpusTest, whose SetUp skips the test with a message naming the missing directory, so a fresh
// clone's `scripts/test` passes. Where the corpus must be there (`.ci/run` exports
// CAIRN_REQUIRE_CONFORMANCE=1), a missing corpus fails the test instead of skipping it.
// CAIRN_CONFORMANCE_DIR in the environment overrides the directory (tests/frontend/
// conformance_skip_test.sh uses it to prove both ways).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace cairn::testing {

inline std::string ConformanceDir() {
  const char* dir = std::getenv("CAIRN_CONFORMANCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : CAIRN_CONFORMANCE_DIR;
}

inline bool ConformanceRequired() {
  const char* required = std::getenv("CAIRN_REQUIRE_CONFORMANCE");
  return required != nullptr && std::string(required) == "1";
}

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = ConformanceDir();
    if (std::filesystem::is_directory(dir)) return;
    if (ConformanceRequired()) {
      FAIL() << "the conformance corpus " << dir
             << " is missing and CAIRN_REQUIRE_CONFORMANCE=1 says it must be there";
    }
    GTEST_SKIP() << "the conformance corpus " << dir
                 << " is missing (it sits beside the repository as ../shared/conformance); "
                    "set CAIRN_CONFORMANCE_DIR to run these tests";
  }
};

}  // namespace cairn::testing
