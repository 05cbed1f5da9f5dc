// Where credentials come from: docker's credHelpers, credsStore (a real helper program on PATH),
// auths with identity tokens, DOCKER_CONFIG, and podman's auth files after docker's config.
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/base64.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/registry/credential_helper.h"
#include "store/registry/credentials.h"
#include "tests/store/registry/fake_credential_helper.h"

namespace cairn::store::registry {
namespace {

using testing::FakeCredentialHelper;

class CredentialChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("/tmp", "cairn-credentials-");
    for (const char* var : {"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG"}) unsetenv(var);
  }
  void TearDown() override {
    for (const char* var : {"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG"}) unsetenv(var);
    RemoveAll(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = JoinPath(dir_, name);
    MakeDirs(path.substr(0, path.rfind('/')));
    WriteFileAtomic(path, text);
    return path;
  }
  static std::string Auth(const std::string& user_pass) { return R"({"auth": ")" + Base64Encode(user_pass) + R"("})"; }
  std::string dir_;
};

TEST_F(CredentialChainTest, CredsStoreHelperAnswersForEveryRegistry) {
  FakeCredentialHelper helper(JoinPath(dir_, "h"), "vault");
  helper.Put("reg.example.com:5000", "alice", "from-the-helper");
  helper.Put("https://index.docker.io/v1/", "hubuser", "hub-secret");
  std::string config = Write("config.json", R"({"credsStore": "vault", "auths": {"reg.example.com:5000": {}}})");
  auto c = FindCredentials(config, "reg.example.com:5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->UserPassword(), "alice:from-the-helper");
  EXPECT_FALSE(c->identity_token);
  EXPECT_EQ(FindCredentials(config, "docker.io")->UserPassword(), "hubuser:hub-secret");  // docker's key for the Hub
  EXPECT_FALSE(FindCredentials(config, "nothing.example.com"));                          // "credentials not found"
  EXPECT_NE(helper.Calls().find("get https://index.docker.io/v1/"), std::string::npos) << helper.Calls();
}

TEST_F(CredentialChainTest, CredHelpersEntryWinsOverCredsStoreAndAuths) {
  FakeCredentialHelper store(JoinPath(dir_, "s"), "desktop");
  FakeCredentialHelper ecr(JoinPath(dir_, "e"), "ecr-login");
  store.Put("123.dkr.ecr.example.com", "wrong", "from-credsStore");
  ecr.Put("123.dkr.ecr.example.com", "AWS", "from-credHelpers");
  std::string config = Write("config.json", R"({"credsStore": "desktop",
      "credHelpers": {"123.dkr.ecr.example.com": "ecr-login"},
      "auths": {"123.dkr.ecr.example.com": )" + Auth("file:from-auths") + "}}");
  EXPECT_EQ(FindCredentials(config, "123.dkr.ecr.example.com")->UserPassword(), "AWS:from-credHelpers");
  EXPECT_EQ(store.Calls(), "");
}

TEST_F(CredentialChainTest, TokenUserMeansTheSecretIsAnIdentityToken) {
  FakeCredentialHelper helper(JoinPath(dir_, "h"), "vault");
  helper.Put("reg.example.com", "<token>", "refresh-me");
  auto c = FindCredentials(Write("config.json", R"({"credsStore": "vault"})"), "reg.example.com");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->identity_token);
  EXPECT_EQ(c->secret, "refresh-me");
}

TEST_F(CredentialChainTest, IdentityTokenInAuthsIsUsedAsARefreshToken) {
  std::string config = Write("config.json", R"({"auths": {"reg.example.com": {"auth": ")" +
                                                Base64Encode("bob:") + R"(", "identitytoken": "id-tok-1"}}})");
  auto c = FindCredentials(config, "reg.example.com");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->identity_token);
  EXPECT_EQ(c->secret, "id-tok-1");
  EXPECT_EQ(c->username, "bob");
}

TEST_F(CredentialChainTest, DockerConfigEnvironmentNamesTheDirectory) {
  Write("elsewhere/config.json", R"({"auths": {"reg.example.com": )" + Auth("carol:c-pass") + "}}");
  setenv("DOCKER_CONFIG", JoinPath(dir_, "elsewhere").c_str(), 1);
  EXPECT_EQ(DefaultDockerConfigPath(), JoinPath(dir_, "elsewhere/config.json"));
  EXPECT_EQ(FindCredentials("", "reg.example.com")->UserPassword(), "carol:c-pass");
}

TEST_F(CredentialChainTest, PodmanAuthFilesAreConsultedAfterDockersConfig) {
  std::string docker = Write("docker/config.json", R"({"auths": {"both.example.com": )" + Auth("d:docker-wins") + "}}");
  std::string podman = Write("podman-auth.json", R"({"auths": {"both.example.com": )" + Auth("p:podman") +
                                                     R"(, "podman.example.com": )" + Auth("p:only-podman") + "}}");
  setenv("REGISTRY_AUTH_FILE", podman.c_str(), 1);
  EXPECT_EQ(FindCredentials(docker, "both.example.com")->UserPassword(), "d:docker-wins");
  EXPECT_EQ(FindCredentials(docker, "podman.example.com")->UserPassword(), "p:only-podman");
  unsetenv("REGISTRY_AUTH_FILE");
  Write("run/containers/auth.json", R"({"auths": {"podman.example.com": )" + Auth("x:from-xdg") + "}}");
  setenv("XDG_RUNTIME_DIR", JoinPath(dir_, "run").c_str(), 1);
  EXPECT_EQ(FindCredentials(docker, "podman.example.com")->UserPassword(), "x:from-xdg");
  EXPECT_FALSE(FindCredentials(docker, "neither.example.com"));
}

TEST_F(CredentialChainTest, FailingHelperIsAnErrorNamingItWithoutTheSecret) {
  std::string bin = JoinPath(dir_, "bin");
  MakeDirs(bin);
  // A helper that echoes what it was given and fails.
  WriteFileAtomic(JoinPath(bin, "docker-credential-broken"), "#!/bin/sh\ncat; echo ' keychain locked'; exit 3\n", 0755);
  std::string old = std::getenv("PATH");
  setenv("PATH", (bin + ":" + old).c_str(), 1);
  std::string config = Write("config.json", R"({"credsStore": "broken"})");
  try {
    HelperStore("broken", "reg.example.com", {"alice", "top-secret-pw"});
    ADD_FAILURE() << "a failing helper's store succeeded";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("docker-credential-broken"), std::string::npos) << m;
    EXPECT_NE(m.find("keychain locked"), std::string::npos) << m;
    EXPECT_EQ(m.find("top-secret-pw"), std::string::npos) << m;
  }
  EXPECT_THROW(FindCredentials(config, "reg.example.com"), Error);
  setenv("PATH", old.c_str(), 1);
}

TEST_F(CredentialChainTest, MissingHelperAndPathLikeNamesAreErrors) {
  std::string missing = Write("a.json", R"({"credsStore": "no-such-helper-here"})");
  try {
    FindCredentials(missing, "reg.example.com");
    ADD_FAILURE() << "a missing helper was ignored";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("docker-credential-no-such-helper-here"), std::string::npos) << e.what();
  }
  EXPECT_THROW(FindCredentials(Write("b.json", R"({"credsStore": "../../bin/sh"})"), "reg.example.com"), Error);
}

}  // namespace
}  // namespace cairn::store::registry
