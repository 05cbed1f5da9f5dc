// A misbehaving proxy between client and registry: retries, resumes, and bounded giving up.
#include <gtest/gtest.h>

#include "base/error.h"
#include "store/image.h"
#include "store/registry/session.h"
#include "tests/store/registry/fault_proxy.h"
#include "tests/store/registry/registry_test_base.h"
#include "tests/store/registry/test_image.h"

namespace cairn::store::registry::testing {
namespace {

using FaultTest = RegistryTest;

TEST_F(FaultTest, DroppedConnectionsAreRetried) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "drop:1", 0, 20);
  Client client({});
  client.Push(*a, "drop:1", Ref("faults/drop:1"));
  FaultProxy proxy(registry_->port(), Faults{.drop_connections = 2});
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("faults/drop:1", proxy.host())).digest, built.digest);
  EXPECT_EQ(proxy.faults_fired(), 2);
  EXPECT_TRUE(HasWholeImage(*b, built.digest));
}

TEST_F(FaultTest, ServerErrorsAreRetriedOnPushAndPull) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "err:1", 0, 21);
  Client client({});
  {
    FaultProxy proxy(registry_->port(), Faults{.answer_500 = 1});
    client.Push(*a, "err:1", Ref("faults/err:1", proxy.host()));
    EXPECT_EQ(proxy.faults_fired(), 1);
  }
  EXPECT_EQ(SkopeoDigest("faults/err:1"), built.digest);
  FaultProxy proxy(registry_->port(), Faults{.answer_500 = 1});
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("faults/err:1", proxy.host())).digest, built.digest);
  EXPECT_EQ(proxy.faults_fired(), 1);
}

TEST_F(FaultTest, FailedBlobUploadStartsOverWithANewSession) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "put:1", 100000, 25);
  FaultProxy proxy(registry_->port(), Faults{.fail_marker = "PUT /v2/faults/put/blobs/uploads/"});
  Client({}).Push(*a, "put:1", Ref("faults/put:1", proxy.host()));
  EXPECT_EQ(proxy.faults_fired(), 1);
  EXPECT_EQ(SkopeoDigest("faults/put:1"), built.digest);
  int posts = 0;
  for (auto& r : proxy.requests()) posts += r.rfind("POST /v2/faults/put/blobs/uploads/", 0) == 0;
  EXPECT_EQ(posts, 3);  // the layer twice, the config once
}

// A registry that does not yet see a blob it has (another client finishing the same upload, an
// eventually consistent backend) refuses the manifest once: the push looks again and resends it.
TEST_F(FaultTest, ManifestRefusedForAnUnknownBlobIsSentAgainAfterTheBlobsAreChecked) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "bu:1", 1000, 26);
  FaultProxy proxy(registry_->port(), Faults{.blob_unknown_marker = "PUT /v2/faults/bu/manifests/"});
  EXPECT_EQ(Client({}).Push(*a, "bu:1", Ref("faults/bu:1", proxy.host())).digest, built.digest);
  EXPECT_EQ(proxy.faults_fired(), 1);
  EXPECT_EQ(SkopeoDigest("faults/bu:1"), built.digest);
  int manifest_puts = 0, heads = 0;
  for (auto& r : proxy.requests()) {
    manifest_puts += r.rfind("PUT /v2/faults/bu/manifests/", 0) == 0;
    heads += r.rfind("HEAD /v2/faults/bu/blobs/", 0) == 0;
  }
  EXPECT_EQ(manifest_puts, 2);
  EXPECT_EQ(heads, 4);  // the layer and the config, before each of the two manifests
}

TEST_F(FaultTest, CutBlobDownloadResumesWithARangeRequest) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "cut:1", 2u << 20, 22);
  Client client({});
  client.Push(*a, "cut:1", Ref("faults/cut:1"));
  std::string layer = LoadImage(*a, "cut:1").layers[0].digest;
  FaultProxy proxy(registry_->port(), Faults{.cut_marker = "GET /v2/faults/cut/blobs/" + layer, .cut_after = 300000});
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("faults/cut:1", proxy.host())).digest, built.digest);
  EXPECT_EQ(proxy.faults_fired(), 1);
  EXPECT_TRUE(HasWholeImage(*b, built.digest));
  int resumes = 0;
  for (auto& r : proxy.requests())
    if (r.rfind("GET /v2/faults/cut/blobs/" + layer, 0) == 0 && r.find("Range: bytes=") != std::string::npos) ++resumes;
  EXPECT_EQ(resumes, 1);
}

TEST_F(FaultTest, RegistryIgnoringRangeMakesTheBlobStartOver) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "norange:1", 2u << 20, 23);
  Client client({});
  client.Push(*a, "norange:1", Ref("faults/norange:1"));
  std::string layer = LoadImage(*a, "norange:1").layers[0].digest;
  FaultProxy proxy(registry_->port(), Faults{.cut_marker = "GET /v2/faults/norange/blobs/" + layer,
                                             .cut_after = 300000,
                                             .strip_range = true});
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("faults/norange:1", proxy.host())).digest, built.digest);
  EXPECT_TRUE(HasWholeImage(*b, built.digest));
  int gets = 0;
  for (auto& r : proxy.requests()) gets += r.rfind("GET /v2/faults/norange/blobs/" + layer, 0) == 0;
  EXPECT_EQ(gets, 2);  // the cut one, then the whole blob again
}

TEST_F(FaultTest, CorruptedBlobIsRejectedAndNothingIsTagged) {
  auto a = NewStore("a");
  MakeTestImage(*a, "bad:1", 100000, 24);
  Client client({});
  client.Push(*a, "bad:1", Ref("faults/bad:1"));
  std::string layer = LoadImage(*a, "bad:1").layers[0].digest;
  FaultProxy proxy(registry_->port(), Faults{.corrupt_marker = "GET /v2/faults/bad/blobs/" + layer, .corrupt_at = 5000});
  auto b = NewStore("b");
  try {
    client.Pull(*b, Ref("faults/bad:1", proxy.host()));
    FAIL() << "a corrupted layer was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("digest mismatch"), std::string::npos) << e.what();
  }
  EXPECT_EQ(proxy.faults_fired(), 1);
  EXPECT_FALSE(b->HasBlob(layer));
  EXPECT_TRUE(b->ListTags().empty());
}

TEST_F(FaultTest, PersistentFailureGivesUpNamingTheReference) {
  FaultProxy proxy(registry_->port(), Faults{.drop_connections = 1000});
  auto b = NewStore("b");
  Reference ref = Ref("faults/never:1", proxy.host());
  try {
    Client({}).Pull(*b, ref);
    FAIL() << "a registry that never answers gave an image";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(ref.String()), std::string::npos) << e.what();
  }
  EXPECT_EQ(proxy.faults_fired(), kMaxAttempts);
}

}  // namespace
}  // namespace cairn::store::registry::testing
