#include "builder/known_causes.h"

#include <gtest/gtest.h>

namespace cairn::builder {
namespace {

TEST(KnownCauses, TheSevenFilesOfAnAptInstallEachHaveACauseAndARemedy) {
  for (const char* path : {"var/cache/apt/pkgcache.bin", "var/cache/apt/srcpkgcache.bin", "var/cache/ldconfig/aux-cache",
                           "var/log/dpkg.log", "var/log/alternatives.log", "var/log/apt/history.log", "var/log/apt/term.log"}) {
    auto c = KnownCauseOf(path);
    ASSERT_TRUE(c) << path;
    EXPECT_FALSE(c->cause.empty()) << path;
    EXPECT_NE(c->remedy.find("rm "), std::string::npos) << path << ": " << c->remedy;
  }
  EXPECT_NE(KnownCauseOf("/var/cache/apt/pkgcache.bin")->remedy.find("/var/cache/apt/*.bin"), std::string::npos);
  EXPECT_NE(KnownCauseOf("var/log/apt/term.log")->cause.find("apt"), std::string::npos);
}

TEST(KnownCauses, PythonByteCodeNamesSourceDateEpoch) {
  auto c = KnownCauseOf("usr/lib/python3.11/__pycache__/os.cpython-311.pyc");
  ASSERT_TRUE(c);
  EXPECT_NE(c->remedy.find("SOURCE_DATE_EPOCH"), std::string::npos);
}

TEST(KnownCauses, HostNameOnlyWhenTheContentNamesIt) {
  EXPECT_FALSE(KnownCauseOf("etc/motd"));
  auto c = KnownCauseOf("etc/motd", /*mentions_host=*/true);
  ASSERT_TRUE(c);
  EXPECT_NE(c->cause.find("host"), std::string::npos);
}

TEST(KnownCauses, AnOrdinaryFileHasNone) {
  EXPECT_FALSE(KnownCauseOf("usr/bin/app"));
  EXPECT_FALSE(KnownCauseOf("var/cache/apt/archives/partial"));
}

}  // namespace
}  // namespace cairn::builder
