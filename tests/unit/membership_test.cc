// The membership planner and its checks (proposer/core/membership.h, docs/membership.md).
#include "proposer/core/membership.h"

#include <set>

#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

using Kind = MembershipStep::Kind;

v1::QuorumSet Set(std::vector<std::string> names, int quorum) {
  v1::QuorumSet s;
  for (auto& n : names) s.add_acceptors(n);
  s.set_quorum(quorum);
  return s;
}

// Applies a plan's configure steps, checking every transition: a round of the previous step and
// one of the next may run at once, so every prepare quorum of either must meet every accept
// quorum of either, and every value not yet rescanned must be visible to both.
v1::Membership RunPlan(const v1::Membership& start, const std::vector<MembershipStep>& plan) {
  v1::Membership m = start;
  for (const auto& step : plan) {
    if (step.kind == Kind::kRescan) {
      EXPECT_FALSE(m.rescan_from().acceptors().empty()) << step.description;
      continue;
    }
    const v1::Membership& next = step.membership;
    EXPECT_TRUE(ValidateMembership(next).ok()) << ValidateMembership(next);
    EXPECT_EQ(next.epoch(), m.epoch() + 1);
    for (const auto* p : {&m.prepare(), &next.prepare()}) {
      for (const auto* a : {&m.accept(), &next.accept()}) {
        EXPECT_TRUE(QuorumsIntersect(*p, *a)) << step.description;
      }
    }
    m = next;
  }
  return m;
}

TEST(MembershipTest, MajorityQuorumsIntersectAndMinoritiesDoNot) {
  EXPECT_TRUE(QuorumsIntersect(Set({"a", "b", "c"}, 2), Set({"a", "b", "c"}, 2)));
  EXPECT_FALSE(QuorumsIntersect(Set({"a", "b", "c"}, 1), Set({"a", "b", "c"}, 2)));
  // Flexible: prepare 2 of 4 with accept 3 of 4.
  EXPECT_TRUE(QuorumsIntersect(Set({"a", "b", "c", "d"}, 2), Set({"a", "b", "c", "d"}, 3)));
  // Disjoint parts: 2 of {a,b,c} against 2 of {a,b,d} can pick {c,a} and {b,d}... no: {a,c}/{b,d}.
  EXPECT_FALSE(QuorumsIntersect(Set({"a", "b", "c"}, 2), Set({"a", "b", "d"}, 2)));
  EXPECT_TRUE(QuorumsIntersect(Set({"a", "b", "c"}, 2), Set({"a", "b", "d"}, 3)));
}

TEST(MembershipTest, ValidateNamesTheSetsOfNonIntersectingQuorums) {
  v1::Membership m;
  *m.mutable_prepare() = Set({"a", "b", "c"}, 1);
  *m.mutable_accept() = Set({"a", "b", "c"}, 2);
  absl::Status s = ValidateMembership(m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("1 of [a, b, c]"), std::string::npos) << s;
  *m.mutable_prepare() = Set({"a", "a"}, 1);
  EXPECT_NE(ValidateMembership(m).message().find("lists a twice"), std::string::npos);
  *m.mutable_prepare() = Set({}, 0);
  EXPECT_NE(ValidateMembership(m).message().find("prepare set is empty"), std::string::npos);
  *m.mutable_prepare() = Set({"a"}, 2);
  EXPECT_NE(ValidateMembership(m).message().find("quorum 2 must be in 1..1"), std::string::npos);
}

TEST(MembershipTest, GrowThreeToFourAcceptsFirstRescansThenPrepares) {
  const v1::Membership start = MajorityMembership({"a", "b", "c"}, 0);
  auto plan = PlanMembershipChange(start, {"a", "b", "c", "d"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 3u);
  EXPECT_EQ((*plan)[0].kind, Kind::kConfigure);
  EXPECT_EQ((*plan)[0].membership.accept().quorum(), 3u);
  EXPECT_EQ((*plan)[0].membership.prepare().acceptors_size(), 3);
  EXPECT_EQ((*plan)[1].kind, Kind::kRescan);
  EXPECT_EQ((*plan)[2].membership.prepare().acceptors_size(), 4);
  const v1::Membership end = RunPlan(start, *plan);
  EXPECT_EQ(end.epoch(), 2u);
  EXPECT_TRUE(end.rescan_from().acceptors().empty());
  EXPECT_EQ(EffectiveQuorum(end.prepare()), 3);
  EXPECT_EQ(EffectiveQuorum(end.accept()), 3);
}

TEST(MembershipTest, ReplacingAnAcceptorNeedsAFullAcceptQuorumThenLowersIt) {
  const v1::Membership start = MajorityMembership({"a", "b", "c"}, 7);
  auto plan = PlanMembershipChange(start, {"a", "b", "d"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ((*plan)[0].membership.accept().quorum(), 3u);  // 2 of {a,b,d} could miss 2 of {a,b,c}
  EXPECT_EQ((*plan)[1].kind, Kind::kRescan);
  const v1::Membership end = RunPlan(start, *plan);
  EXPECT_EQ(end.epoch(), 10u);
  EXPECT_EQ(EffectiveQuorum(end.accept()), 2);
}

TEST(MembershipTest, FluxThreeFourFiveFourThreeEndsWhereItStarted) {
  v1::Membership m = MajorityMembership({"a", "b", "c"}, 0);
  for (const std::vector<std::string>& target :
       std::vector<std::vector<std::string>>{{"a", "b", "c", "d"},
                                             {"a", "b", "c", "d", "e"},
                                             {"a", "b", "c", "d"},
                                             {"a", "b", "c"}}) {
    auto plan = PlanMembershipChange(m, target);
    ASSERT_TRUE(plan.ok()) << plan.status();
    m = RunPlan(m, *plan);
    EXPECT_EQ(std::set<std::string>(m.prepare().acceptors().begin(), m.prepare().acceptors().end()),
              std::set<std::string>(target.begin(), target.end()));
    auto again = PlanMembershipChange(m, target);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->empty()) << "a finished change plans nothing more";
  }
}

TEST(MembershipTest, ReplanningAfterAnInterruptionKeepsThePendingRescan) {
  const v1::Membership start = MajorityMembership({"a", "b", "c"}, 0);
  auto plan = PlanMembershipChange(start, {"a", "b", "c", "d"});
  ASSERT_TRUE(plan.ok());
  // Interrupted after the first configure step: the rescan must still come before prepare.
  auto rest = PlanMembershipChange((*plan)[0].membership, {"a", "b", "c", "d"});
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].kind, Kind::kRescan);
  EXPECT_EQ((*rest)[1].membership.epoch(), 2u);
}

TEST(MembershipTest, ReplacingTwoOfThreeAtOnceIsRefusedWithAReason) {
  auto plan = PlanMembershipChange(MajorityMembership({"a", "b", "c"}, 0), {"a", "d", "e"});
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("change fewer acceptors"), std::string::npos)
      << plan.status();
}

TEST(MembershipTest, FenceMustBlockEveryQuorumOfThePreviousConfiguration) {
  const v1::Membership m = MajorityMembership({"a", "b", "c"}, 1);
  EXPECT_TRUE(FenceBlocks(m, {"a", "b"}));
  EXPECT_FALSE(FenceBlocks(m, {"a"}));  // {b, c} can still complete a round
}

TEST(MembershipTest, RescanScansEnoughOfThePreviousAcceptSetToSeeEveryKey) {
  v1::Membership m = MajorityMembership({"a", "b", "c"}, 0);
  auto plan = PlanMembershipChange(m, {"a", "b", "c", "d"});
  ASSERT_TRUE(plan.ok());
  const v1::Membership& step1 = (*plan)[0].membership;
  auto sources = RescanSources(step1, {"d", "c", "a", "b"});
  ASSERT_TRUE(sources.ok()) << sources.status();
  EXPECT_EQ(*sources, (std::vector<std::string>{"c", "a"}));  // 3 - 2 + 1 of {a, b, c}
  EXPECT_EQ(RescanSources(step1, {"c"}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RescanSources(m, {"a"}).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MembershipTest, ApplyMembershipMapsAddressesToIdsAndKeepsTheEpoch) {
  v1::Membership m = MajorityMembership({"x", "y", "z"}, 0);
  auto plan = PlanMembershipChange(m, {"x", "y", "z", "w"});
  ASSERT_TRUE(plan.ok());
  ProposerConfig c = ApplyMembership(ProposerConfig{}, (*plan)[0].membership,
                                     [](const std::string& a) { return a == "w" ? 5 : a[0] - 'x'; });
  EXPECT_EQ(c.epoch, 1u);
  EXPECT_EQ(c.num_acceptors, 6);
  EXPECT_EQ(c.accept_quorum, 3);
  EXPECT_EQ(c.prepare_quorum, 2);
  EXPECT_TRUE(c.Validate().ok()) << c.Validate();
}

}  // namespace
}  // namespace gryadka::core
