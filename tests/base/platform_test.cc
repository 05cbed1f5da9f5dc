#include "base/platform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"

namespace cairn {
namespace {

using ::testing::HasSubstr;

std::string Norm(const std::string& text) { return ToString(ParsePlatform(text)); }

std::string ErrorOf(const std::string& text) {
  try {
    ParsePlatform(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Platform, EveryListedPlatformParsesToItself) {
  for (auto& p : KnownPlatforms()) EXPECT_EQ(Norm(p), p);
}

TEST(Platform, AliasesMeanTheSameMachine) {
  EXPECT_EQ(Norm("linux/x86_64"), "linux/amd64");
  EXPECT_EQ(Norm("linux/aarch64"), "linux/arm64");
  EXPECT_EQ(Norm("linux/arm64/v8"), "linux/arm64");
  EXPECT_EQ(Norm("linux/arm"), "linux/arm/v7");
  EXPECT_EQ(Norm("linux/armhf"), "linux/arm/v7");
  EXPECT_EQ(Norm("linux/i386"), "linux/386");
  EXPECT_EQ(Norm("Linux/ARM64"), "linux/arm64");
}

TEST(Platform, MalformedTextSaysWhatToWrite) {
  EXPECT_THAT(ErrorOf("arm64"), HasSubstr("platform \"arm64\": want OS/ARCH[/VARIANT]"));
  EXPECT_THAT(ErrorOf("linux//v7"), HasSubstr("want OS/ARCH"));
  EXPECT_THAT(ErrorOf("linux/arm/v7/x"), HasSubstr("want OS/ARCH"));
}

TEST(Platform, UnknownPlatformListsTheKnownOnes) {
  EXPECT_THAT(ErrorOf("linux/mips"), HasSubstr("platform \"linux/mips\" is unknown; cairn builds linux/amd64, linux/arm64"));
  EXPECT_THAT(ErrorOf("windows/amd64"), HasSubstr("cairn builds Linux images only"));
}

TEST(Platform, ListIsParsedInOrderAndRepeatsAreRefused) {
  auto list = ParsePlatformList("linux/arm64,linux/amd64");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(ToString(list[0]), "linux/arm64");
  EXPECT_THROW(ParsePlatformList("linux/arm64,linux/aarch64"), Error);
  EXPECT_THROW(ParsePlatformList("linux/arm64,"), Error);
}

TEST(Platform, ConfigFieldsAreNormalisedWithoutThrowing) {
  EXPECT_EQ(ToString(NormalizePlatform({"linux", "aarch64", ""})), "linux/arm64");
  EXPECT_EQ(ToString(NormalizePlatform({"linux", "mips64", ""})), "linux/mips64");
}

TEST(Platform, QemuNamesAreBinfmtNames) {
  EXPECT_EQ(QemuName(ParsePlatform("linux/arm64")), "aarch64");
  EXPECT_EQ(QemuName(ParsePlatform("linux/arm/v7")), "arm");
  EXPECT_EQ(QemuName(ParsePlatform("linux/amd64")), "x86_64");
}

}  // namespace
}  // namespace cairn
