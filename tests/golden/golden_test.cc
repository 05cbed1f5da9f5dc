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
  {"run_files",    "sha256:feb8f9fba076215de17dbee8df3a130f19b83f9cb3626ca5cc01fb37c25b494d",    "sha256:136a734962e6e7ba83c8654c01feed429355e597daedf429e0af68682236b440"},
  {"copy_modes",   "sha256:20f55513802a78dbd57ce4e9b64944bb55b2e86f6429fc89dd8b12254a05a54d",   "sha256:405be94e41f031b79d4466bd101afc31991c3955c3ed9eb23918203d161d835a"},
  {"copy_tree",    "sha256:c8157e0d75de999fce38faf530e00b7e184590c0b32adaab7609e5469d876cb3",    "sha256:14f18e93ff33df19c116ed2fbd58bd649576f593cddd33e49a5c6a5e126d13f0"},
  {"symlinks",     "sha256:e378ee64f3c3ad68ce6c35cd18a7f5177eea4c0fdf443cb6ae4237179fe0503a",     "sha256:14fd0d2f0455558d8f90b8450bd41c2d9ecc8096a66d7603a88923da918ef180"},
  {"hardlinks",    "sha256:0eb621c1672b9e145520732d543104bc390d53341f5897fdd9c584378dc734ec",    "sha256:05bbc88806bb117dfa452c357fb82edc4b314e7568f4c28827bb93324170a8b0"},
  {"delete_base",  "sha256:4e296fdf9914609acb2775ce2ed10f1caf03b35093ba9152cd0fdcf5ffa45b19",  "sha256:91146699329148024d99554090f61d17baec6962ab8572a489b9c20de372f077"},
  {"config",       "sha256:77139e69103ecc410070e60ac85fdb8b15d973b2d84e2b58ea44ef3f5b81e86b",       "sha256:5d3a452478f4258a0ec6d07f6b58734a392e66714fb0f43d8f469708419e72fd"},
  {"multistage",   "sha256:10b8b9e9faf04dbb7337b8b60a10ec73840f5f152170ce80ec198dcfafba9741",   "sha256:5247f4d699bd013bf0c8a567fd876ded40cfe5b5dd4c39d5a502f9e7bec757cd"},
  {"heredocs",     "sha256:ec68f598d852ab518cb1b051389d72d4f1d56a6626ad392d4856a9dfd35b9653",     "sha256:c955196106d75224d09021c2b42d18d8f26d861806a1c3d118409be84dcbed94"},
  {"args",         "sha256:21ef25b2ac45e8c85c12829a477ddca17af6b7a31a14a620d379f82420f96828",         "sha256:a0ee715bc028c035876f983e738532c8898e9494b39ce98e098dd32f57944b38"},
  {"random_order", "sha256:aa6c9995822cf4601e0dd18627f1fe9eb677da1b3890e956063cac27cbd6cdd4", "sha256:c7f4f875714a758030abb382fb057aade6a3c68cd2aa58a84df06aae105b9e4e"},
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
