#include "builder/multi_platform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cairn::builder {
namespace {

std::vector<std::string> Order(const std::string& list) {
  std::vector<std::string> out;
  for (auto& p : IndexOrder(ParsePlatformList(list))) out.push_back(ToString(p));
  return out;
}

TEST(IndexOrder, IsTheKnownPlatformsOrderWhateverTheFlagsOrder) {
  EXPECT_THAT(Order("linux/s390x,linux/arm64,linux/amd64"), ::testing::ElementsAre("linux/amd64", "linux/arm64", "linux/s390x"));
  EXPECT_EQ(Order("linux/arm/v7,linux/386"), Order("linux/386,linux/arm/v7"));
}

}  // namespace
}  // namespace cairn::builder
