#include "store/cache_merge.h"

#include <gtest/gtest.h>

namespace cairn::store {
namespace {

std::string Key(char c) { return "sha256:" + std::string(64, c); }

CacheEntry Entry(char key, char layer = 0) {
  CacheEntry e{Key(key), std::nullopt};
  if (layer) e.layer = Layer{Descriptor{media::kOciLayerGzip, Key(layer), 1, {}}, Key(layer)};
  return e;
}

PublishedCache Published(const std::string& digest, int64_t at, std::vector<CacheEntry> entries, bool summary = false) {
  return PublishedCache{digest, digest, at, summary, std::move(entries)};
}

std::string Keys(const std::vector<MergedRecord>& records) {
  std::string out;
  for (auto& r : records) out += r.entry.key.substr(7, 1);
  return out;
}

TEST(CacheMergeTest, EveryWritersRecordsAreKeptOnceWithTheirLastUse) {
  auto merged = MergeCaches({Published("m1", 10, {Entry('a'), Entry('b')}), Published("m2", 20, {Entry('b'), Entry('c')})});
  EXPECT_EQ(Keys(merged), "abc");
  EXPECT_EQ(merged[0].last_used, 10);
  EXPECT_EQ(merged[1].last_used, 20);  // exported again by the later writer: used then
}

TEST(CacheMergeTest, ANonReproducibleStepGetsTheNewerExportsLayerForEveryReader) {
  auto one = MergeCaches({Published("m1", 10, {Entry('a', 'x')}), Published("m2", 20, {Entry('a', 'y')})});
  auto other = MergeCaches({Published("m2", 20, {Entry('a', 'y')}), Published("m1", 10, {Entry('a', 'x')})});
  EXPECT_EQ(one[0].entry.layer->descriptor.digest, Key('y'));
  EXPECT_EQ(other[0].entry.layer->descriptor.digest, Key('y'));
}

TEST(CacheMergeTest, ABoundDropsTheLeastRecentlyUsedAndRepublishesWhatItKeepsOfThem) {
  // m1 (oldest) holds a and b; b was exported again by m3, so only a is least recently used.
  auto plan = PlanBound({Published("m1", 10, {Entry('a'), Entry('b')}), Published("m2", 20, {Entry('c')}),
                         Published("m3", 30, {Entry('b'), Entry('d')}), Published("sum", 0, {Entry('a')}, true)},
                        {3, std::nullopt});
  EXPECT_EQ(Keys(plan.kept), "bcd");
  EXPECT_EQ(plan.drop, std::vector<std::string>{"m1"});  // never the summary
  EXPECT_TRUE(plan.republish.empty());                   // b and c live on in m3 and m2

  auto tighter = PlanBound({Published("m1", 10, {Entry('a')}), Published("m2", 20, {Entry('b'), Entry('c')})}, {2, std::nullopt});
  EXPECT_EQ(Keys(tighter.kept), "bc");
  EXPECT_EQ(tighter.drop, std::vector<std::string>{"m1"});

  // One export larger than the bound: its manifest goes, the kept part comes back with its time.
  auto big = PlanBound({Published("m1", 10, {Entry('a'), Entry('b'), Entry('c')})}, {2, std::nullopt});
  EXPECT_EQ(big.drop, std::vector<std::string>{"m1"});
  ASSERT_EQ(big.republish.size(), 1u);
  EXPECT_EQ(Keys(big.republish[0]), "ab");
  EXPECT_EQ(big.republish[0][0].last_used, 10);
}

TEST(CacheMergeTest, ASizeBoundKeepsTheNewestLayersThatFitCountingASharedLayerOnce) {
  // Every test layer is 1 byte. d (newest) and c share layer x; b has y; a (oldest) has z.
  auto plan = PlanBound({Published("m1", 10, {Entry('a', 'z')}), Published("m2", 20, {Entry('b', 'y')}),
                         Published("m3", 30, {Entry('c', 'x'), Entry('d', 'x'), Entry('e')})},
                        {std::nullopt, 2});
  EXPECT_EQ(Keys(plan.kept), "bcde");  // x and y: 2 bytes; an empty step costs nothing
  EXPECT_EQ(plan.drop, std::vector<std::string>{"m1"});
}

}  // namespace
}  // namespace cairn::store
