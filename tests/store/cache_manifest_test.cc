#include "store/cache_manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::TempDirTest;
using ::testing::HasSubstr;
using json = nlohmann::json;

const std::string kKeyA = "sha256:" + std::string(64, 'a');
const std::string kKeyB = "sha256:" + std::string(64, 'b');
const std::string kLayerDigest = "sha256:" + std::string(64, 'c');
const std::string kDiffId = "sha256:" + std::string(64, 'd');

Layer SomeLayer() {
  return Layer{Descriptor{media::kOciLayerGzip, kLayerDigest, 123, {{"io.cairn.compressor", "isa-l 1"}}}, kDiffId};
}

class CacheManifestTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    store_ = std::make_unique<Store>(Path("store"));
  }
  std::unique_ptr<Store> store_;
};

TEST_F(CacheManifestTest, RecordsComeBackSortedWithTheirLayersAndAnnotations) {
  Descriptor m = WriteCacheManifest(*store_, {{kKeyB, SomeLayer()}, {kKeyA, std::nullopt}, {kKeyB, SomeLayer()}});
  std::string bytes = store_->ReadBlob(m.digest);
  Descriptor config = CacheConfigDescriptor(bytes);
  EXPECT_EQ(config.media_type, kCacheConfigMediaType);
  auto entries = ParseCacheConfig(store_->ReadBlob(config.digest));
  ASSERT_EQ(entries.size(), 2u);  // the duplicate is dropped
  EXPECT_EQ(entries[0].key, kKeyA);
  EXPECT_FALSE(entries[0].layer);
  EXPECT_EQ(entries[1].key, kKeyB);
  ASSERT_TRUE(entries[1].layer);
  EXPECT_EQ(entries[1].layer->diff_id, kDiffId);
  EXPECT_EQ(entries[1].layer->descriptor.annotations.at("io.cairn.compressor"), "isa-l 1");
  // The manifest lists each layer once, as an ordinary layer blob.
  json j = json::parse(bytes);
  EXPECT_EQ(j["mediaType"], media::kOciManifest);
  ASSERT_EQ(j["layers"].size(), 1u);
  EXPECT_EQ(j["layers"][0]["digest"], kLayerDigest);
}

TEST_F(CacheManifestTest, TheSameRecordsInAnyOrderGiveTheSameManifest) {
  Descriptor one = WriteCacheManifest(*store_, {{kKeyA, SomeLayer()}, {kKeyB, std::nullopt}});
  Descriptor two = WriteCacheManifest(*store_, {{kKeyB, std::nullopt}, {kKeyA, SomeLayer()}});
  EXPECT_EQ(one.digest, two.digest);
}

TEST_F(CacheManifestTest, CacheMountSnapshotsRoundTripAndACacheWithoutThemKeepsItsBytes) {
  // The exact bytes a version-1 config without snapshots always had: older readers and digests.
  EXPECT_EQ(CacheConfigBytes({{kKeyA, std::nullopt}}), R"({"records":[{"key":")" + kKeyA + R"(","layer":null}],"version":1})");
  CacheMountName apt{"apt", "linux/amd64"};
  std::string bytes = CacheConfigBytes({{kKeyA, std::nullopt}, {CacheMountKey(apt), SomeLayer(), apt}});
  json j = json::parse(bytes);
  ASSERT_EQ(j["mounts"].size(), 1u);
  EXPECT_EQ(j["mounts"][0]["id"], "apt");
  EXPECT_EQ(j["mounts"][0]["platform"], "linux/amd64");
  EXPECT_EQ(j["records"].size(), 1u);  // a snapshot is no step record for older readers
  auto entries = ParseCacheConfig(bytes);
  ASSERT_EQ(entries.size(), 2u);
  auto snapshot = entries[0].mount ? entries[0] : entries[1];
  ASSERT_TRUE(snapshot.mount);
  EXPECT_EQ(snapshot.mount->id, "apt");
  EXPECT_EQ(snapshot.key, CacheMountKey(apt));
  EXPECT_NE(CacheMountKey(apt), CacheMountKey({"apt", "linux/arm64"}));
  EXPECT_EQ(snapshot.layer->descriptor.digest, kLayerDigest);
  EXPECT_THROW(ParseCacheConfig(R"({"version":1,"records":[],"mounts":[{"id":"x"}]})"), Error);
  // The manifest lists the snapshot's blob, so a registry keeps it.
  Descriptor m = WriteCacheManifest(*store_, {{CacheMountKey(apt), SomeLayer(), apt}});
  EXPECT_EQ(json::parse(store_->ReadBlob(m.digest))["layers"][0]["digest"], kLayerDigest);
}

TEST_F(CacheManifestTest, AnInlineCacheIsReadFromAnImageConfig) {
  json config = {{"architecture", "amd64"}, {"os", "linux"}};
  EXPECT_FALSE(InlineCacheOf(config.dump()));
  config[kInlineCacheKey] = json::parse(CacheConfigBytes({{kKeyB, SomeLayer()}, {kKeyA, std::nullopt}}));
  auto entries = InlineCacheOf(config.dump());
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].key, kKeyA);
  config[kInlineCacheKey] = {{"version", 7}};
  EXPECT_THROW(InlineCacheOf(config.dump()), Error);
}

TEST_F(CacheManifestTest, AnImageManifestIsNotACache) {
  json image = {{"schemaVersion", 2},
                {"config", {{"mediaType", media::kOciConfig}, {"digest", kKeyA}, {"size", 2}}},
                {"layers", json::array()}};
  try {
    CacheConfigDescriptor(image.dump());
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a cairn cache"));
  }
  EXPECT_THROW(CacheConfigDescriptor("garbage"), Error);
}

TEST_F(CacheManifestTest, MalformedConfigsAreRejectedWhole) {
  EXPECT_THROW(ParseCacheConfig("{"), Error);
  try {
    ParseCacheConfig(R"({"version":2,"records":[]})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("version 2"));
  }
  EXPECT_THROW(ParseCacheConfig(R"({"version":1,"records":[{"key":"nope"}]})"), Error);
  EXPECT_THROW(ParseCacheConfig(R"({"version":1,"records":[{"key":")" + kKeyA + R"(","layer":{"diffID":1}}]})"),
               Error);
  EXPECT_TRUE(ParseCacheConfig(R"({"version":1,"records":[]})").empty());
}

}  // namespace
}  // namespace cairn::store
