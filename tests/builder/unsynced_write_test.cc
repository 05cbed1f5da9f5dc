#include "builder/unsynced_write.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

TEST(WriteFileUnsynced, ReplacesTheFileAndLeavesNoTempFileBehind) {
  testing::TempDir dir;
  WriteFileUnsynced(dir / "hint", "one");
  WriteFileUnsynced(dir / "hint", "two");
  EXPECT_EQ(ReadFile(dir / "hint"), "two");
  EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{"hint"});
}

TEST(WriteFileUnsynced, FailureNamesThePath) {
  testing::TempDir dir;
  try {
    WriteFileUnsynced(dir / "missing/hint", "x");
    FAIL() << "wrote into a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "missing/hint"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cairn::builder
