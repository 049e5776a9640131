// Rendezvous hashing: stable, spreads keys, and moves only the keys of a removed target.
#include "client/rendezvous.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gryadka::client {
namespace {

const std::vector<std::string> kThree = {"10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"};

std::string Key(int i) { return absl::StrCat("user:", i); }

TEST(Hash64, IsAFixedFunctionOfTheBytes) {
  // Pinned values: changing the hash re-routes every key of every deployed client, which
  // costs every proposer its one-round-trip cache. Change them only on purpose.
  EXPECT_EQ(Hash64("", 0), 0xa706dd2f4d197e6fULL);
  EXPECT_EQ(Hash64("greeting", 0), 0x0b5a2d2c18df75f5ULL);
  EXPECT_EQ(Hash64("a key longer than eight bytes", 42), 0xed6a6efaf5b0239dULL);
  EXPECT_NE(Hash64("a", 0), Hash64("a", 1));
  EXPECT_NE(Hash64("a", 0), Hash64(std::string("a\0", 2), 0));  // length matters
}

TEST(Rendezvous, RankIsAPermutationWhosePickIsFirst) {
  Rendezvous r(kThree);
  for (int i = 0; i < 200; ++i) {
    std::vector<size_t> rank = r.Rank(Key(i));
    ASSERT_EQ(rank.size(), 3u);
    std::vector<size_t> sorted = rank;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (std::vector<size_t>{0, 1, 2}));
    EXPECT_EQ(r.Pick(Key(i)), rank[0]);
  }
}

TEST(Rendezvous, StableAcrossInstancesAndTargetOrder) {
  Rendezvous a(kThree);
  Rendezvous b({kThree[2], kThree[0], kThree[1]});
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(a.targets()[a.Pick(Key(i))], b.targets()[b.Pick(Key(i))]) << Key(i);
  }
}

TEST(Rendezvous, ThreeTargetsThreeThousandKeysEachGetsTwentyToFortySevenPercent) {
  Rendezvous r(kThree);
  std::vector<int> counts(3, 0);
  constexpr int kKeys = 3000;
  for (int i = 0; i < kKeys; ++i) ++counts[r.Pick(Key(i))];
  for (int c : counts) {
    EXPECT_GE(c, kKeys * 20 / 100) << "target got too few keys";
    EXPECT_LE(c, kKeys * 47 / 100) << "target got too many keys";
  }
}

TEST(Rendezvous, RemovingATargetMovesOnlyThatTargetsKeys) {
  Rendezvous before(kThree);
  Rendezvous after({kThree[0], kThree[2]});  // 10.0.0.2 removed
  int moved = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string& was = before.targets()[before.Pick(Key(i))];
    const std::string& now = after.targets()[after.Pick(Key(i))];
    if (was != kThree[1]) {
      EXPECT_EQ(was, now) << Key(i) << " moved although its target stayed";
    } else {
      ++moved;
      // It moves to its second choice in the old ranking.
      EXPECT_EQ(now, before.targets()[before.Rank(Key(i))[1]]) << Key(i);
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(Rendezvous, AddingATargetTakesKeysOnlyForItself) {
  Rendezvous before(kThree);
  std::vector<std::string> four = kThree;
  four.push_back("10.0.0.4:8080");
  Rendezvous after(four);
  int taken = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string& was = before.targets()[before.Pick(Key(i))];
    const std::string& now = after.targets()[after.Pick(Key(i))];
    if (now == four[3]) {
      ++taken;
    } else {
      EXPECT_EQ(was, now) << Key(i);
    }
  }
  EXPECT_GT(taken, 3000 * 15 / 100);
  EXPECT_LT(taken, 3000 * 35 / 100);
}

TEST(Rendezvous, SingleTarget) {
  Rendezvous r({"127.0.0.1:8080"});
  EXPECT_EQ(r.Pick("anything"), 0u);
  EXPECT_EQ(r.Rank("anything"), std::vector<size_t>{0});
}

}  // namespace
}  // namespace gryadka::client
