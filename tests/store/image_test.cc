#include "store/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/error.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::TempDirTest;
using ::testing::HasSubstr;
using json = nlohmann::json;

class ImageTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    store_ = std::make_unique<Store>(Path("store"));
  }
  std::unique_ptr<Store> store_;
};

TEST(CanonicalJsonTest, SortedKeysNoWhitespace) {
  json j = json::parse(R"({"b": 1, "a": {"z": [1, 2], "y": "ü"}})");
  EXPECT_EQ(CanonicalJson(j), "{\"a\":{\"y\":\"ü\",\"z\":[1,2]},\"b\":1}");
}

TEST_F(ImageTest, WrittenImageLoadsByTagAndDigest) {
  Descriptor layer = store_->PutBlob("layer-bytes", media::kOciLayerGzip);
  json config = {{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", {DigestOf("tar")}}}}};
  WrittenImage written = WriteImage(*store_, config, {layer});
  Descriptor m = written.manifest;
  EXPECT_EQ(m.media_type, media::kOciManifest);
  EXPECT_EQ(written.config.media_type, media::kOciConfig);
  EXPECT_EQ(written.config.digest, DigestOf(CanonicalJson(config)));
  store_->SetTag("app", m);

  Image by_tag = LoadImage(*store_, "app");
  Image by_digest = LoadImage(*store_, m.digest);
  for (const Image* img : {&by_tag, &by_digest}) {
    EXPECT_EQ(img->manifest_descriptor.digest, m.digest);
    EXPECT_EQ(img->manifest_descriptor.size, m.size);
    EXPECT_EQ(img->config, config);
    ASSERT_EQ(img->layers.size(), 1u);
    EXPECT_EQ(img->layers[0].digest, layer.digest);
    EXPECT_EQ(img->diff_ids, std::vector<std::string>{DigestOf("tar")});
  }
  EXPECT_EQ(by_tag.manifest["schemaVersion"], 2);
  EXPECT_EQ(by_tag.manifest["mediaType"], media::kOciManifest);
  EXPECT_EQ(by_tag.config_descriptor.media_type, media::kOciConfig);
  EXPECT_EQ(by_tag.config_descriptor.digest, written.config.digest);
  // Writing the same image again gives the same digest.
  EXPECT_EQ(WriteImage(*store_, config, {layer}).manifest.digest, m.digest);
}

TEST_F(ImageTest, DockerSchema2ManifestsLoad) {
  Descriptor layer = store_->PutBlob("l", media::kDockerLayerGzip);
  json config = {{"rootfs", {{"type", "layers"}, {"diff_ids", {DigestOf("t")}}}}};
  Descriptor c = store_->PutBlob(config.dump(2), media::kDockerConfig);
  json manifest = {{"schemaVersion", 2}, {"mediaType", media::kDockerManifest}, {"config", ToJson(c)}, {"layers", {ToJson(layer)}}};
  Descriptor m = store_->PutBlob(manifest.dump(3), media::kDockerManifest);
  m.media_type = media::kDockerManifest;
  store_->SetTag("old:1", m);
  Image img = LoadImage(*store_, "old:1");
  EXPECT_EQ(img.layers[0].media_type, media::kDockerLayerGzip);
  EXPECT_EQ(img.diff_ids.size(), 1u);
}

TEST_F(ImageTest, UnknownImageNamesTheReference) {
  try {
    LoadImage(*store_, "nope:1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"nope:1\" not found"));
  }
}

TEST_F(ImageTest, MismatchedDiffIdsAreRefused) {
  json config = {{"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  EXPECT_THROW(WriteImage(*store_, config, {store_->PutBlob("l", media::kOciLayerGzip)}), Error);
}

// Multi-platform images: the index's entries, and which image a platform gets.
class IndexTest : public ImageTest {
 protected:
  PlatformImage Image(const std::string& platform) {
    Platform p = ParsePlatform(platform);
    json config = {{"architecture", p.architecture}, {"os", p.os}, {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
    if (!p.variant.empty()) config["variant"] = p.variant;
    return {p, WriteImage(*store_, config, {}).manifest};
  }
};

TEST_F(IndexTest, EntriesCarryTheImageSpecPlatformFields) {
  Descriptor index = WriteIndex(*store_, {Image("linux/amd64"), Image("linux/arm/v7")});
  EXPECT_EQ(index.media_type, media::kOciIndex);
  json j = json::parse(store_->ReadBlob(index.digest));
  EXPECT_EQ(j["schemaVersion"], 2);
  EXPECT_EQ(j["manifests"][0]["platform"], json({{"os", "linux"}, {"architecture", "amd64"}}));  // no empty variant
  EXPECT_EQ(j["manifests"][1]["platform"], json({{"os", "linux"}, {"architecture", "arm"}, {"variant", "v7"}}));
  EXPECT_EQ(j["manifests"][1]["mediaType"], media::kOciManifest);
  EXPECT_EQ(index.digest, WriteIndex(*store_, {Image("linux/amd64"), Image("linux/arm/v7")}).digest);
}

TEST_F(IndexTest, EachPlatformLoadsItsOwnImage) {
  PlatformImage amd = Image("linux/amd64"), arm = Image("linux/arm64");
  store_->SetTag("multi", WriteIndex(*store_, {amd, arm}));
  EXPECT_EQ(LoadImage(*store_, "multi", ParsePlatform("linux/arm64")).manifest_descriptor.digest, arm.manifest.digest);
  EXPECT_EQ(LoadImage(*store_, "multi", ParsePlatform("linux/amd64")).manifest_descriptor.digest, amd.manifest.digest);
  EXPECT_EQ(LoadImage(*store_, "multi").manifest_descriptor.digest, amd.manifest.digest);  // the host's (amd64 here)
  EXPECT_TRUE(HasImage(*store_, "multi", ParsePlatform("linux/arm64")));
  EXPECT_FALSE(HasImage(*store_, "multi", ParsePlatform("linux/s390x")));
  EXPECT_TRUE(ResolveIndex(*store_, "multi", nullptr).has_value());
  EXPECT_FALSE(ResolveIndex(*store_, amd.manifest.digest, nullptr).has_value());
}

TEST_F(IndexTest, AMissingPlatformNamesThoseThereAre) {
  store_->SetTag("multi", WriteIndex(*store_, {Image("linux/amd64"), Image("linux/arm64")}));
  try {
    LoadImage(*store_, "multi", ParsePlatform("linux/riscv64"));
    ADD_FAILURE() << "loaded a platform the index lacks";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("image multi has no linux/riscv64 image (it has linux/amd64, linux/arm64)"));
  }
}

TEST_F(IndexTest, APlainImageServesOnlyItsPlatform) {
  store_->SetTag("arm", Image("linux/arm64").manifest);
  EXPECT_NO_THROW(LoadImage(*store_, "arm", ParsePlatform("linux/aarch64")));
  EXPECT_FALSE(HasImage(*store_, "arm", ParsePlatform("linux/amd64")));
  try {
    LoadImage(*store_, "arm", ParsePlatform("linux/amd64"));
    ADD_FAILURE() << "an arm64 image served amd64";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("image arm is for linux/arm64 only, not linux/amd64"));
  }
}

}  // namespace
}  // namespace cairn::store
