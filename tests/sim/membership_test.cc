// The membership scenarios do what they are named for: the operator completes every change, the
// rescan finds keys, the missed-step proposer is fenced and adopts configurations from fenced
// replies (also from the production Lua scripts), a dead acceptor leaves the configuration, and
// flexible quorum draws are valid and not majorities. Runs are deterministic per seed.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proposer/core/membership.h"
#include "tests/sim/params.h"
#include "tests/sim/scenarios.h"
#include "tests/sim/simulation.h"

namespace gryadka::sim {
namespace {

RunResult RunScenario(const std::string& scenario, uint64_t seed,
              AcceptorKind kind = AcceptorKind::kMemory) {
  const ScenarioSpec* spec = FindScenario(scenario);
  EXPECT_NE(spec, nullptr) << scenario;
  return RunSimulation(DeriveParams(*spec, seed, spec->default_intensity, kind));
}

TEST(Membership, GrowingFromThreeToFourCompletesWithARescanAndFences) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const RunResult r = RunScenario("membership/c2p2k2.a3.a4", seed);
    EXPECT_TRUE(r.passed) << "seed " << seed << ": " << r.verdict << "\n" << r.details;
    EXPECT_EQ(r.membership_changes, 1u) << "seed " << seed;
    EXPECT_GE(r.configure_steps, 2u) << "seed " << seed;
    EXPECT_EQ(r.rescan_steps, 1u) << "seed " << seed;
    EXPECT_GT(r.keys_rescanned, 0u) << "seed " << seed;
    EXPECT_EQ(r.final_epoch, r.configure_steps) << "seed " << seed;
  }
}

// While a configure step hands the configuration to one proposer after the other, clients keep
// sending to the proposers still on the older one: old, transitional and new configurations
// serve at once. Requests already in flight when a proposer is reconfigured are not counted.
TEST(Membership, ClientsMeetProposersOfDifferentEpochsDuringAChange) {
  int mixed = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    mixed += RunScenario("membership/c2p2k2.a3.a4", seed).submits_behind_published > 0;
  }
  std::printf("membership/c2p2k2.a3.a4 seeds 1..20: requests to a proposer behind the published "
              "epoch in %d runs\n", mixed);
  EXPECT_GE(mixed, 10);  // measured: 13 (the windows last 10-300 ms; a lossy op can take longer)
}

TEST(Membership, FluxRunsEightChangesThroughThreeFourAndFiveAcceptors) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const RunResult r = RunScenario("membership/c3p3k3.flux", seed);
    EXPECT_TRUE(r.passed) << "seed " << seed << ": " << r.verdict << "\n" << r.details;
    EXPECT_EQ(r.membership_changes, 8u) << "seed " << seed;
    EXPECT_EQ(r.rescan_steps, 8u) << "seed " << seed;
    EXPECT_GE(r.configure_steps, 16u) << "seed " << seed;
  }
}

// The missed-step proposer is never reconfigured: it must meet the fence and adopt the
// configuration from the fenced reply — on most seeds, with either acceptor implementation (the
// Lua runs fence with the production fence.lua and refuse in prepare.lua/accept.lua/batch.lua).
TEST(Membership, TheProposerThatMissedTheStepsIsFencedAndAdoptsTheConfigurationOnMostSeeds) {
  for (AcceptorKind kind : {AcceptorKind::kMemory, AcceptorKind::kLua}) {
    const uint64_t seeds = kind == AcceptorKind::kMemory ? 20 : 5;
    uint64_t fenced = 0;
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      const RunResult r = RunScenario("membership/c3p3k2.missed-step", seed, kind);
      EXPECT_TRUE(r.passed) << AcceptorKindName(kind) << " seed " << seed << ": " << r.verdict
                            << "\n" << r.details;
      EXPECT_EQ(r.membership_changes, 2u);
      fenced += r.missed_proposer_fence_adoptions > 0;
      // Only the missed proposer ever runs an older configuration than the operator's.
      EXPECT_EQ(r.fence_adoptions, r.missed_proposer_fence_adoptions);
    }
    std::printf("missed-step (%s): the missed proposer adopted a fenced configuration on %llu of "
                "%llu seeds\n",
                AcceptorKindName(kind), static_cast<unsigned long long>(fenced),
                static_cast<unsigned long long>(seeds));
    EXPECT_GE(fenced * 10, seeds * 9) << AcceptorKindName(kind);
  }
}

TEST(Membership, ADeadAcceptorIsReplacedByAnEmptyOne) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const ScenarioSpec* spec = FindScenario("membership/c2p2k2.replace-dead");
    const SimParams p = DeriveParams(*spec, seed, spec->default_intensity);
    ASSERT_GE(p.dead_acceptor, 0);
    ASSERT_LT(p.dead_acceptor, 3);
    const RunResult r = RunSimulation(p);
    EXPECT_TRUE(r.passed) << "seed " << seed << ": " << r.verdict << "\n" << r.details;
    EXPECT_EQ(r.membership_changes, 1u);
    EXPECT_EQ(r.rescan_steps, 1u);
  }
}

TEST(Membership, RotatingEveryMemberOutKeepsEveryValue) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const RunResult r = RunScenario("membership/c2p2k4.rotate", seed);
    EXPECT_TRUE(r.passed) << "seed " << seed << ": " << r.verdict << "\n" << r.details;
    EXPECT_EQ(r.membership_changes, 3u);
    EXPECT_EQ(r.rescan_steps, 3u);
  }
}

TEST(Membership, SameSeedSameDigestWithLuaAcceptors) {
  for (const ScenarioSpec& spec : Scenarios()) {
    if (spec.membership == MembershipChange::kNone && !spec.flexible_quorums) continue;
    const SimParams p = DeriveParams(spec, 3, 15, AcceptorKind::kLua);
    const RunResult a = RunSimulation(p);
    const RunResult b = RunSimulation(p);
    EXPECT_EQ(a.digest, b.digest) << spec.name;
    EXPECT_EQ(a.events, b.events) << spec.name;
  }
}

TEST(Membership, NewParametersAreDrawnAfterTheOldOnesSoOldScenariosKeepTheirParameters) {
  // A membership scenario and its plain twin (same shape, no change) draw the same proposer
  // timing and network for a seed: the new draws come last.
  ScenarioSpec plain = *FindScenario("membership/c2p2k2.a3.a4");
  plain.membership = MembershipChange::kNone;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const SimParams a = DeriveParams(*FindScenario("membership/c2p2k2.a3.a4"), seed, 10);
    const SimParams b = DeriveParams(plain, seed, 10);
    EXPECT_EQ(a.proposer.round_timeout_ms, b.proposer.round_timeout_ms);
    EXPECT_EQ(a.net.delay_max_us, b.net.delay_max_us);
    EXPECT_EQ(a.client.deadline_ms, b.client.deadline_ms);
  }
}

TEST(Flexible, DrawnConfigurationsAreValidVariedAndNotMajorities) {
  std::set<std::string> shapes;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const SimParams p = DeriveParams(*FindScenario("losing/c2p2k2.f"), seed, 10);
    const core::ProposerConfig& c = p.proposer;
    ASSERT_TRUE(c.Validate().ok()) << p.Describe();
    EXPECT_FALSE(c.prepare_set == c.accept_set &&
                 c.prepare_quorum == static_cast<int>(c.prepare_set.size()) / 2 + 1 &&
                 c.accept_quorum == c.prepare_quorum)
        << p.Describe();
    shapes.insert(absl::StrCat(c.prepare_quorum, "/", c.prepare_set.size(), "+",
                               c.accept_quorum, "/", c.accept_set.size(),
                               c.prepare_set == c.accept_set ? "" : "x"));
  }
  EXPECT_GE(shapes.size(), 10u);
  EXPECT_TRUE(shapes.contains("2/4+3/4") || shapes.contains("4/5+2/5")) << shapes.size();
}

}  // namespace
}  // namespace gryadka::sim
