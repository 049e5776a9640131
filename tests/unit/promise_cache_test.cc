// The 1-RTT promise cache (proposer/core/promise_cache.h): taken out on use, LRU bounded by
// entries and bytes, and never used under another configuration epoch.
#include "proposer/core/promise_cache.h"

#include <string>

#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

CachedPromise Entry(const std::string& key, uint64_t epoch = 0, size_t value_bytes = 1) {
  CachedPromise e;
  e.key = key;
  e.next = Ballot{7, 1};
  e.reg.set_value(std::string(value_bytes, 'v'));
  e.reg.set_version(1);
  e.epoch = epoch;
  return e;
}

TEST(PromiseCacheTest, TakeRemovesTheEntry) {
  PromiseCache c(10, 1 << 20);
  c.Put(Entry("k"));
  ASSERT_EQ(c.size(), 1u);
  std::optional<CachedPromise> e = c.Take("k", 0);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->next, (Ballot{7, 1}));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.bytes(), 0u);
  EXPECT_FALSE(c.Take("k", 0).has_value()) << "a promise is used once";
  EXPECT_TRUE(c.CheckInvariants().ok()) << c.CheckInvariants();
}

TEST(PromiseCacheTest, EntryOfAnotherEpochIsDroppedNotUsed) {
  PromiseCache c(10, 1 << 20);
  c.Put(Entry("old", /*epoch=*/3));
  EXPECT_FALSE(c.Take("old", 4).has_value()) << "a promise of epoch 3 used under epoch 4";
  EXPECT_EQ(c.size(), 0u) << "the stale entry is dropped";
  c.Put(Entry("new", /*epoch=*/4));
  EXPECT_FALSE(c.Take("new", 3).has_value());
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.CheckInvariants().ok()) << c.CheckInvariants();
}

TEST(PromiseCacheTest, BoundedByEntriesEvictingTheLeastRecentlyUsed) {
  PromiseCache c(2, 1 << 20);
  EXPECT_EQ(c.Put(Entry("a")), 0u);
  EXPECT_EQ(c.Put(Entry("b")), 0u);
  EXPECT_EQ(c.Put(Entry("a")), 0u) << "replacing is not growing";
  EXPECT_EQ(c.Put(Entry("c")), 1u);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.Take("b", 0).has_value()) << "b was the least recently put";
  EXPECT_TRUE(c.Take("a", 0).has_value());
  EXPECT_TRUE(c.CheckInvariants().ok()) << c.CheckInvariants();
}

TEST(PromiseCacheTest, BoundedByBytes) {
  const size_t one = PromiseCache::EntryBytes("a", Entry("a", 0, 100).reg);
  PromiseCache c(100, 2 * one);
  c.Put(Entry("a", 0, 100));
  c.Put(Entry("b", 0, 100));
  EXPECT_EQ(c.bytes(), 2 * one);
  EXPECT_EQ(c.Put(Entry("c", 0, 100)), 1u);
  EXPECT_LE(c.bytes(), 2 * one);
  EXPECT_EQ(c.Put(Entry("huge", 0, 10 * one)), 3u) << "an entry over the byte bound stays out";
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.CheckInvariants().ok()) << c.CheckInvariants();
}

TEST(PromiseCacheTest, ZeroEntriesStoresNothingAndLowerBoundsEvictAtOnce) {
  PromiseCache off(0, 1 << 20);
  off.Put(Entry("a"));
  EXPECT_EQ(off.size(), 0u);
  PromiseCache c(10, 1 << 20);
  for (const char* k : {"a", "b", "c"}) c.Put(Entry(k));
  EXPECT_EQ(c.SetBounds(1, 1 << 20), 2u);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_TRUE(c.Take("c", 0).has_value()) << "the most recent entry stays";
  EXPECT_TRUE(c.CheckInvariants().ok()) << c.CheckInvariants();
}

}  // namespace
}  // namespace gryadka::core
