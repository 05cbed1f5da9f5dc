// cairn pull / push / login / logout through the real binary against Debian's docker-registry
// on 127.0.0.1 (plain http, as docker uses for loopback).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "tests/support/harness.h"
#include "tests/store/registry/fake_credential_helper.h"
#include "tests/store/registry/test_registry.h"

namespace cairn {
namespace {

using cairn::testing::Cairn;
using cairn::testing::TempDir;
namespace treg = cairn::store::registry::testing;

class RegistryVerbs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    cairn::testing::ImportBusybox(StoreA());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string StoreA() { return *dir_ / "store-a"; }
  // Every cairn call gets its own docker config so the host's credentials never leak in.
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }
  static std::string DigestIn(const std::string& out) {
    size_t at = out.find("sha256:");
    return at == std::string::npos ? "" : out.substr(at, 71);
  }

  static TempDir* dir_;
  TempDir tmp_;
};
TempDir* RegistryVerbs::dir_ = nullptr;

TEST_F(RegistryVerbs, PushedImageIsPulledIntoAFreshStoreWithTheSameDigest) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/team/bb:1";
  ASSERT_EQ(Cairn(StoreA(), {"tag", "busybox", ref}).exit_code, 0);
  auto push = Cairn(StoreA(), {"push", ref}, Env());
  ASSERT_EQ(push.exit_code, 0) << push.err << registry.log();
  std::string pushed = DigestIn(push.out);
  ASSERT_FALSE(pushed.empty()) << push.out;

  std::string b = tmp_ / "store-b";
  auto pull = Cairn(b, {"pull", ref}, Env());
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(DigestIn(pull.out), pushed);
  // Findable by the name the user wrote, and usable.
  auto inspect = Cairn(b, {"inspect", ref});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  auto run = Cairn(b, {"run", "--rm", ref, "sh", "-c", "echo pulled-ok"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("pulled-ok"), std::string::npos) << run.out;
}

TEST_F(RegistryVerbs, BuildPullsAMissingBaseAndPushesItsResult) {
  treg::TestRegistry registry;
  std::string base = registry.host() + "/lib/base:1";
  ASSERT_EQ(Cairn(StoreA(), {"tag", "busybox", base}).exit_code, 0);
  ASSERT_EQ(Cairn(StoreA(), {"push", base}, Env()).exit_code, 0);

  std::string c = tmp_ / "store-c";  // empty: FROM must come from the registry
  cairn::testing::WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM " + base + "\nRUN echo built > /out\n");
  std::string app = registry.host() + "/team/app:2";
  auto build = Cairn(c, {"build", "--push", "-t", app, tmp_ / "ctx"}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err;

  std::string d = tmp_ / "store-d";
  ASSERT_EQ(Cairn(d, {"pull", app}, Env()).exit_code, 0);
  auto run = Cairn(d, {"run", "--rm", app, "cat", "/out"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("built"), std::string::npos) << run.out;
}

TEST_F(RegistryVerbs, BuildOutputsGoToTheRegistryAndToAnArchive) {
  treg::TestRegistry registry;
  cairn::testing::WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nRUN echo out > /o\n");
  std::string app = registry.host() + "/team/out:1";
  auto build = Cairn(StoreA(), {"build", "-t", app, "--output", "type=registry", "--output",
                                "type=oci,dest=" + (tmp_ / "img.tar"), tmp_ / "ctx"}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_TRUE(PathExists(tmp_ / "img.tar"));
  EXPECT_EQ(Cairn(tmp_ / "store-e", {"pull", app}, Env()).exit_code, 0);
  auto bad = Cairn(StoreA(), {"build", "-t", app, "--output", "type=nonsense", tmp_ / "ctx"}, Env());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("unknown type"), std::string::npos) << bad.err;
}

TEST_F(RegistryVerbs, PushOfAnUnknownNameSaysToTagFirst) {
  auto r = Cairn(StoreA(), {"push", "127.0.0.1:1/nothing/here:1"}, Env());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cairn tag"), std::string::npos) << r.err;
}

TEST_F(RegistryVerbs, LoginWritesPrivateCredentialsThatPushUsesAndLogoutRemoves) {
  std::string line;
  ASSERT_EQ(treg::RunCommand({"htpasswd", "-Bbn", "alice", "s3cret-pass"}, &line), 0) << line;
  WriteFileAtomic(tmp_ / "htpasswd", line);
  treg::TestRegistry registry(tmp_ / "htpasswd");
  std::string ref = registry.host() + "/private/bb:1";
  ASSERT_EQ(Cairn(StoreA(), {"tag", "busybox", ref}).exit_code, 0);

  auto denied = Cairn(StoreA(), {"push", ref}, Env());
  EXPECT_NE(denied.exit_code, 0);

  auto login = Cairn(StoreA(), {"login", "-u", "alice", "-p", "s3cret-pass", registry.host()}, Env());
  ASSERT_EQ(login.exit_code, 0) << login.err;
  std::string config = tmp_ / "docker/config.json";
  struct stat st{};
  ASSERT_EQ(stat(config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string text = ReadFile(config);
  EXPECT_EQ(text.find("s3cret-pass"), std::string::npos) << "stored base64, not in clear";
  EXPECT_NE(text.find(registry.host()), std::string::npos);

  auto push = Cairn(StoreA(), {"push", ref}, Env());
  EXPECT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(push.err.find("s3cret-pass"), std::string::npos);

  auto logout = Cairn(StoreA(), {"logout", registry.host()}, Env());
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_EQ(ReadFile(config).find(registry.host()), std::string::npos);
  EXPECT_NE(Cairn(StoreA(), {"pull", ref}, Env()).exit_code, 0);
}

TEST_F(RegistryVerbs, LoginStoresThroughTheConfiguredCredentialHelper) {
  std::string line;
  ASSERT_EQ(treg::RunCommand({"htpasswd", "-Bbn", "alice", "s3cret-pass"}, &line), 0) << line;
  WriteFileAtomic(tmp_ / "htpasswd", line);
  treg::TestRegistry registry(tmp_ / "htpasswd");
  treg::FakeCredentialHelper helper(tmp_ / "helper", "cairntest");  // first on PATH for cairn too
  std::string config = tmp_ / "docker/config.json";
  cairn::testing::WriteTextFile(config, R"({"credsStore": "cairntest"})");
  std::string ref = registry.host() + "/private/helper:1";
  ASSERT_EQ(Cairn(StoreA(), {"tag", "busybox", ref}).exit_code, 0);

  auto login = Cairn(StoreA(), {"login", "-u", "alice", "-p", "s3cret-pass", registry.host()}, Env());
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("docker-credential-cairntest"), std::string::npos) << login.out;
  EXPECT_NE(helper.Stored(registry.host()).find("\"Secret\":\"s3cret-pass\""), std::string::npos) << helper.Stored(registry.host());
  EXPECT_NE(helper.Stored(registry.host()).find("\"Username\":\"alice\""), std::string::npos);
  std::string text = ReadFile(config);
  EXPECT_EQ(text.find("auth\""), std::string::npos) << "the secret went to the helper, not the file: " << text;
  EXPECT_NE(text.find("credsStore"), std::string::npos) << text;

  auto push = Cairn(StoreA(), {"push", ref}, Env());
  EXPECT_EQ(push.exit_code, 0) << push.err;
  EXPECT_NE(helper.Calls().find("get " + registry.host()), std::string::npos) << helper.Calls();

  auto logout = Cairn(StoreA(), {"logout", registry.host()}, Env());
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_EQ(helper.Stored(registry.host()), "");
  auto denied = Cairn(StoreA(), {"pull", ref}, Env());
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_EQ(denied.err.find("s3cret-pass"), std::string::npos) << denied.err;
}

}  // namespace
}  // namespace cairn
