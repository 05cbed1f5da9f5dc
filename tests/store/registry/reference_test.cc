#include <gtest/gtest.h>

#include "base/error.h"
#include "store/registry/registry.h"

namespace cairn::store::registry {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ReferenceTest, BareNameIsAnOfficialDockerHubImageAtLatest) {
  Reference r = ParseReference("busybox");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/busybox");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.digest, "");
  EXPECT_EQ(r.String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ApiHost(r.registry), "registry-1.docker.io");
}

TEST(ReferenceTest, UserRepositoryOnDockerHubKeepsItsNamespace) {
  Reference r = ParseReference("someone/tool:1.2");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "someone/tool");
  EXPECT_EQ(r.tag, "1.2");
}

TEST(ReferenceTest, RegistryWithPortIsNotATag) {
  Reference r = ParseReference("localhost:5000/a/b:1");
  EXPECT_EQ(r.registry, "localhost:5000");
  EXPECT_EQ(r.repository, "a/b");
  EXPECT_EQ(r.tag, "1");
  Reference untagged = ParseReference("localhost:5000/a/b");
  EXPECT_EQ(untagged.tag, "latest");
  EXPECT_EQ(untagged.String(), "localhost:5000/a/b:latest");
}

TEST(ReferenceTest, DottedFirstComponentIsARegistry) {
  Reference r = ParseReference("ghcr.io/org/app:v2");
  EXPECT_EQ(r.registry, "ghcr.io");
  EXPECT_EQ(r.repository, "org/app");
  EXPECT_EQ(ApiHost(r.registry), "ghcr.io");
}

TEST(ReferenceTest, DigestOnlyReferenceHasNoTag) {
  Reference r = ParseReference("x@" + kDigest);
  EXPECT_EQ(r.repository, "library/x");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, kDigest);
  EXPECT_EQ(r.ManifestRef(), kDigest);
  EXPECT_EQ(r.String(), "docker.io/library/x@" + kDigest);
}

TEST(ReferenceTest, TagAndDigestAreBothKeptAndTheDigestIsFetched) {
  Reference r = ParseReference("127.0.0.1:5000/app:1@" + kDigest);
  EXPECT_EQ(r.tag, "1");
  EXPECT_EQ(r.ManifestRef(), kDigest);
}

TEST(ReferenceTest, DockerHubSpellingsAreNormalised) {
  EXPECT_EQ(ParseReference("index.docker.io/library/alpine").String(), "docker.io/library/alpine:latest");
  EXPECT_EQ(ParseReference("docker.io/alpine:3").String(), "docker.io/library/alpine:3");
}

TEST(ReferenceTest, ErrorsNameTheReference) {
  for (std::string bad : {"", "Upper/case", "a//b", "a:", "a:-bad", "x@sha256:123", "x@md5:abc", "-a", "a/b_-c"}) {
    try {
      ParseReference(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("\"" + bad + "\""), std::string::npos) << e.what();
    }
  }
}

TEST(ReferenceTest, LoopbackAndInsecureRegistriesUsePlainHttp) {
  RegistryConfig config;
  EXPECT_TRUE(UsesPlainHttp(config, "localhost:5000"));
  EXPECT_TRUE(UsesPlainHttp(config, "127.0.0.1:5000"));
  EXPECT_TRUE(UsesPlainHttp(config, "127.8.9.10"));
  EXPECT_FALSE(UsesPlainHttp(config, "docker.io"));
  EXPECT_FALSE(UsesPlainHttp(config, "128.0.0.1:5000"));
  config.insecure.insert("reg.lan:5000");
  EXPECT_TRUE(UsesPlainHttp(config, "reg.lan:5000"));
}

}  // namespace
}  // namespace cairn::store::registry
