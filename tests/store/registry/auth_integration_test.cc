// Authentication against real servers: an htpasswd registry (basic) and a token challenge.
#include <gtest/gtest.h>

#include "base/base64.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/registry/auth.h"
#include "tests/store/registry/fault_proxy.h"
#include "tests/store/registry/registry_test_base.h"
#include "tests/store/registry/test_image.h"

namespace cairn::store::registry::testing {
namespace {

class BasicAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("/tmp", "cairn-registry-auth-");
    std::string line;
    ASSERT_EQ(RunCommand({"htpasswd", "-Bbn", "alice", "s3cret-pass"}, &line), 0) << line;
    htpasswd_ = JoinPath(dir_, "htpasswd");
    WriteFileAtomic(htpasswd_, line);
    registry_ = std::make_unique<TestRegistry>(htpasswd_);
    store_ = std::make_unique<Store>(JoinPath(dir_, "store"));
    built_ = MakeTestImage(*store_, "private:1", 0, 30);
  }
  void TearDown() override {
    store_.reset();
    registry_.reset();
    RemoveAll(dir_);
  }
  RegistryConfig WithCredentials(const std::string& user_pass) {
    std::string path = JoinPath(dir_, "docker-config.json");
    WriteFileAtomic(path, R"({"auths": {")" + registry_->host() + R"(": {"auth": ")" + Base64Encode(user_pass) + R"("}}})");
    RegistryConfig c;
    c.docker_config_path = path;
    return c;
  }
  Reference Ref(const std::string& s) { return ParseReference(registry_->host() + "/" + s); }

  std::string dir_, htpasswd_;
  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<Store> store_;
  Descriptor built_;
};

TEST_F(BasicAuthTest, CredentialsFromDockerConfigPushAndPull) {
  Client client(WithCredentials("alice:s3cret-pass"));
  EXPECT_EQ(client.Push(*store_, "private:1", Ref("team/private:1")).digest, built_.digest);
  Store other(JoinPath(dir_, "other"));
  EXPECT_EQ(client.Pull(other, Ref("team/private:1")).digest, built_.digest);
}

TEST_F(BasicAuthTest, WrongPasswordFailsWithoutShowingIt) {
  Client client(WithCredentials("alice:wrong-horse-battery"));
  try {
    client.Push(*store_, "private:1", Ref("team/private:1"));
    FAIL() << "pushed with a wrong password";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("401"), std::string::npos) << m;
    EXPECT_EQ(m.find("wrong-horse-battery"), std::string::npos) << m;
    EXPECT_EQ(m.find(Base64Encode("alice:wrong-horse-battery")), std::string::npos) << m;
  }
}

TEST_F(BasicAuthTest, AnonymousPullIsDenied) {
  Client(WithCredentials("alice:s3cret-pass")).Push(*store_, "private:1", Ref("team/private:1"));
  Store other(JoinPath(dir_, "other"));
  RegistryConfig anonymous;
  anonymous.docker_config_path = JoinPath(dir_, "none.json");
  try {
    Client(anonymous).Pull(other, Ref("team/private:1"));
    FAIL() << "anonymous pull of a private image";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("denied"), std::string::npos) << e.what();
  }
}

using TokenTest = RegistryTest;

TEST_F(TokenTest, AnonymousBearerTokenIsFetchedForTheRepositoryScope) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "tok:1", 0, 31);
  FaultProxy proxy(registry_->port(), Faults{.bearer_token = "t0k3n"});
  Client client({});
  EXPECT_EQ(client.Push(*a, "tok:1", Ref("tokens/img:1", proxy.host())).digest, built.digest);
  auto b = NewStore("b");
  EXPECT_EQ(client.Pull(*b, Ref("tokens/img:1", proxy.host())).digest, built.digest);
  int push_tokens = 0, pull_tokens = 0, unauthorized = 0;
  for (auto& r : proxy.requests()) {
    if (r.rfind("GET /token?", 0) == 0) {
      push_tokens += r.find("scope=repository%3Atokens%2Fimg%3Apull%2Cpush") != std::string::npos;
      pull_tokens += r.find("scope=repository%3Atokens%2Fimg%3Apull ") != std::string::npos;
    } else {
      unauthorized += r.find("Authorization: Bearer t0k3n") == std::string::npos;
    }
  }
  EXPECT_EQ(push_tokens, 1);  // one token for the whole push
  EXPECT_EQ(pull_tokens, 1);  // and one for the pull
  // Only requests sent before a token existed go without: the push's parallel first HEADs and
  // the pull's first manifest request.
  EXPECT_LE(unauthorized, 3);
}

}  // namespace
}  // namespace cairn::store::registry::testing
