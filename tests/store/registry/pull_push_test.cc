// Pull and push against Debian's docker-registry, cross-checked with skopeo.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/error.h"
#include "store/archive.h"
#include "store/image.h"
#include "tests/store/registry/fault_proxy.h"
#include "tests/store/registry/registry_test_base.h"
#include "tests/store/registry/test_image.h"

namespace cairn::store::registry::testing {
namespace {

using PullPushTest = RegistryTest;

TEST_F(PullPushTest, PushedImageHasTheSameDigestInSkopeo) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "app:1");
  Descriptor pushed = Client({}).Push(*a, "app:1", Ref("team/app:1"));
  EXPECT_EQ(pushed.digest, built.digest);
  EXPECT_EQ(SkopeoDigest("team/app:1"), built.digest);
}

TEST_F(PullPushTest, PullIntoAFreshStoreGivesTheSameManifestAndBlobs) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "app:2", 100000, 2);
  Client client({});
  client.Push(*a, "app:2", Ref("team/roundtrip:2"));

  auto b = NewStore("b");
  Descriptor pulled = client.Pull(*b, Ref("team/roundtrip:2"));
  EXPECT_EQ(pulled.digest, built.digest);
  EXPECT_EQ(b->ResolveTag(registry_->host() + "/team/roundtrip:2")->digest, built.digest);
  EXPECT_EQ(b->ReadBlob(pulled.digest), a->ReadBlob(built.digest));
  Image ia = LoadImage(*a, "app:2"), ib = LoadImage(*b, registry_->host() + "/team/roundtrip:2");
  EXPECT_EQ(ib.config_descriptor.digest, ia.config_descriptor.digest);
  ASSERT_EQ(ib.layers.size(), 1u);
  EXPECT_EQ(ib.layers[0].digest, ia.layers[0].digest);
  EXPECT_TRUE(HasWholeImage(*b, pulled.digest));
}

TEST_F(PullPushTest, ImagePushedBySkopeoIsPulled) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "sk:1", 5000, 3);
  std::string out;
  ASSERT_EQ(RunCommand({"skopeo", "copy", "--dest-tls-verify=false", "oci:" + a->root() + ":sk:1",
                        "docker://" + registry_->host() + "/skopeo/img:1"},
                       &out),
            0)
      << out;
  std::string remote = SkopeoDigest("skopeo/img:1");
  auto b = NewStore("b");
  Descriptor pulled = Client({}).Pull(*b, Ref("skopeo/img:1"));
  EXPECT_EQ(pulled.digest, remote);
  EXPECT_TRUE(HasWholeImage(*b, pulled.digest));
  EXPECT_EQ(LoadImage(*b, pulled.digest).layers[0].digest, LoadImage(*a, "sk:1").layers[0].digest);
}

TEST_F(PullPushTest, PullByDigestTagsTheDigestName) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "d:1", 0, 4);
  Client client({});
  client.Push(*a, "d:1", Ref("team/bydigest:1"));
  auto b = NewStore("b");
  Reference ref = Ref("team/bydigest@" + built.digest);
  EXPECT_EQ(client.Pull(*b, ref).digest, built.digest);
  EXPECT_EQ(b->ResolveTag(ref.String())->digest, built.digest);
}

TEST_F(PullPushTest, PullingAnUnknownTagFailsNamingTheReference) {
  auto b = NewStore("b");
  Reference ref = Ref("team/nothing:here");
  try {
    Client({}).Pull(*b, ref);
    FAIL() << "pulled a tag that does not exist";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(ref.String()), std::string::npos) << m;
    EXPECT_NE(m.find("not found"), std::string::npos) << m;
  }
  EXPECT_TRUE(b->ListTags().empty());
}

TEST_F(PullPushTest, IndexPullPicksTheLinuxAmd64Manifest) {
  auto a = NewStore("a");
  Descriptor amd = MakeTestImage(*a, "multi:amd64", 0, 5);
  Descriptor arm = MakeTestImage(*a, "multi:arm64", 0, 6);
  Client client({});
  client.Push(*a, "multi:amd64", Ref("team/multi:amd64"));
  client.Push(*a, "multi:arm64", Ref("team/multi:arm64"));
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", media::kOciIndex},
                          {"manifests",
                           {{{"mediaType", media::kOciManifest},
                             {"digest", arm.digest},
                             {"size", arm.size},
                             {"platform", {{"os", "linux"}, {"architecture", "arm64"}}}},
                            {{"mediaType", media::kOciManifest},
                             {"digest", amd.digest},
                             {"size", amd.size},
                             {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
  a->SetTag("multi:index", a->PutBlob(CanonicalJson(index), media::kOciIndex));
  std::string out;
  ASSERT_EQ(RunCommand({"skopeo", "copy", "--all", "--dest-tls-verify=false", "oci:" + a->root() + ":multi:index",
                        "docker://" + registry_->host() + "/team/multi:latest"},
                       &out),
            0)
      << out;
  auto b = NewStore("b");
  Descriptor pulled = client.Pull(*b, Ref("team/multi"));
  EXPECT_EQ(pulled.media_type, media::kOciIndex);  // the tag names the index
  EXPECT_EQ(LoadImage(*b, pulled.digest).manifest_descriptor.digest, amd.digest);
  EXPECT_FALSE(b->HasBlob(arm.digest));
  // Another platform later: only its manifest and layers, under the same name.
  client.Pull(*b, Ref("team/multi"), ParsePlatform("linux/arm64"));
  EXPECT_EQ(LoadImage(*b, pulled.digest, ParsePlatform("linux/arm64")).manifest_descriptor.digest, arm.digest);
  EXPECT_EQ(LoadImage(*b, pulled.digest, ParsePlatform("linux/amd64")).manifest_descriptor.digest, amd.digest);
  try {
    client.Pull(*b, Ref("team/multi"), ParsePlatform("linux/s390x"));
    ADD_FAILURE() << "pulled a platform the index lacks";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("has no linux/s390x image (it has linux/arm64, linux/amd64)"));
  }
}

TEST_F(PullPushTest, PushToAnotherRepositoryMountsInsteadOfUploading) {
  FaultProxy proxy(registry_->port(), {});
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "m:1", 0, 8);
  Client client({});
  client.Push(*a, "m:1", Ref("team/source:1", proxy.host()));
  a->SetTag(proxy.host() + "/team/source:1", built);  // the store now knows where its blobs live
  client.Push(*a, "m:1", Ref("team/target:1", proxy.host()));

  int mounts = 0, uploads_to_target = 0;
  for (auto& r : proxy.requests()) {
    if (r.rfind("POST /v2/team/target/blobs/uploads/?mount=", 0) == 0) ++mounts;
    if (r.rfind("PUT /v2/team/target/blobs/", 0) == 0 || r.rfind("PATCH /v2/team/target/blobs/", 0) == 0) ++uploads_to_target;
  }
  EXPECT_EQ(mounts, 2);  // the layer and the config
  EXPECT_EQ(uploads_to_target, 0);
  EXPECT_EQ(SkopeoDigest("team/target:1"), built.digest);
}

TEST_F(PullPushTest, PushingAgainUploadsNoBlob) {
  FaultProxy proxy(registry_->port(), {});
  auto a = NewStore("a");
  MakeTestImage(*a, "again:1", 0, 9);
  Client client({});
  client.Push(*a, "again:1", Ref("team/again:1", proxy.host()));
  size_t first = proxy.requests().size();
  client.Push(*a, "again:1", Ref("team/again:1", proxy.host()));
  auto requests = proxy.requests();
  for (size_t i = first; i < requests.size(); ++i) {
    EXPECT_NE(requests[i].rfind("POST ", 0), 0u) << requests[i];
    EXPECT_NE(requests[i].rfind("PATCH ", 0), 0u) << requests[i];
  }
}

TEST_F(PullPushTest, BlobsAbove32MiBGoUpInChunksAndComeBackWhole) {
  FaultProxy proxy(registry_->port(), {});
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "big:1", (33u << 20), 10);
  Client client({});
  client.Push(*a, "big:1", Ref("team/big:1", proxy.host()));
  int patches = 0;
  for (auto& r : proxy.requests()) patches += r.rfind("PATCH /v2/team/big/blobs/uploads/", 0) == 0;
  EXPECT_EQ(patches, 2);
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("team/big:1")).digest, built.digest);
  EXPECT_TRUE(HasWholeImage(*b, built.digest));
}

// (kind, digest) pairs, in the order reported.
struct Recorder {
  std::vector<std::pair<TransferEvent::Kind, std::string>> events;
  ProgressFn Fn() {
    return [this](const TransferEvent& e) { events.emplace_back(e.kind, e.digest); };
  }
  int Count(TransferEvent::Kind kind) const {
    int n = 0;
    for (auto& e : events) n += e.first == kind;
    return n;
  }
};

TEST_F(PullPushTest, ProgressSaysWhatMovedAndWhatWasAlreadyThere) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "progress:1", 0, 13);
  Recorder push;
  Client(RegistryConfig{}, push.Fn()).Push(*a, "progress:1", Ref("team/progress:1"));
  EXPECT_EQ(push.Count(TransferEvent::kBlobDone), 2);
  ASSERT_FALSE(push.events.empty());
  EXPECT_EQ(push.events.back(), std::make_pair(TransferEvent::kManifestDone, built.digest));

  auto b = NewStore("b");
  Recorder first, second;
  Client(RegistryConfig{}, first.Fn()).Pull(*b, Ref("team/progress:1"));
  EXPECT_EQ(first.Count(TransferEvent::kBlobStarted), 2);
  EXPECT_EQ(first.Count(TransferEvent::kBlobDone), 2);
  Client(RegistryConfig{}, second.Fn()).Pull(*b, Ref("team/progress:1"));
  EXPECT_EQ(second.Count(TransferEvent::kBlobPresent), 2);
  EXPECT_EQ(second.Count(TransferEvent::kBlobStarted), 0);
  EXPECT_EQ(second.events.back(), std::make_pair(TransferEvent::kManifestDone, built.digest));
}

TEST_F(PullPushTest, MirrorServesPullsForItsRegistry) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "mirrored:1", 0, 11);
  Client({}).Push(*a, "mirrored:1", Ref("team/mirrored:1"));
  // The "registry" 127.0.0.1:1 does not exist; its mirror has the image.
  RegistryConfig config;
  config.mirrors["127.0.0.1:1"] = "http://" + registry_->host() + "/";
  auto b = NewStore("b");
  EXPECT_EQ(Client(config).Pull(*b, Ref("team/mirrored:1", "127.0.0.1:1")).digest, built.digest);
  EXPECT_EQ(b->ResolveTag("127.0.0.1:1/team/mirrored:1")->digest, built.digest);
}

TEST_F(PullPushTest, BrokenMirrorFallsBackToTheRegistry) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "fallback:1", 0, 12);
  Client({}).Push(*a, "fallback:1", Ref("team/fallback:1"));
  FaultProxy broken(registry_->port(), Faults{.answer_500 = 1000});
  RegistryConfig config;
  config.mirrors[registry_->host()] = broken.host();
  auto b = NewStore("b");
  EXPECT_EQ(Client(config).Pull(*b, Ref("team/fallback:1")).digest, built.digest);
  EXPECT_GT(broken.faults_fired(), 0);
}

TEST_F(PullPushTest, BusyboxRootfsImageRoundTrips) {
  auto a = NewStore("a");
  std::string tree = JoinPath(dir_, "rootfs"), tar = JoinPath(dir_, "rootfs.tar"), out;
  ASSERT_EQ(RunCommand({std::string(CAIRN_SOURCE_DIR) + "/tests/support/busybox-rootfs", tree, tar}, &out), 0) << out;
  Descriptor built = ImportRootfs(*a, tar, "busybox:test", 0);
  Client client({});
  client.Push(*a, "busybox:test", Ref("library/busybox:test"));
  EXPECT_EQ(SkopeoDigest("library/busybox:test"), built.digest);
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("library/busybox:test")).digest, built.digest);
  EXPECT_TRUE(HasWholeImage(*b, built.digest));
}

}  // namespace
}  // namespace cairn::store::registry::testing
