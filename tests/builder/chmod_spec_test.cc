#include "builder/chmod_spec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/error.h"

namespace cairn::builder {
namespace {

mode_t Apply(const std::string& spec, mode_t mode, bool is_dir = false) {
  return ChmodSpec::Parse(spec).Apply(mode, is_dir);
}

TEST(ChmodSpecTest, OctalIsAbsolute) {
  EXPECT_EQ(Apply("755", 0600), 0755u);
  EXPECT_EQ(Apply("0640", 0777, true), 0640u);
  EXPECT_EQ(Apply("4755", 0644), 04755u);
}

TEST(ChmodSpecTest, SymbolicIsRelativeToTheSource) {
  EXPECT_EQ(Apply("u+x", 0644), 0744u);
  EXPECT_EQ(Apply("go-w", 0666), 0644u);
  EXPECT_EQ(Apply("u=rwx,go=rx", 0600), 0755u);
  EXPECT_EQ(Apply("a-rwx", 0777), 0u);
  EXPECT_EQ(Apply("+x", 0644), 0755u);  // no who: all classes, no umask
  EXPECT_EQ(Apply("o=", 0777), 0770u);
  EXPECT_EQ(Apply("u+rw-x", 0500), 0600u);  // several actions in one clause
}

TEST(ChmodSpecTest, CapitalXOnlyForDirectoriesAndExecutables) {
  EXPECT_EQ(Apply("a+X", 0644), 0644u);
  EXPECT_EQ(Apply("a+X", 0744), 0755u);
  EXPECT_EQ(Apply("a+X", 0700, /*is_dir=*/true), 0711u);
}

TEST(ChmodSpecTest, CopyFromAnotherClassAndSpecialBits) {
  EXPECT_EQ(Apply("g=u", 0700), 0770u);
  EXPECT_EQ(Apply("u+s", 0755), 04755u);
  EXPECT_EQ(Apply("o+t", 0777, true), 01777u);
  EXPECT_EQ(Apply("u=rw", 04755), 0655u);  // '=' drops the class's setuid bit too
}

TEST(ChmodSpecTest, GarbageIsAnErrorNamingTheValue) {
  for (const char* bad : {"", "u+x9", "99", "17777", "z+x", "u", "u+x,", ",u+x", "u+q", "rwx", "64a"}) {
    try {
      ChmodSpec::Parse(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("invalid chmod parameter: '") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ChmodSpecTest, InvalidValueGetsBuildKitsMessage) {
  try {
    ChmodSpec::Parse("64a");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("invalid chmod parameter: '64a'. it should be octal string and between 0 "
                                          "and 07777", 0), 0u) << e.what();
  }
}

TEST(ChmodSpecTest, LeadingZerosUpTo07777AreOctal) {
  EXPECT_EQ(ChmodSpec::Parse("07777").Apply(S_IFREG | 0644, false), 07777u);
  EXPECT_EQ(ChmodSpec::Parse("00644").Apply(S_IFREG | 0600, false), 0644u);
}

}  // namespace
}  // namespace cairn::builder
