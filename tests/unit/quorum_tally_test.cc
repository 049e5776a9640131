// The quorum unit (proposer/core/quorum.h) on its own, table-driven: each case records a
// sequence of answers — some from outside the set, some repeated — and states after each one
// what the tally must say.
#include "proposer/core/quorum.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

using Answer = Tally::Answer;

struct Step {
  AcceptorId acceptor;
  Answer answer;
  bool recorded;  // Record's return value
  int oks, refused, silent;
  bool reached, out_of_reach;
};

struct TallyCase {
  std::string name;
  std::vector<AcceptorId> set;
  int quorum;
  std::vector<Step> steps;
};
void PrintTo(const TallyCase& c, std::ostream* os) { *os << c.name; }

std::vector<TallyCase> Table() {
  const Answer ok = Answer::kOk, no = Answer::kRefused, silent = Answer::kSilent;
  return {
      {"majority_of_3_reached_at_the_second_ok",
       {0, 1, 2},
       2,
       {{0, ok, true, 1, 0, 2, false, false}, {1, ok, true, 2, 0, 1, true, false}}},
      {"majority_of_3_out_of_reach_at_the_second_refusal",
       {0, 1, 2},
       2,
       {{0, no, true, 0, 1, 2, false, false}, {2, no, true, 0, 2, 1, false, true},
        {1, ok, true, 1, 2, 0, false, true}}},
      {"a_second_answer_of_one_acceptor_is_not_recorded",
       {0, 1, 2},
       2,
       {{1, ok, true, 1, 0, 2, false, false}, {1, ok, false, 1, 0, 2, false, false},
        {1, no, false, 1, 0, 2, false, false}}},
      {"answers_from_outside_the_set_are_not_recorded",
       {1, 2, 3},
       2,
       {{0, ok, false, 0, 0, 3, false, false}, {4, ok, false, 0, 0, 3, false, false},
        {-1, ok, false, 0, 0, 3, false, false}, {3, ok, true, 1, 0, 2, false, false}}},
      {"silence_is_not_an_answer",
       {0, 1},
       1,
       {{0, silent, false, 0, 0, 2, false, false}, {0, ok, true, 1, 0, 1, true, false}}},
      {"flexible_quorum_4_of_5_out_of_reach_at_the_second_refusal",
       {0, 1, 2, 3, 4},
       4,
       {{4, no, true, 0, 1, 4, false, false}, {0, ok, true, 1, 1, 3, false, false},
        {2, no, true, 1, 2, 2, false, true}}},
      {"quorum_above_the_set_is_out_of_reach_from_the_start",
       {0, 1},
       3,
       {{0, ok, true, 1, 0, 1, false, true}, {1, ok, true, 2, 0, 0, false, true}}},
  };
}

class TallyTableTest : public ::testing::TestWithParam<TallyCase> {};

TEST_P(TallyTableTest, CountsOnlyFirstAnswersOfMembersAndDecidesReachability) {
  const TallyCase& c = GetParam();
  Tally t(c.set, c.quorum);
  EXPECT_EQ(t.silent(), static_cast<int>(c.set.size()));
  EXPECT_TRUE(t.CheckInvariants().ok());
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Step& s = c.steps[i];
    SCOPED_TRACE(::testing::Message() << "step " << i << ": acceptor " << s.acceptor);
    EXPECT_EQ(t.Record(s.acceptor, s.answer), s.recorded);
    EXPECT_EQ(t.oks(), s.oks);
    EXPECT_EQ(t.refused(), s.refused);
    EXPECT_EQ(t.silent(), s.silent);
    EXPECT_EQ(t.answered(), s.oks + s.refused);
    EXPECT_EQ(t.all_answered(), s.silent == 0);
    EXPECT_EQ(t.reached(), s.reached);
    EXPECT_EQ(t.out_of_reach(), s.out_of_reach);
    EXPECT_TRUE(t.CheckInvariants().ok()) << t.CheckInvariants();
  }
}

INSTANTIATE_TEST_SUITE_P(Table, TallyTableTest, ::testing::ValuesIn(Table()),
                         [](const ::testing::TestParamInfo<TallyCase>& info) {
                           return info.param.name;
                         });

TEST(TallyTest, AwaitsOnlyMembersThatHaveNotAnswered) {
  Tally t({0, 2}, 1);
  EXPECT_TRUE(t.Awaits(0));
  EXPECT_FALSE(t.Awaits(1)) << "not a member";
  t.Record(0, Answer::kRefused);
  EXPECT_FALSE(t.Awaits(0));
  EXPECT_EQ(t.AnswerOf(0), Answer::kRefused);
  EXPECT_EQ(t.AnswerOf(2), Answer::kSilent);
  EXPECT_EQ(t.SilentMembers(), std::vector<AcceptorId>{2});
}

TEST(TallyTest, OksInCountsOnlyOksThatAreInTheOtherSet) {
  // An accept to {1,2,3}: the promise it carries is usable only if its oks form a prepare
  // quorum of the prepare set {0,1,2}.
  Tally t({1, 2, 3}, 2);
  t.Record(1, Answer::kOk);
  t.Record(3, Answer::kOk);
  t.Record(2, Answer::kRefused);
  EXPECT_EQ(t.OksIn({0, 1, 2}), 1);
  EXPECT_EQ(t.OksIn({1, 3}), 2);
  EXPECT_EQ(t.OksIn({}), 0);
}

TEST(TallyTest, DuplicateMembersAreReportedByCheckInvariants) {
  Tally t({0, 1, 1}, 2);
  EXPECT_FALSE(t.CheckInvariants().ok());
}

TEST(QuorumInTest, CountsMembersSatisfyingThePredicate) {
  const std::vector<AcceptorId> set = {0, 1, 2, 3, 4};
  auto even = [](AcceptorId a) { return a % 2 == 0; };
  EXPECT_EQ(CountIn(set, even), 3);
  EXPECT_TRUE(QuorumIn(set, 3, even));
  EXPECT_FALSE(QuorumIn(set, 4, even));
  EXPECT_TRUE(QuorumIn({}, 0, even)) << "an empty quorum is always there";
}

}  // namespace
}  // namespace gryadka::core
