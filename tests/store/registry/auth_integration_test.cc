// Authentication against real servers: an htpasswd registry (basic) with credentials from
// docker's file or a real credential helper program, a token challenge (anonymous, and an
// identity token traded as a refresh token), and a registry that demands mutual TLS.
#include <gtest/gtest.h>

#include "base/base64.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/registry/auth.h"
#include "tests/store/registry/fake_credential_helper.h"
#include "tests/store/registry/fault_proxy.h"
#include "tests/store/registry/registry_test_base.h"
#include "tests/store/registry/test_certs.h"
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
  RegistryConfig WithConfig(const std::string& json) {
    RegistryConfig c;
    c.docker_config_path = JoinPath(dir_, "docker-config.json");
    WriteFileAtomic(c.docker_config_path, json);
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

TEST_F(BasicAuthTest, CredsStoreHelperSuppliesThePassword) {
  FakeCredentialHelper helper(JoinPath(dir_, "helper"), "cairntest");
  helper.Put(registry_->host(), "alice", "s3cret-pass");
  Client client(WithConfig(R"({"credsStore": "cairntest", "auths": {")" + registry_->host() + R"(": {}}})"));
  EXPECT_EQ(client.Push(*store_, "private:1", Ref("team/private:1")).digest, built_.digest);
  Store other(JoinPath(dir_, "other"));
  EXPECT_EQ(client.Pull(other, Ref("team/private:1")).digest, built_.digest);
  EXPECT_NE(helper.Calls().find("get " + registry_->host()), std::string::npos) << helper.Calls();
}

TEST_F(BasicAuthTest, WrongPasswordFromCredHelperFailsWithoutShowingIt) {
  FakeCredentialHelper helper(JoinPath(dir_, "helper"), "cairntest");
  helper.Put(registry_->host(), "alice", "helper-wrong-pw");
  Client client(WithConfig(R"({"credHelpers": {")" + registry_->host() + R"(": "cairntest"}})"));
  try {
    client.Push(*store_, "private:1", Ref("team/private:1"));
    FAIL() << "pushed with a wrong password";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("401"), std::string::npos) << m;
    EXPECT_EQ(m.find("helper-wrong-pw"), std::string::npos) << m;
    EXPECT_EQ(m.find(Base64Encode("alice:helper-wrong-pw")), std::string::npos) << m;
  }
}

using TokenTest = RegistryTest;

// docker's identity tokens (an "identitytoken" in auths, or a helper's "<token>" user) are
// OAuth2 refresh tokens: traded with a form POST, never sent as basic auth.
TEST_F(TokenTest, IdentityTokenIsTradedAtTheTokenServiceAsARefreshToken) {
  auto a = NewStore("a");
  Descriptor built = MakeTestImage(*a, "idt:1", 0, 32);
  FaultProxy proxy(registry_->port(), Faults{.bearer_token = "acc3ss", .refresh_token = "id-tok-7"});
  RegistryConfig config;
  config.docker_config_path = JoinPath(dir_, "config.json");
  WriteFileAtomic(config.docker_config_path,
                  R"({"auths": {")" + proxy.host() + R"(": {"identitytoken": "id-tok-7"}}})");
  EXPECT_EQ(Client(config).Push(*a, "idt:1", Ref("ids/img:1", proxy.host())).digest, built.digest);

  FakeCredentialHelper helper(JoinPath(dir_, "helper"), "cairntest");
  helper.Put(proxy.host(), "<token>", "id-tok-7");
  WriteFileAtomic(config.docker_config_path, R"({"credsStore": "cairntest"})");
  auto b = NewStore("b");
  EXPECT_EQ(Client(config).Pull(*b, Ref("ids/img:1", proxy.host())).digest, built.digest);

  int posts = 0;
  for (auto& r : proxy.requests()) {
    EXPECT_EQ(r.rfind("GET /token", 0), std::string::npos) << "a token GET with an identity token: " << r;
    EXPECT_EQ(r.find("Authorization: Basic"), std::string::npos) << r;
    posts += r.rfind("POST /token", 0) == 0;
  }
  EXPECT_EQ(posts, 2);
}

TEST_F(TokenTest, RefusedIdentityTokenIsAnErrorWithoutTheToken) {
  auto a = NewStore("a");
  MakeTestImage(*a, "idt:2", 0, 33);
  FaultProxy proxy(registry_->port(), Faults{.bearer_token = "acc3ss", .refresh_token = "the-right-one"});
  RegistryConfig config;
  config.docker_config_path = JoinPath(dir_, "config.json");
  WriteFileAtomic(config.docker_config_path,
                  R"({"auths": {")" + proxy.host() + R"(": {"identitytoken": "stale-token-42"}}})");
  try {
    Client(config).Push(*a, "idt:2", Ref("ids/img:2", proxy.host()));
    FAIL() << "pushed with a refused identity token";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("refused"), std::string::npos) << m;
    EXPECT_EQ(m.find("stale-token-42"), std::string::npos) << m;
  }
}

// A registry on loopback that serves only https and demands a client certificate, configured
// as docker's /etc/docker/certs.d/HOST:PORT/ would be (CAIRN_CERTS_D points at a temp copy).
class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("/tmp", "cairn-registry-tls-");
    certs_ = MakeTestCerts(JoinPath(dir_, "pki"));
    registry_ = std::make_unique<TestRegistry>(
        "", ServerTls{certs_.server_crt, certs_.server_key, certs_.ca_crt, certs_.ca_crt, certs_.client_cert, certs_.client_key});
    host_dir_ = JoinPath(dir_, "certs.d/" + registry_->host());
    MakeDirs(host_dir_);
    setenv("CAIRN_CERTS_D", JoinPath(dir_, "certs.d").c_str(), 1);
    store_ = std::make_unique<Store>(JoinPath(dir_, "store"));
    built_ = MakeTestImage(*store_, "tls:1", 0, 34);
    config_.docker_config_path = JoinPath(dir_, "none.json");
  }
  void TearDown() override {
    unsetenv("CAIRN_CERTS_D");
    store_.reset();
    registry_.reset();
    RemoveAll(dir_);
  }
  void Install(const std::string& from, const std::string& name) { WriteFileAtomic(JoinPath(host_dir_, name), ReadFile(from)); }
  Reference Ref(const std::string& s) { return ParseReference(registry_->host() + "/" + s); }

  std::string dir_, host_dir_;
  TestCerts certs_;
  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<Store> store_;
  Descriptor built_;
  RegistryConfig config_;
};

TEST_F(MutualTlsTest, CertsDirectoryGivesTheCaAndClientCertificate) {
  Install(certs_.ca_crt, "ca.crt");
  Install(certs_.client_cert, "client.cert");
  Install(certs_.client_key, "client.key");
  Client client(config_);
  EXPECT_EQ(client.Push(*store_, "tls:1", Ref("secure/img:1")).digest, built_.digest);
  Store other(JoinPath(dir_, "other"));
  EXPECT_EQ(client.Pull(other, Ref("secure/img:1")).digest, built_.digest);
}

TEST_F(MutualTlsTest, WithoutTheClientCertificateTheRegistryRefuses) {
  Install(certs_.ca_crt, "ca.crt");
  EXPECT_THROW(Client(config_).Push(*store_, "tls:1", Ref("secure/img:1")), Error);
}

TEST_F(MutualTlsTest, ClientCertificateWithoutItsKeyIsAnErrorNamingTheKey) {
  Install(certs_.ca_crt, "ca.crt");
  Install(certs_.client_cert, "client.cert");
  try {
    Client(config_).Push(*store_, "tls:1", Ref("secure/img:1"));
    FAIL() << "pushed without a client key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(JoinPath(host_dir_, "client.key")), std::string::npos) << e.what();
  }
}

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
