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

}  // namespace
}  // namespace cairn::store
