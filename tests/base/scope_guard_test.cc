#include "base/scope_guard.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace cairn {
namespace {

TEST(ScopeGuardTest, ScopeExitRunsWhenTheScopeEndsNormally) {
  int runs = 0;
  { ScopeExit g([&] { runs++; }); }
  EXPECT_EQ(runs, 1);
}

TEST(ScopeGuardTest, ScopeExitRunsAndTheFirstErrorIsTheOneSeen) {
  int runs = 0;
  try {
    ScopeExit g([&] {
      runs++;
      throw std::runtime_error("cleanup failed");
    });
    throw std::runtime_error("the step failed");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "the step failed");
  }
  EXPECT_EQ(runs, 1);
}

TEST(ScopeGuardTest, ScopeExitCleanupErrorPropagatesWhenNothingElseFailed) {
  auto leave = [] { ScopeExit g([] { throw std::runtime_error("rmdir /x: Device or resource busy"); }); };
  EXPECT_THROW(leave(), std::runtime_error);
}

TEST(ScopeGuardTest, ScopeFailRunsOnlyWhenAnExceptionLeaves) {
  int runs = 0;
  { ScopeFail g([&] { runs++; }); }
  EXPECT_EQ(runs, 0);
  EXPECT_THROW(
      {
        ScopeFail g([&] { runs++; });
        throw std::runtime_error("x");
      },
      std::runtime_error);
  EXPECT_EQ(runs, 1);
}

// A guard made while another exception is being handled (inside a catch) still tells its own
// scope's failure from the outer one.
TEST(ScopeGuardTest, ScopeFailInsideACatchBlockSeesOnlyItsOwnScope) {
  int runs = 0;
  try {
    throw std::runtime_error("outer");
  } catch (...) {
    { ScopeFail g([&] { runs++; }); }
  }
  EXPECT_EQ(runs, 0);
}

TEST(ScopeGuardTest, DismissedGuardDoesNothing) {
  int runs = 0;
  {
    ScopeExit g([&] { runs++; });
    g.Dismiss();
  }
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace cairn
