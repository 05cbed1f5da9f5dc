// Golden builds: each Dockerfile in testdata/, built on the deterministic busybox base with a
// fixed --source-date-epoch, must give exactly these image IDs and manifest digests on any machine
// at any commit. A change to one of them is deliberate and recorded in CHANGELOG.md.
//
// The constants depend on (1) the busybox base, which tests/support/busybox-rootfs makes from
// Debian's busybox-static package (recorded with 1:1.35.0-4+deb12u1+b1): another
// busybox-static version changes every digest here;
// (2) the pinned compressor (io.cairn.layer.compression, store/compressor.h) for the manifest
// digests; image IDs depend only on the uncompressed layers.
#include <gtest/gtest.h>

#include <memory>

#include "golden_cases.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

struct Golden {
  const char* name;
  const char* image_id;
  const char* manifest;
};

// clang-format off
const Golden kGolden[] = {
  {"run_files",    "sha256:feb8f9fba076215de17dbee8df3a130f19b83f9cb3626ca5cc01fb37c25b494d",    "sha256:dfddc0c30aea6bfc81f304bd1f766a20dc4b52b15413fe3ab5a7ef050ee44246"},
  {"copy_modes",   "sha256:20f55513802a78dbd57ce4e9b64944bb55b2e86f6429fc89dd8b12254a05a54d",   "sha256:cb763fe7af53fcca357400c49dfd41f6568983e9e85abff983d6f80141d84b5e"},
  {"copy_tree",    "sha256:c8157e0d75de999fce38faf530e00b7e184590c0b32adaab7609e5469d876cb3",    "sha256:824d01da458b67fd4398705a59e54fdfaf8a6cd99eb363ee46edd72164a23e7b"},
  {"symlinks",     "sha256:e378ee64f3c3ad68ce6c35cd18a7f5177eea4c0fdf443cb6ae4237179fe0503a",     "sha256:b22b262d94c7dc16c3b02aad71a9cf82559705e6450db3d47fff6f1423b521ae"},
  {"hardlinks",    "sha256:0eb621c1672b9e145520732d543104bc390d53341f5897fdd9c584378dc734ec",    "sha256:3cbc0bb167e89654a4a980e37b3a320ad59c2e5228f511c7939c08037198c4e3"},
  {"delete_base",  "sha256:4e296fdf9914609acb2775ce2ed10f1caf03b35093ba9152cd0fdcf5ffa45b19",  "sha256:96ab8665b45ab83758a604fc2cb23ab1c5919384f5314e3a7a926fe1ced99dae"},
  {"config",       "sha256:77139e69103ecc410070e60ac85fdb8b15d973b2d84e2b58ea44ef3f5b81e86b",       "sha256:9069974219f08d6621e8be55f9e201e7bc3bb06114af8f604ca29e27a778b00b"},
  {"multistage",   "sha256:10b8b9e9faf04dbb7337b8b60a10ec73840f5f152170ce80ec198dcfafba9741",   "sha256:377e3afd7ccb703244ba58bbd1c165d1591c5d6c652e70909f2ea9fde543e733"},
  {"heredocs",     "sha256:ec68f598d852ab518cb1b051389d72d4f1d56a6626ad392d4856a9dfd35b9653",     "sha256:39fd4ddebe018ddaa361c4e947e5e5722a4bd03e170e9796806d97e3237ab5fa"},
  {"args",         "sha256:21ef25b2ac45e8c85c12829a477ddca17af6b7a31a14a620d379f82420f96828",         "sha256:ad2dec59feaffa0964c6ab5bddc2aa196635a3ed2910728d2abad2efe6826aee"},
  {"random_order", "sha256:aa6c9995822cf4601e0dd18627f1fe9eb677da1b3890e956063cac27cbd6cdd4", "sha256:2a6bc067e605933449b1696e74247af04b214707bf0f2cd63932df3216191dbf"},
};
// clang-format on

class GoldenTest : public ::testing::TestWithParam<Golden> {
 protected:
  static void SetUpTestSuite() {
    root_ = std::make_unique<TempDir>();
    ImportBusybox(root_->path());
  }
  static void TearDownTestSuite() { root_.reset(); }
  static std::unique_ptr<TempDir> root_;
};
std::unique_ptr<TempDir> GoldenTest::root_;

TEST_P(GoldenTest, DigestsAreTheRecordedOnes) {
  const Golden& g = GetParam();
  TempDir work;
  PrepareContext(g.name, work / "ctx");
  Digests d = BuildGolden(root_->path(), work / "ctx", {"--no-cache"});
  EXPECT_EQ(d.image_id, g.image_id) << g.name << ": image ID changed; if deliberate, record it in CHANGELOG.md";
  EXPECT_EQ(d.manifest, g.manifest) << g.name << ": manifest digest changed; if deliberate, record it in CHANGELOG.md";
}

INSTANTIATE_TEST_SUITE_P(Dockerfiles, GoldenTest, ::testing::ValuesIn(kGolden),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace cairn::testing
