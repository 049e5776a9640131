#include "tests/sim/scenarios.h"

namespace gryadka::sim {
namespace {

ScenarioSpec Make(std::string name, std::string summary, int c, int p, int k, Workload w,
                  FaultSwitches f) {
  ScenarioSpec s;
  s.name = std::move(name);
  s.summary = std::move(summary);
  s.clients = c;
  s.proposers = p;
  s.keys = k;
  s.workload = w;
  s.faults = f;
  return s;
}

// Existing fault families over five acceptors with a flexible quorum configuration drawn per
// seed (e.g. prepare 2 of 4 + accept 3 of 4, prepare 4 of 5 + accept 2 of 5).
void AddFlexibleScenarios(std::vector<ScenarioSpec>* v) {
  auto add = [&](ScenarioSpec s) {
    s.acceptors = 5;
    s.flexible_quorums = true;
    s.ctest_seeds = 100;
    s.ctest_lua_seeds = 20;
    v->push_back(std::move(s));
  };
  add(Make("losing/c2p2k2.f", "loss + reordering, flexible quorums drawn per seed", 2, 2, 2,
           Workload::kCasLoop, FaultSwitches{.reorder = true, .loss = true}));
  add(Make("partitioning/c2p2k2.f", "changing partitions, flexible quorums drawn per seed", 2, 2,
           2, Workload::kCasLoop, FaultSwitches{.reorder = true, .partitions = true}));
  add(Make("restarting-acceptors/c3p2k2.f",
           "acceptor crashes and pauses, flexible quorums drawn per seed", 3, 2, 2,
           Workload::kIncrement,
           FaultSwitches{.reorder = true, .loss = true, .acceptor_crashes = true,
                         .acceptor_pauses = true}));
}

// Online membership changes run by the simulated operator while clients run and faults act.
void AddMembershipScenarios(std::vector<ScenarioSpec>* v) {
  const FaultSwitches all{.reorder = true, .loss = true, .duplication = true,
                          .acceptor_crashes = true, .proposer_restarts = true};
  auto add = [&](ScenarioSpec s, MembershipChange m, int acceptors) {
    s.membership = m;
    s.acceptors = acceptors;
    s.initial_members = 3;
    s.ctest_seeds = 200;
    s.ctest_lua_seeds = 20;
    v->push_back(std::move(s));
  };
  add(Make("membership/c2p2k2.a3.a4",
           "grow 3 -> 4 online: clients on old, transitional and new proposers at once; loss, "
           "duplication, acceptor crashes, proposer restarts",
           2, 2, 2, Workload::kCasLoop, all),
      MembershipChange::kGrow, 4);
  add(Make("membership/c3p3k3.flux",
           "3 -> 4 -> 5 -> 4 -> 3 twice (random members leave, spares and former members "
           "join) under loss, duplication, acceptor crashes, proposer restarts",
           3, 3, 3, Workload::kIncrement, all),
      MembershipChange::kFlux, 5);
  add(Make("membership/c2p2k2.replace-dead",
           "a member crashes for good and an empty acceptor replaces it, under loss and crashes",
           2, 2, 2, Workload::kCasLoop, all),
      MembershipChange::kReplaceDead, 4);
  add(Make("membership/c3p3k2.missed-step",
           "grow then replace; proposer p2 is never reconfigured and must be fenced and adopt "
           "each configuration from the fenced replies",
           3, 3, 2, Workload::kCasLoop, all),
      MembershipChange::kMissedStep, 5);
  add(Make("membership/c2p2k4.rotate",
           "replace all three members one by one by empty acceptors under loss, duplication, "
           "acceptor crashes, proposer restarts",
           2, 2, 4, Workload::kMix, all),
      MembershipChange::kRotate, 6);
  v->back().default_intensity = 60;
  add(Make("membership/c2p2k8.rotate.no-rescan.i",
           "UNSAFE: replace all three members WITHOUT the rescan steps; the checkers must catch "
           "a lost value", 2, 2, 8, Workload::kCasLoop, FaultSwitches{.reorder = true, .loss = true}),
      MembershipChange::kRotate, 6);
  v->back().skip_rescan = true;
  v->back().clients_follow_change = false;
  v->back().operator_delay_ms = 1000;  // most of the change meets keys the clients left cold
  v->back().default_intensity = 40;
  v->back().ctest_seeds = 0;  // the detection-rate GoogleTest covers it
  v->back().ctest_lua_seeds = 0;
}

std::vector<ScenarioSpec> Build() {
  const FaultSwitches shuffle{.reorder = true};
  const FaultSwitches lose{.reorder = true, .loss = true};
  const FaultSwitches partition{.reorder = true, .partitions = true};
  std::vector<ScenarioSpec> v;
  const Workload cas = Workload::kCasLoop;
  v.push_back(Make("shuffling/c1p1k1", "reordering (heavy-tailed delays), CAS loop", 1, 1, 1, cas,
                   shuffle));
  v.push_back(Make("shuffling/c1p2k2", "reordering, one client over two proposers", 1, 2, 2, cas,
                   shuffle));
  v.push_back(Make("shuffling/c2p1k2", "reordering, two clients on one proposer", 2, 1, 2, cas,
                   shuffle));
  v.push_back(Make("shuffling/c2p2k1", "reordering, two clients, two proposers, one key", 2, 2, 1,
                   cas, shuffle));
  v.push_back(Make("losing/c1p1k1", "loss of requests and replies + reordering", 1, 1, 1, cas,
                   lose));
  v.push_back(Make("losing/c2p2k2", "loss + reordering", 2, 2, 2, cas, lose));
  v.push_back(Make("losing/c6p2k2", "loss + reordering, six clients", 6, 2, 2, cas, lose));
  v.back().default_intensity = 50;
  v.push_back(Make("partitioning/c1p1k1", "changing symmetric/asymmetric partitions", 1, 1, 1, cas,
                   partition));
  v.push_back(Make("partitioning/c2p2k2", "changing partitions, two proposers", 2, 2, 2, cas,
                   partition));
  v.push_back(Make("duplicating/c2p2k2", "duplicated messages + reordering + loss", 2, 2, 2,
                   Workload::kMix,
                   FaultSwitches{.reorder = true, .loss = true, .duplication = true}));
  v.back().default_intensity = 60;  // mix histories with many unknown outcomes search slowly
  v.push_back(Make("restarting-proposers/c3p2k2",
                   "proposers crash and restart with new ids; clients time out", 3, 2, 2,
                   Workload::kMix,
                   FaultSwitches{.reorder = true, .loss = true, .proposer_restarts = true,
                                 .client_timeouts = true}));
  v.back().default_intensity = 60;
  v.push_back(Make("restarting-acceptors/c3p2k2",
                   "acceptors crash/restart (durable state) and pause", 3, 2, 2, Workload::kCasLoop,
                   FaultSwitches{.reorder = true, .loss = true, .acceptor_crashes = true,
                                 .acceptor_pauses = true}));
  v.push_back(Make("degraded/c3p2k2.a5", "five acceptors, two of them down, loss + partitions", 3,
                   2, 2, Workload::kCasLoop,
                   FaultSwitches{.reorder = true, .loss = true, .partitions = true,
                                 .acceptors_down = 2}));
  v.back().acceptors = 5;
  v.push_back(Make("accept-minority/c3p1k1",
                   "heavy loss on accepts: 1-RTT accepts reach a minority, the cached ballot must "
                   "not be reused",
                   3, 1, 1, Workload::kIncrement,
                   FaultSwitches{.reorder = true, .accept_loss = true}));
  v.push_back(Make("accept-minority/c2p2k1", "heavy loss on accepts, two proposers", 2, 2, 1,
                   Workload::kCasLoop, FaultSwitches{.reorder = true, .accept_loss = true}));
  v.push_back(Make("counting/c3p2k2", "increments under loss and reordering", 3, 2, 2,
                   Workload::kIncrement, lose));
  v.push_back(Make("mixing/c4p2k3", "every op of kv.proto under all network faults", 4, 2, 3,
                   Workload::kMix,
                   FaultSwitches{.reorder = true, .loss = true, .duplication = true,
                                 .partitions = true, .acceptor_crashes = true,
                                 .acceptor_pauses = true, .proposer_restarts = true,
                                 .client_timeouts = true}));
  v.back().default_intensity = 30;
  v.push_back(Make("disconnecting/c3p2k2",
                   "requests never sent (disconnected proposers, full queues) + loss + acceptor "
                   "crashes: the certainly-not-applied branches",
                   3, 2, 2, Workload::kIncrement,
                   FaultSwitches{.reorder = true, .loss = true, .acceptor_crashes = true,
                                 .disconnects = true}));
  v.push_back(Make("churning/c3p3k1",
                   "every idle proposer but p0 is replaced by a new id and accepts are lost: "
                   "more than 16 incarnations write one key, writer marks overflow",
                   3, 3, 1, Workload::kCasLoop,
                   FaultSwitches{.reorder = true, .accept_loss = true, .proposer_churn = true}));
  v.back().key_affinity_allowed = false;  // every proposer writes the key
  v.back().default_intensity = 40;
  v.push_back(Make("losing/c2p2k1.i",
                   "INCONSISTENT quorums (prepare 1 of 3, accept 1 of 3): must be caught", 2, 2, 1,
                   cas, lose));
  v.back().inconsistent_quorums = true;
  v.back().key_affinity_allowed = false;
  v.back().default_intensity = 150;
  v.back().ctest_seeds = 0;  // the detection-rate GoogleTest covers it
  v.back().ctest_lua_seeds = 0;
  AddFlexibleScenarios(&v);
  AddMembershipScenarios(&v);
  return v;
}

}  // namespace

const char* WorkloadName(Workload w) {
  switch (w) {
    case Workload::kCasLoop:
      return "cas-loop";
    case Workload::kIncrement:
      return "increment";
    case Workload::kMix:
      return "mix";
  }
  return "?";
}

const char* MembershipChangeName(MembershipChange m) {
  switch (m) {
    case MembershipChange::kNone:
      return "none";
    case MembershipChange::kGrow:
      return "grow";
    case MembershipChange::kFlux:
      return "flux";
    case MembershipChange::kReplaceDead:
      return "replace-dead";
    case MembershipChange::kMissedStep:
      return "missed-step";
    case MembershipChange::kRotate:
      return "rotate";
  }
  return "?";
}

const std::vector<ScenarioSpec>& Scenarios() {
  static const std::vector<ScenarioSpec>* const kScenarios = new std::vector<ScenarioSpec>(Build());
  return *kScenarios;
}

const ScenarioSpec* FindScenario(const std::string& name) {
  for (const ScenarioSpec& s : Scenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace gryadka::sim
