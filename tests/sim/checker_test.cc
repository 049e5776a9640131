// The checkers on small hand-written histories of the kv register: histories that are
// linearizable and ones that are not (stale reads, lost writes, a CAS that saw a version that
// never existed, unknown outcomes that surface or vanish).
#include <string>

#include "gtest/gtest.h"
#include "tests/sim/history.h"
#include "tests/sim/history_builder.h"
#include "tests/sim/linearizability_checker.h"
#include "tests/sim/rumor_checker.h"

namespace gryadka::sim {
namespace {

TEST(Checkers, CasLoopOfTwoClientsIsLinearizable) {
  Builder b;
  b.Op(0, Read(), Rec(true, "", 0));
  b.Op(1, Read(), Rec(true, "", 0));
  const uint64_t c0 = b.Call(0, Cas(0, "c0.1"));
  const uint64_t c1 = b.Call(1, Cas(0, "c1.1"));
  b.Ok(c1, Rec(false, "c0.1", 1));  // declined: c0's CAS went first
  b.Ok(c0, Rec(true, "c0.1", 1));
  b.Op(1, Read(), Rec(true, "c0.1", 1));
  b.Op(1, Cas(1, "c1.2"), Rec(true, "c1.2", 2));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);
  EXPECT_TRUE(b.RumorOk());
}

TEST(Checkers, StaleReadIsCaughtByBoth) {
  Builder b;
  b.Op(0, Put("a"), Rec(true, "a", 1));
  b.Op(1, Put("b"), Rec(true, "b", 2));
  b.Op(0, Read(), Rec(true, "a", 1));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
  const RumorReport rumor = CheckRumors(b.history());
  EXPECT_FALSE(rumor.ok);
  EXPECT_NE(rumor.violation.find("stale read"), std::string::npos) << rumor.violation;
}

TEST(Checkers, LostAcknowledgedWriteIsAViolation) {
  // c1's put was acknowledged, then a CAS based on the state before it succeeds.
  Builder b;
  b.Op(0, Put("a"), Rec(true, "a", 1));
  b.Op(1, Put("b"), Rec(true, "b", 2));
  b.Op(0, Cas(1, "c"), Rec(true, "c", 2));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
  EXPECT_FALSE(b.RumorOk());  // version 2 with two different values
}

TEST(Checkers, CasThatSawAVersionThatNeverExistedIsAViolation) {
  Builder b;
  b.Op(0, Put("a"), Rec(true, "a", 1));
  b.Op(0, Cas(5, "x"), Rec(true, "x", 6));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
  EXPECT_TRUE(b.RumorOk());  // newer, so the rumor check cannot tell
}

TEST(Checkers, DeclinedCasMustReportTheCurrentRecord) {
  Builder ok;
  ok.Op(0, Put("a"), Rec(true, "a", 1));
  ok.Op(0, Cas(7, "x"), Rec(false, "a", 1));
  EXPECT_EQ(ok.Linearizability(), Verdict::kLinearizable);

  Builder wrong;
  wrong.Op(0, Put("a"), Rec(true, "a", 1));
  wrong.Op(0, Cas(1, "x"), Rec(false, "a", 1));  // the version matched: it must have applied
  EXPECT_EQ(wrong.Linearizability(), Verdict::kViolation);
}

TEST(Checkers, UnknownOutcomeMayApplyLaterOrNever) {
  Builder later;
  const uint64_t w = later.Call(0, Put("a"));
  later.Fail(w, Outcome::kUnknown);
  later.Op(1, Read(), Rec(true, "", 0));
  later.Op(1, Read(), Rec(true, "a", 1));  // took effect after the client gave up
  EXPECT_EQ(later.Linearizability(), Verdict::kLinearizable);
  EXPECT_TRUE(later.RumorOk());

  Builder never;
  const uint64_t w2 = never.Call(0, Put("a"));
  never.Fail(w2, Outcome::kUnknown);
  never.Op(1, Read(), Rec(true, "", 0));
  EXPECT_EQ(never.Linearizability(), Verdict::kLinearizable);
}

TEST(Checkers, UnknownWriteThatWasSeenCannotVanish) {
  Builder b;
  const uint64_t w = b.Call(0, Put("a"));
  b.Fail(w, Outcome::kUnknown);
  b.Op(1, Read(), Rec(true, "a", 1));
  b.Op(1, Read(), Rec(true, "", 0));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
  EXPECT_FALSE(b.RumorOk());
}

TEST(Checkers, NotAppliedMeansNotApplied) {
  // UNAVAILABLE promises nothing was written: seeing its value is a violation.
  Builder b;
  const uint64_t w = b.Call(0, Put("a"));
  b.Fail(w, Outcome::kNotApplied);
  b.Op(1, Read(), Rec(true, "a", 1));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
}

TEST(Checkers, PendingOperationsAreUnknown) {
  Builder b;
  b.Call(0, Put("a"));  // never answered
  b.Op(1, Read(), Rec(true, "a", 1));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);
}

TEST(Checkers, ConcurrentIncrementsAddUp) {
  Builder b;
  const uint64_t i1 = b.Call(0, Increment(1));
  const uint64_t i2 = b.Call(1, Increment(2));
  b.Ok(i2, Rec(true, "3", 2));
  b.Ok(i1, Rec(true, "1", 1));
  b.Op(0, Read(), Rec(true, "3", 2));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);

  Builder lost;
  const uint64_t j1 = lost.Call(0, Increment(1));
  const uint64_t j2 = lost.Call(1, Increment(2));
  lost.Ok(j2, Rec(true, "2", 1));
  lost.Ok(j1, Rec(true, "1", 1));  // both started from absent: one increment lost
  EXPECT_EQ(lost.Linearizability(), Verdict::kViolation);
}

TEST(Checkers, VersionQueriesAreChecked) {
  Builder b;
  b.Op(0, Put("a"), Ver(true, 1));
  b.Op(0, Put("b"), Ver(true, 2));
  b.Op(1, Read(), Ver(true, 1));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
  EXPECT_FALSE(b.RumorOk());
}

TEST(Checkers, DeleteResetsTheVersionWithoutFalseRumors) {
  Builder b;
  b.Op(0, Put("a"), Rec(true, "a", 1));
  b.Op(0, Put("b"), Rec(true, "b", 2));
  b.Op(1, Delete(), Rec(true, "", 0));
  b.Op(1, Put("c"), Rec(true, "c", 1));
  b.Op(0, Read(), Rec(true, "c", 1));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);
  EXPECT_TRUE(b.RumorOk());

  Builder resurrected;  // a deleted value comes back
  resurrected.Op(0, Put("a"), Rec(true, "a", 1));
  resurrected.Op(1, Delete(), Rec(true, "", 0));
  resurrected.Op(0, Read(), Rec(true, "a", 1));
  EXPECT_EQ(resurrected.Linearizability(), Verdict::kViolation);
}

TEST(Checkers, KeysAreIndependentAndTheReportNamesTheKey) {
  Builder b;
  b.Op(0, Put("a"), Rec(true, "a", 1), "k0");
  b.Op(1, Put("a"), Rec(true, "a", 1), "k1");  // same value, other key: fine
  b.Op(0, Put("b"), Rec(true, "b", 2), "k1");
  b.Op(1, Read(), Rec(true, "a", 1), "k1");  // stale on k1 only
  const LinearizabilityReport r = CheckLinearizability(b.history(), core::Limits{});
  EXPECT_EQ(r.verdict, Verdict::kViolation);
  ASSERT_EQ(r.keys.size(), 2u);
  EXPECT_EQ(r.keys[0].verdict, Verdict::kLinearizable);
  EXPECT_EQ(r.keys[1].verdict, Verdict::kViolation);
  EXPECT_NE(r.Summary().find("key k1"), std::string::npos) << r.Summary();
  EXPECT_EQ(r.Summary().find("key k0"), std::string::npos) << r.Summary();
}

TEST(Checkers, ThousandsOfOpsPerKeyAreCheckedQuickly) {
  // Three CAS-loop clients interleaved, 3000 ops on one key, with unknown outcomes.
  Builder b;
  uint64_t version = 0;
  std::string value;
  for (int round = 0; round < 500; ++round) {
    const uint64_t r0 = b.Call(0, Read());
    const uint64_t r1 = b.Call(1, Read());
    b.Ok(r0, Rec(true, value, version));
    b.Ok(r1, Rec(true, value, version));
    const std::string v0 = "c0." + std::to_string(round);
    const std::string v1 = "c1." + std::to_string(round);
    const uint64_t w0 = b.Call(0, Cas(version, v0));
    const uint64_t w1 = b.Call(1, Cas(version, v1));
    const uint64_t lost = b.Call(2, Cas(version + 7, "c2." + std::to_string(round)));
    b.Ok(w0, Rec(true, v0, version + 1));
    b.Ok(w1, Rec(false, v0, version + 1));
    b.Fail(lost, Outcome::kUnknown);
    ++version;
    value = v0;
  }
  const LinearizabilityReport r = CheckLinearizability(b.history(), core::Limits{});
  EXPECT_EQ(r.verdict, Verdict::kLinearizable) << r.Summary();
  EXPECT_LT(r.steps, 100'000u);
  b.Op(2, Read(), Rec(true, "c0.3", 4));
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
}

}  // namespace
}  // namespace gryadka::sim
