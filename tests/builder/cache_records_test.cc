// store::CacheRecords: the records `cairn prune` trims and StepCache hits on.
#include "store/cache_records.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "base/fs.h"
#include "builder/step_cache.h"
#include "tests/support/harness.h"

namespace cairn::store {
namespace {

std::string Key(char c) { return "sha256:" + std::string(64, c); }

Layer FakeLayer(Store& store, const std::string& bytes) {
  Descriptor d = store.PutBlob(bytes, "application/vnd.oci.image.layer.v1.tar+gzip");
  return Layer{d, "sha256:" + std::string(64, '9')};
}

void SetMtime(const std::string& path, time_t t) {
  struct timeval tv[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(utimes(path.c_str(), tv), 0);
}

TEST(CacheRecords, PutGetRemoveRoundTrip) {
  cairn::testing::TempDir dir;
  Store store(dir.path());
  CacheRecords records(store);
  Layer layer = FakeLayer(store, "layer-a");
  records.Put(Key('a'), CacheRecord{layer});
  records.Put(Key('b'), CacheRecord{});

  auto a = records.Get(Key('a'));
  ASSERT_TRUE(a && a->layer);
  EXPECT_EQ(a->layer->descriptor.digest, layer.descriptor.digest);
  EXPECT_EQ(a->layer->diff_id, layer.diff_id);
  auto b = records.Get(Key('b'));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->layer);
  EXPECT_FALSE(records.Get(Key('c')));

  auto list = records.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].key, Key('a'));
  EXPECT_TRUE(list[0].layer);
  EXPECT_GT(list[0].file_size, 0);
  EXPECT_FALSE(list[1].layer);

  EXPECT_TRUE(records.Remove(Key('a')));
  EXPECT_FALSE(records.Remove(Key('a')));
  EXPECT_FALSE(records.Get(Key('a')));
}

TEST(CacheRecords, DamagedRecordIsAMissAndListedUnreadable) {
  cairn::testing::TempDir dir;
  Store store(dir.path());
  CacheRecords records(store);
  WriteFileAtomic(records.PathFor(Key('d')), "{not json");
  EXPECT_FALSE(records.Get(Key('d')));
  auto list = records.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].readable);
}

TEST(CacheRecords, HitTouchesLastUsed) {
  cairn::testing::TempDir dir;
  Store store(dir.path());
  CacheRecords records(store);
  records.Put(Key('a'), CacheRecord{});
  SetMtime(records.PathFor(Key('a')), 1000);
  EXPECT_EQ(records.List()[0].last_used, 1000);
  ASSERT_TRUE(records.Get(Key('a')));
  EXPECT_GT(records.List()[0].last_used, 1000);
}

TEST(CacheRecords, TrimRemovesLeastRecentlyUsedFirstAndCountsSharedLayersOnce) {
  cairn::testing::TempDir dir;
  Store store(dir.path());
  CacheRecords records(store);
  Layer big = FakeLayer(store, std::string(10000, 'x'));
  Layer other = FakeLayer(store, std::string(5000, 'y'));
  records.Put(Key('a'), CacheRecord{big});    // oldest
  records.Put(Key('b'), CacheRecord{big});    // shares a's layer
  records.Put(Key('c'), CacheRecord{other});  // newest
  SetMtime(records.PathFor(Key('a')), 1000);
  SetMtime(records.PathFor(Key('b')), 2000);
  SetMtime(records.PathFor(Key('c')), 3000);

  // Everything fits: nothing goes.
  EXPECT_TRUE(records.TrimToBudget(1 << 20).empty());
  // Room for `other` and a record or two, not for `big`: a and b must both go, oldest first.
  auto removed = records.TrimToBudget(6000);
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0], Key('a'));
  EXPECT_EQ(removed[1], Key('b'));
  EXPECT_TRUE(records.Get(Key('c')));
  EXPECT_EQ(records.TrimToBudget(0).size(), 1u);
  EXPECT_TRUE(records.List().empty());
}

TEST(StepCacheOnRecords, RecordWithMissingLayerBlobIsAMiss) {
  cairn::testing::TempDir dir;
  Store store(dir.path());
  builder::StepCache cache(store);
  Layer layer{Descriptor{"application/vnd.oci.image.layer.v1.tar+gzip", Key('e'), 3, {}}, Key('f')};
  cache.Record(Key('a'), CacheRecord{layer});
  EXPECT_FALSE(cache.Lookup(Key('a')));
  Layer present = FakeLayer(store, "abc");
  cache.Record(Key('b'), CacheRecord{present});
  EXPECT_TRUE(cache.Lookup(Key('b')));
}

}  // namespace
}  // namespace cairn::store
