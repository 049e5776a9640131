// The unobservable-value abstraction of the linearizability checker (unobserved_values.h): which
// values it merges, which unknown writes it makes interchangeable, that it decides histories the
// exact search cannot within a small budget, and that every violation that hinges on an
// unobserved value (its version, its length, its non-numeric text) is still caught.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/sim/history.h"
#include "tests/sim/history_builder.h"
#include "tests/sim/linearizability_checker.h"
#include "tests/sim/unobserved_values.h"

namespace gryadka::sim {
namespace {

TEST(UnobservedValues, OnlyNonNumericValuesThatNoAnswerStartsWithAreReplaced) {
  Builder b;
  b.Op(0, Put("c0.1+c1.1"), Rec(true, "c0.1+c1.1", 1));
  const UnobservedValues u(b.ops());
  ASSERT_TRUE(u.enabled());
  auto canonical = [&](const std::string& v) {
    ModelState s{v, 3};
    u.Canonicalize(&s);
    return s.value;
  };
  EXPECT_EQ(canonical("c2.7"), std::string(4, UnobservedValues::kStandIn));
  EXPECT_EQ(canonical("c0.1"), "c0.1");            // a prefix of a recorded value
  EXPECT_EQ(canonical("c0.1+c1.1"), "c0.1+c1.1");  // recorded
  EXPECT_EQ(canonical("c0.1+c1.2"), std::string(9, UnobservedValues::kStandIn));
  EXPECT_EQ(canonical("-42"), "-42");  // an increment could still read it
  EXPECT_EQ(canonical(""), "");
  // A stand-in with a suffix appended is the stand-in of the longer length.
  EXPECT_EQ(canonical(std::string(4, UnobservedValues::kStandIn) + "+c1.1"),
            std::string(9, UnobservedValues::kStandIn));
}

TEST(UnobservedValues, UnseenWritesOfEqualLengthShareAClassAndSeenOnesDoNot) {
  Builder b;
  b.Op(0, Put("c0.1+c1.1"), Rec(true, "c0.1+c1.1", 1));
  const UnobservedValues u(b.ops());
  EXPECT_EQ(u.ChangeClass(Put("c2.7")), u.ChangeClass(Put("c3.9")));
  EXPECT_NE(u.ChangeClass(Put("c2.7")), u.ChangeClass(Put("c2.17")));  // length differs
  EXPECT_NE(u.ChangeClass(Put("c2.7")), u.ChangeClass(Put("c0.1")));   // c0.1 was seen
  EXPECT_NE(u.ChangeClass(Cas(1, "c2.7")), u.ChangeClass(Cas(2, "c3.9")));
  EXPECT_EQ(u.ChangeClass(Cas(1, "c2.7")), u.ChangeClass(Cas(1, "c3.9")));
  EXPECT_EQ(u.ChangeClass(Append("+c2.7")), u.ChangeClass(Append("+c3.9")));
  EXPECT_NE(u.ChangeClass(Append("+c1.1")), u.ChangeClass(Append("+c3.9")));  // seen inside
  EXPECT_NE(u.ChangeClass(Append("17")), u.ChangeClass(Append("18")));        // numeric
  EXPECT_NE(u.ChangeClass(Put("c2.7")), u.ChangeClass(Append("+c2.")));       // other op
}

TEST(UnobservedValues, ARecordedValueStartingWithTheStandInByteDisablesTheAbstraction) {
  const std::string odd = std::string(1, UnobservedValues::kStandIn) + "x";
  Builder b;
  b.Op(0, Put(odd), Rec(true, odd, 1));
  const UnobservedValues u(b.ops());
  EXPECT_FALSE(u.enabled());
  ModelState s{"c2.7", 1};
  u.Canonicalize(&s);
  EXPECT_EQ(s.value, "c2.7");
  b.Op(1, Put("c1.1"), Rec(true, "c1.1", 2));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);
  b.Op(0, Read(), Rec(true, odd, 1));  // stale
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
}

// Forty overlapping unknown puts nobody saw, and readers that see only versions: the exact
// search tries the subsets of puts that explain each version; with the puts merged it is linear.
TEST(UnobservedValues, ManyUnseenUnknownWritesAreDecidedWithinASmallBudget) {
  Builder b;
  std::vector<uint64_t> writes;
  for (int i = 0; i < 40; ++i) writes.push_back(b.Call(i % 4, Put("c" + std::to_string(i % 4) +
                                                                   "." + std::to_string(i))));
  for (uint64_t v = 0; v <= 30; v += 3) b.Op(9, Read(), Ver(true, v));
  for (const uint64_t w : writes) b.Unknown(w);
  SearchBudget small;
  small.steps_max = 200'000;
  EXPECT_EQ(b.Linearizability({}, small), Verdict::kLinearizable);
  b.Op(9, Read(), Ver(true, 41));  // one more write than there were
  EXPECT_EQ(b.Linearizability({}, small), Verdict::kViolation);
}

TEST(UnobservedValues, AnUnseenWriteStillCountsInTheVersion) {
  Builder b;
  b.UnknownOp(0, Put("c0.1"));
  b.Op(1, Read(), Ver(true, 0));
  b.Op(1, Read(), Ver(true, 1));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);
  b.Op(1, Read(), Ver(true, 2));  // a second write that nobody made
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);
}

TEST(UnobservedValues, AnIncrementOfAnUnseenTextValueStillDeclines) {
  // If the put happened, the increment declines (the value is text); if not, it makes "1" v1.
  Builder b;
  b.Op(1, Read(), Ver(true, 0));
  const uint64_t w = b.Call(0, Put("c0.1"));
  b.Op(1, Read(), Ver(true, 1));
  b.Unknown(w);
  b.Op(1, Increment(1), Ver(true, 2));  // applied on top of the put: impossible
  EXPECT_EQ(b.Linearizability(), Verdict::kViolation);

  Builder declined;
  declined.UnknownOp(0, Put("c0.1"));
  declined.Op(1, Increment(1), Ver(false, 1));
  EXPECT_EQ(declined.Linearizability(), Verdict::kLinearizable);
}

TEST(UnobservedValues, TheLengthOfAnUnseenValueStillDecidesAnAppend) {
  core::Limits limits;
  limits.max_value_bytes = 8;
  // put(7 bytes) took effect (v1 was seen), so an append of 2 bytes must decline.
  Builder b;
  b.UnknownOp(0, Put("c0.1234"));
  b.Op(1, Read(), Ver(true, 1));
  b.Op(1, Append("+z"), Ver(true, 2));
  EXPECT_EQ(b.Linearizability(limits), Verdict::kViolation);

  Builder fits;  // the same with a 5-byte value: 7 bytes after the append
  fits.UnknownOp(0, Put("c0.12"));
  fits.Op(1, Read(), Ver(true, 1));
  fits.Op(1, Append("+z"), Ver(true, 2));
  EXPECT_EQ(fits.Linearizability(limits), Verdict::kLinearizable);

  // Two unseen unknown puts of different lengths are not interchangeable: only the short one
  // leaves room for the append.
  Builder two;
  two.UnknownOp(0, Put("c0.1234"));
  two.UnknownOp(2, Put("c2.12"));
  two.Op(1, Read(), Ver(true, 1));
  two.Op(1, Append("+z"), Ver(true, 2));
  EXPECT_EQ(two.Linearizability(limits), Verdict::kLinearizable);
  two.Op(1, Append("+y"), Ver(true, 3));  // 9 bytes: over the limit whichever put it was
  EXPECT_EQ(two.Linearizability(limits), Verdict::kViolation);
}

TEST(UnobservedValues, AnAppendToAnUnseenValueCannotBeAnsweredWithAnotherValue) {
  Builder b;
  b.UnknownOp(0, Put("c0.1"));
  b.Op(1, Read(), Ver(true, 1));
  b.Op(1, Append("+c1.1"), Rec(true, "c0.1+c1.1", 2));  // makes c0.1 seen: the exact model
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);

  Builder wrong;
  wrong.UnknownOp(0, Put("c0.1"));
  wrong.Op(1, Read(), Ver(true, 1));
  wrong.Op(1, Append("+c1.1"), Rec(true, "c9.9+c1.1", 2));  // c9.9 was never written
  EXPECT_EQ(wrong.Linearizability(), Verdict::kViolation);
}

TEST(UnobservedValues, UnseenCasWritesAreInterchangeableOnlyAtTheSameExpectedVersion) {
  // Both CASes are unknown and unseen; versions 1 and 2 were seen. Only cas(0) can make v1 and
  // only cas(1) can make v2; with cas(0) twice the history is not linearizable.
  Builder b;
  b.UnknownOp(0, Cas(0, "c0.1"));
  b.UnknownOp(2, Cas(1, "c2.1"));
  b.Op(1, Read(), Ver(true, 1));
  b.Op(1, Read(), Ver(true, 2));
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);

  Builder same;
  same.UnknownOp(0, Cas(0, "c0.1"));
  same.UnknownOp(2, Cas(0, "c2.1"));
  same.Op(1, Read(), Ver(true, 1));
  same.Op(1, Read(), Ver(true, 2));
  EXPECT_EQ(same.Linearizability(), Verdict::kViolation);
}

// The search never places an unknown op right before an unconditional delete (it would be
// erased without a trace); a conditional delete depends on the version, so there it may.
TEST(UnobservedValues, AnUnknownWriteMayStillBeNeededRightBeforeAConditionalDelete) {
  Builder b;
  b.Op(0, Put("c0.1"), Rec(true, "c0.1", 1));
  b.UnknownOp(1, Put("c1.1"));
  b.Op(0, Delete(2), Rec(true, "", 0));  // applied at v2: the unknown put happened just before
  EXPECT_EQ(b.Linearizability(), Verdict::kLinearizable);

  Builder unconditional;
  unconditional.Op(0, Put("c0.1"), Rec(true, "c0.1", 1));
  unconditional.UnknownOp(1, Put("c1.1"));
  unconditional.Op(0, Delete(), Rec(true, "", 0));
  unconditional.Op(0, Read(), Ver(true, 1));  // the put took effect after the delete
  EXPECT_EQ(unconditional.Linearizability(), Verdict::kLinearizable);
  unconditional.Op(0, Read(), Ver(true, 2));  // nothing else was written
  EXPECT_EQ(unconditional.Linearizability(), Verdict::kViolation);
}

}  // namespace
}  // namespace gryadka::sim
