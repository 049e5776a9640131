#include "proposer/core/ballot.h"

#include "gtest/gtest.h"
#include "proposer/core/random.h"

namespace gryadka::core {
namespace {

TEST(BallotTest, OrderedByCounterThenProposerId) {
  EXPECT_LT((Ballot{1, 9}), (Ballot{2, 0}));
  EXPECT_LT((Ballot{2, 1}), (Ballot{2, 2}));
  EXPECT_EQ((Ballot{3, 4}), (Ballot{3, 4}));
  EXPECT_TRUE(Ballot{}.IsZero());
  EXPECT_FALSE((Ballot{0, 1}).IsZero());
}

TEST(BallotTest, EncodingIsFixedWidthLowercaseHex) {
  EXPECT_EQ((Ballot{0x1a, 0xff}).Encode(), "000000000000001a00000000000000ff");
  EXPECT_EQ(Ballot{}.Encode(), std::string(32, '0'));
  EXPECT_EQ((Ballot{~0ULL, ~0ULL}).Encode(), std::string(32, 'f'));
}

TEST(BallotTest, StringOrderOfEncodingIsNumericOrder) {
  Random rng(7);
  for (int i = 0; i < 20000; ++i) {
    // Mix tiny and huge values so that carries across nibbles and > 2^53 counters are covered.
    auto draw = [&] { return rng.Chance(0.5) ? rng.Uniform(4) : rng.Next(); };
    Ballot a{draw(), draw()}, b{draw(), draw()};
    ASSERT_EQ(a < b, a.Encode() < b.Encode()) << a.DebugString() << " vs " << b.DebugString();
    ASSERT_EQ(a == b, a.Encode() == b.Encode());
  }
}

TEST(BallotTest, DecodeRoundTripsAndRejectsMalformed) {
  Ballot b{0x123456789abcdefULL, 42};
  EXPECT_EQ(Ballot::Decode(b.Encode()), b);
  EXPECT_FALSE(Ballot::Decode("").has_value());
  EXPECT_FALSE(Ballot::Decode(std::string(31, '0')).has_value());
  EXPECT_FALSE(Ballot::Decode(std::string(33, '0')).has_value());
  EXPECT_FALSE(Ballot::Decode("000000000000001A00000000000000ff").has_value());  // uppercase
  EXPECT_FALSE(Ballot::Decode("00000000000000-100000000000000ff").has_value());
}

}  // namespace
}  // namespace gryadka::core
