// Variation tests: the same build under different conditions gives the same digests. Each
// condition is a fresh, cold store unless the test is about the cache. The Dockerfile is the
// golden random_order one (shuffled file creation, hardlinks, deleted base files, touched dirs)
// plus copy_tree (context files whose mtimes we re-touch).
#include <gtest/gtest.h>

#include <memory>

#include "golden_cases.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class VariationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = std::make_unique<TempDir>();
    ImportBusybox(*base_ / "store");
    reference_ = BuildIn("random_order");
    copy_reference_ = BuildIn("copy_tree");
  }
  static void TearDownTestSuite() { base_.reset(); }

  // A cold build in a fresh copy of the imported store.
  static Digests BuildIn(const std::string& name, const std::vector<std::string>& wrapper = {},
                         const std::vector<std::string>& env = {}, const std::string& touch = "") {
    TempDir work;
    auto cp = RunCommand({"cp", "-a", *base_ / "store", work / "store"});
    EXPECT_EQ(cp.exit_code, 0) << cp.err;
    PrepareContext(name, work / "ctx");
    if (!touch.empty()) {
      auto t = RunCommand({"sh", "-c", "find \"$0\" -exec touch -h -d '" + touch + "' {} +", work / "ctx"});
      EXPECT_EQ(t.exit_code, 0) << t.err;
    }
    return BuildGolden(work / "store", work / "ctx", {}, wrapper, env);
  }

  static void ExpectSame(const Digests& d, const Digests& want) {
    EXPECT_EQ(d.image_id, want.image_id);
    EXPECT_EQ(d.manifest, want.manifest);
  }

  static std::unique_ptr<TempDir> base_;
  static Digests reference_, copy_reference_;
};
std::unique_ptr<TempDir> VariationTest::base_;
Digests VariationTest::reference_, VariationTest::copy_reference_;

TEST_F(VariationTest, RandomOrderRunIsStableAcrossRebuilds) { ExpectSame(BuildIn("random_order"), reference_); }

TEST_F(VariationTest, OtherTimeZone) { ExpectSame(BuildIn("random_order", {}, {"TZ=Pacific/Kiritimati"}), reference_); }

TEST_F(VariationTest, RestrictiveUmask) {
  ExpectSame(BuildIn("random_order", {"sh", "-c", "umask 077 && exec \"$@\"", "sh"}), reference_);
}

TEST_F(VariationTest, OtherHostname) {
  ExpectSame(BuildIn("random_order", {"unshare", "-u", "sh", "-c", "hostname elsewhere && exec \"$@\"", "sh"}),
             reference_);
}

TEST_F(VariationTest, OneCpu) { ExpectSame(BuildIn("random_order", {"taskset", "-c", "0"}), reference_); }

TEST_F(VariationTest, LaterTimeAndOtherEpochEnvironmentWithTheSameFlag) {
  ExpectSame(BuildIn("random_order", {"sh", "-c", "sleep 1 && exec \"$@\"", "sh"}, {"SOURCE_DATE_EPOCH=42"}),
             reference_);
}

TEST_F(VariationTest, RetouchedContextFiles) {
  ExpectSame(BuildIn("copy_tree", {}, {}, "2031-05-06 07:08:09"), copy_reference_);
}

TEST_F(VariationTest, CachedBuildEqualsColdBuild) {
  TempDir work;
  ASSERT_EQ(RunCommand({"cp", "-a", *base_ / "store", work / "store"}).exit_code, 0);
  PrepareContext("copy_tree", work / "ctx");
  ExpectSame(BuildGolden(work / "store", work / "ctx"), copy_reference_);
  ExpectSame(BuildGolden(work / "store", work / "ctx"), copy_reference_);  // all steps cached
}

TEST_F(VariationTest, ZstdIsStableAndKeepsTheImageId) {
  Digests a = BuildIn("copy_tree", {}, {}, "");
  TempDir work;
  ASSERT_EQ(RunCommand({"cp", "-a", *base_ / "store", work / "store"}).exit_code, 0);
  PrepareContext("copy_tree", work / "ctx");
  Digests z1 = BuildGolden(work / "store", work / "ctx", {"--compression", "zstd,level=7"});
  Digests z2 = BuildGolden(work / "store", work / "ctx", {"--no-cache", "--compression", "zstd,level=7"},
                           {"taskset", "-c", "0"});
  EXPECT_EQ(z1.image_id, a.image_id);  // the config names uncompressed diffIDs only
  EXPECT_NE(z1.manifest, a.manifest);
  ExpectSame(z2, z1);
}

}  // namespace
}  // namespace cairn::testing
