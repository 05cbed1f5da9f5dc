// Parsing /etc/subuid and /etc/subgid (runtime/userns.h).
#include <gtest/gtest.h>

#include "runtime/userns.h"

namespace cairn::runtime {
namespace {

TEST(FindSubordinateRange, MatchesByNameOrNumericId) {
  std::string text = "alice:100000:65536\nbob:165536:65536\n1002:231072:1000\n";
  auto bob = FindSubordinateRange(text, "bob", 1001);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->start, 165536u);
  EXPECT_EQ(bob->count, 65536u);
  auto by_id = FindSubordinateRange(text, "carol", 1002);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->start, 231072u);
  EXPECT_EQ(by_id->count, 1000u);
}

TEST(FindSubordinateRange, FirstWellFormedLineWins) {
  std::string text = "bob:x:65536\nbob:5:0\nbob:200000:10\nbob:300000:20\n";
  auto r = FindSubordinateRange(text, "bob", 7);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->start, 200000u);
  EXPECT_EQ(r->count, 10u);
}

TEST(FindSubordinateRange, NoEntryIsNoRange) {
  EXPECT_FALSE(FindSubordinateRange("", "bob", 1001));
  EXPECT_FALSE(FindSubordinateRange("bobby:100000:65536\nalice:1:2\n", "bob", 1001));
  EXPECT_FALSE(FindSubordinateRange("10011:100000:65536\n", "bob", 1001));
}

}  // namespace
}  // namespace cairn::runtime
