// Credentials, challenges, configuration files and URL helpers.
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/fs.h"
#include "store/registry/auth.h"
#include "store/registry/http.h"
#include "store/registry/registry.h"
#include "store/registry/session.h"

namespace cairn::store::registry {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("/tmp", "cairn-registry-unit-");
    // The host's podman auth file must not answer for these tests.
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
  }
  void TearDown() override { RemoveAll(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = JoinPath(dir_, name);
    WriteFileAtomic(path, text);
    return path;
  }
  std::string dir_;
};

TEST(ChallengeTest, BearerChallengeGivesRealmServiceAndScope) {
  auto c = ParseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c->params["service"], "registry.docker.io");
  EXPECT_EQ(c->params["scope"], "repository:library/busybox:pull");
}

TEST(ChallengeTest, BasicChallengeAndEmptyHeader) {
  auto c = ParseChallenge(R"(Basic realm="cairn-test")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "basic");
  EXPECT_EQ(c->params["realm"], "cairn-test");
  EXPECT_FALSE(ParseChallenge(""));
}

using CredentialsTest = TempDir;

TEST_F(CredentialsTest, DockerConfigAuthsAreFoundByRegistry) {
  std::string path = Write("config.json", R"({"auths": {
      "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
      "127.0.0.1:5000": {"auth": "dXNlcjpzZWNyZXQ="},
      "https://reg.example.com": {"username": "u", "password": "p"}}})");
  EXPECT_EQ(FindCredentials(path, "docker.io")->UserPassword(), "hub:hubpass");
  EXPECT_EQ(FindCredentials(path, "127.0.0.1:5000")->UserPassword(), "user:secret");
  EXPECT_EQ(FindCredentials(path, "reg.example.com")->UserPassword(), "u:p");
  EXPECT_FALSE(FindCredentials(path, "other.example.com"));
  EXPECT_FALSE(FindCredentials(JoinPath(dir_, "missing.json"), "docker.io"));
}

TEST_F(CredentialsTest, MalformedCredentialsFileErrorNamesTheFileButNotTheSecret) {
  std::string path = Write("config.json", R"({"auths": {"r.io": {"auth": "c2VjcmV0cGFzcw"}}})");
  try {
    FindCredentials(path, "r.io");
    FAIL() << "malformed base64 accepted";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_EQ(m.find("c2VjcmV0cGFzcw"), std::string::npos) << m;
  }
}

using ConfigTest = TempDir;

TEST_F(ConfigTest, RegistriesFileGivesMirrorsInsecureAndDockerConfig) {
  std::string path = Write("registries.json", R"({"mirrors": {"docker.io": "mirror.lan:5000"},
      "insecure": ["reg.lan:5000"], "docker_config": "/x/config.json"})");
  RegistryConfig c = LoadRegistryConfig(path);
  EXPECT_EQ(c.mirrors["docker.io"], "mirror.lan:5000");
  EXPECT_TRUE(c.insecure.count("reg.lan:5000"));
  EXPECT_EQ(c.docker_config_path, "/x/config.json");
  std::vector<std::string> want = {"https://mirror.lan:5000", "https://registry-1.docker.io"};
  EXPECT_EQ(PullEndpoints(c, "docker.io"), want);
  EXPECT_EQ(PullEndpoints(c, "reg.lan:5000"), std::vector<std::string>{"http://reg.lan:5000"});
}

TEST_F(ConfigTest, MalformedOrMissingExplicitFileIsAnErrorNamingIt) {
  std::string path = Write("registries.json", R"({"mirrors": ["not", "a", "map"]})");
  EXPECT_THROW(LoadRegistryConfig(path), Error);
  try {
    LoadRegistryConfig(path);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  EXPECT_THROW(LoadRegistryConfig(JoinPath(dir_, "nope.json")), Error);
}

TEST(UrlTest, UploadLocationsResolveAgainstTheRegistry) {
  EXPECT_EQ(ResolveUrl("http://h:5/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u1?_state=x"),
            "http://h:5/v2/a/blobs/uploads/u1?_state=x");
  EXPECT_EQ(ResolveUrl("http://h:5/v2/a/blobs/uploads/", "https://other/x"), "https://other/x");
  EXPECT_EQ(ResolveUrl("http://h:5/v2/a/blobs/uploads/", "u2"), "http://h:5/v2/a/blobs/uploads/u2");
  EXPECT_EQ(ResolveUrl("http://h:5", "/v2/x"), "http://h:5/v2/x");
  EXPECT_EQ(UrlEncode("sha256:ab/c d"), "sha256%3Aab%2Fc%20d");
}

}  // namespace
}  // namespace cairn::store::registry
