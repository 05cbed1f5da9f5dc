// `cairn build --pull`, as docker build: every base image is resolved at its registry again,
// even when the store has it, so a tag that moved is seen; without --pull the store's copy is
// used. Through the real binary against Debian's docker-registry on 127.0.0.1.
#include <gtest/gtest.h>

#include "tests/store/registry/test_registry.h"
#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

namespace treg = cairn::store::registry::testing;

class BuildPull : public BusyboxStore<BuildPull> {
 protected:
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }
  // Builds `FROM busybox` + /v holding text in the busybox store and pushes it as ref.
  void PushBase(const std::string& ref, const std::string& text) {
    WriteTextFile(tmp_ / "base/Dockerfile", "FROM busybox\nRUN echo " + text + " > /v\n");
    auto r = Cairn(Root(), {"build", "--progress", "plain", "--push", "-t", ref, tmp_ / "base"}, Env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Builds FROM ref in the second store (with the flags) and returns what /v held there.
  std::string BuildOn(const std::string& ref, const std::vector<std::string>& flags) {
    WriteTextFile(tmp_ / "app/Dockerfile", "FROM " + ref + "\nRUN cat /v > /seen\n");
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "app"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "app");
    auto r = Cairn(tmp_ / "store-b", args, Env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto seen = Cairn(tmp_ / "store-b", {"run", "--rm", "app", "cat", "/seen"});
    EXPECT_EQ(seen.exit_code, 0) << seen.err;
    return seen.out;
  }

  TempDir tmp_;
};

TEST_F(BuildPull, PullSeesATagThatMovedWhereTheStoresCopyWouldBeUsed) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/team/base:1";
  PushBase(ref, "one");
  EXPECT_EQ(BuildOn(ref, {}), "one\n");  // pulled: the store lacked it

  PushBase(ref, "two");  // the tag moves
  EXPECT_EQ(BuildOn(ref, {}), "one\n");  // the store's copy, as docker build without --pull
  EXPECT_EQ(BuildOn(ref, {"--pull"}), "two\n");
}

TEST_F(BuildPull, PullOfAnImageTheRegistryLacksFailsNamingIt) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/team/local-only:1";
  ASSERT_EQ(Cairn(Root(), {"tag", "busybox", ref}).exit_code, 0);
  WriteTextFile(tmp_ / "app/Dockerfile", "FROM " + ref + "\n");
  auto local = Cairn(Root(), {"build", tmp_ / "app"}, Env());
  EXPECT_EQ(local.exit_code, 0) << local.err;  // the store has it
  auto pulled = Cairn(Root(), {"build", "--pull", tmp_ / "app"}, Env());
  EXPECT_NE(pulled.exit_code, 0);  // --pull asks the registry, which has no such image
  EXPECT_NE(pulled.err.find("team/local-only"), std::string::npos) << pulled.err;
}

}  // namespace
}  // namespace cairn::testing
