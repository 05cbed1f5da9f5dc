#include "builder/users.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace cairn::builder {
namespace {

ImageFileReader Files() {
  return [](const std::string& path) -> std::optional<std::string> {
    if (path == "/etc/passwd") return "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n";
    if (path == "/etc/group") return "root:x:0:\nstaff:x:50:app\napp:x:1001:\n";
    return std::nullopt;
  };
}

TEST(ResolveUser, NameGivesUidPrimaryGroupHomeAndSupplementaryGroups) {
  UserIds ids = ResolveUser("app", Files());
  EXPECT_EQ(ids.uid, 1000u);
  EXPECT_EQ(ids.gid, 1001u);
  EXPECT_EQ(ids.home, "/home/app");
  EXPECT_EQ(ids.supplementary_groups, std::vector<uint32_t>{50});
}

TEST(ResolveUser, NumericUnknownUserGetsSameGid) {
  UserIds ids = ResolveUser("4242", Files());
  EXPECT_EQ(ids.uid, 4242u);
  EXPECT_EQ(ids.gid, 4242u);
}

TEST(ResolveUser, ExplicitGroupByName) {
  UserIds ids = ResolveUser("app:staff", Files());
  EXPECT_EQ(ids.gid, 50u);
}

TEST(ResolveUser, UnknownNameSaysWhereItLooked) {
  try {
    ResolveUser("nobody", Files());
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unable to find user nobody: no matching entries in passwd file");
  }
}

TEST(ResolveUser, EmptyIsRootWithRootsHome) {
  UserIds ids = ResolveUser("", Files());
  EXPECT_EQ(ids.uid, 0u);
  EXPECT_EQ(ids.gid, 0u);
  EXPECT_EQ(ids.home, "/root");
}

TEST(ResolveUser, EmptyWithoutPasswdIsRootWithHomeSlash) {
  UserIds ids = ResolveUser("", [](const std::string&) { return std::optional<std::string>(); });
  EXPECT_EQ(ids.uid, 0u);
  EXPECT_EQ(ids.home, "/");
}


// runc's rules (CVE-2023-25173), as docker and BuildKit run USER.
TEST(ResolveProcessUser, NamedUserGetsPrimaryGroupThenMemberships) {
  UserIds ids = ResolveProcessUser("app", Files());
  EXPECT_EQ(ids.gid, 1001u);
  EXPECT_EQ(ids.supplementary_groups, (std::vector<uint32_t>{1001, 50}));
}

TEST(ResolveProcessUser, ExplicitGroupDropsMemberships) {
  EXPECT_EQ(ResolveProcessUser("app:staff", Files()).supplementary_groups, std::vector<uint32_t>{50});
  UserIds ids = ResolveProcessUser("1001:1001", Files());
  EXPECT_EQ(ids.uid, 1001u);
  EXPECT_EQ(ids.supplementary_groups, std::vector<uint32_t>{1001});
}

TEST(ResolveProcessUser, UnknownUidRunsWithGroupZero) {
  UserIds ids = ResolveProcessUser("1234", Files());
  EXPECT_EQ(ids.uid, 1234u);
  EXPECT_EQ(ids.gid, 0u);
  EXPECT_EQ(ids.supplementary_groups, std::vector<uint32_t>{0});
}

TEST(ResolveProcessUser, RootKeepsGroupZero) {
  EXPECT_EQ(ResolveProcessUser("", Files()).supplementary_groups, std::vector<uint32_t>{0});
}

}  // namespace
}  // namespace cairn::builder
