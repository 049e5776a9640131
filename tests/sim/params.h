// Every parameter of one run, derived from (scenario, seed, intensity) alone and printed before
// the run starts. Magnitudes of the scenario's switched-on faults, the proposer configuration
// (one_rtt, read_skip_accept, timeouts, backoff, batching, cache size) and the client behaviour
// are all drawn from the seed. Thread-compatible value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "proposer/core/config.h"
#include "proposer/core/random.h"
#include "tests/sim/scenarios.h"

namespace gryadka::sim {

struct NetworkParams {
  int64_t delay_min_us = 0;  // one-way delay of a message, uniform in [min, max]
  int64_t delay_max_us = 0;
  double tail_p = 0;          // chance that a message instead takes a heavy-tailed delay
  int64_t tail_max_us = 0;    // (Pareto from delay_max_us, shape 1.1, capped here)
  double loss_p = 0;          // a request is lost before the acceptor
  double reply_loss_p = 0;    // a reply is lost after the acceptor applied the request
  double accept_loss_p = 0;   // extra loss of accept requests
  double dup_p = 0;           // a message is delivered twice
  double error_reply_p = 0;   // a lost message is reported to the proposer as a transport error
  double not_sent_p = 0;      // a request fails at once, never sent (queue full, disconnected)
};

struct FaultParams {
  int64_t partition_period_min_ms = 0;  // a new partition pattern every [min, max] ms
  int64_t partition_period_max_ms = 0;
  int64_t acceptor_crash_gap_max_ms = 0;  // between crash events: uniform in [0, max]
  int64_t acceptor_downtime_max_ms = 0;   // a crashed acceptor restarts within this
  int max_acceptors_crashed = 0;          // crashes beyond this many at once are skipped
  int64_t pause_gap_max_ms = 0;
  int64_t pause_max_ms = 0;
  int64_t proposer_crash_gap_max_ms = 0;
  int64_t proposer_downtime_max_ms = 0;
  double client_reply_loss_p = 0;  // an answer to a client is lost; it gives up at its deadline
  int64_t disconnect_gap_max_ms = 0;   // between disconnections: uniform in [1, max]
  int64_t disconnect_max_ms = 0;       // a proposer's connections stay down within this
};

// Which acceptor implementation the simulated acceptor processes run.
enum class AcceptorKind {
  kMemory,  // acceptor::MemoryAcceptor (the C++ twin of the scripts)
  kLua,     // the production Lua scripts in an embedded Lua 5.1 (LuaAcceptor)
};
const char* AcceptorKindName(AcceptorKind k);
// nullopt unless `name` is "memory" or "lua".
std::optional<AcceptorKind> ParseAcceptorKind(const std::string& name);

struct ClientParams {
  int64_t deadline_ms = 0;      // per operation, relative to its invocation
  int64_t timeout_grace_ms = 0;  // the client gives up this long after the deadline (>= 1)
  int64_t think_max_ms = 0;     // pause between a client's operations: uniform in [0, max]
  bool key_affinity = false;    // route each key to one proposer (else a random one per op)
};

struct SimParams {
  std::string scenario;
  uint64_t seed = 0;
  int intensity = 0;  // operations per client in the fault phase

  int acceptors = 3;
  int proposers = 1;
  int clients = 1;
  int keys = 1;
  Workload workload = Workload::kCasLoop;
  bool expect_violation = false;  // ".i": the run passes only if a checker finds a violation

  AcceptorKind acceptor_kind = AcceptorKind::kMemory;
  // Lua acceptors: requests arriving within this window (from its first) run as one batch
  // script call per proposer, as production sends one loop turn's calls (0: same instant only).
  int64_t batch_window_us = 0;

  core::ProposerConfig proposer;
  NetworkParams net;
  FaultSwitches faults;
  FaultParams fault;
  ClientParams client;

  // Membership change (ScenarioSpec::membership; the operator, tests/sim/operator.h). The
  // proposers start on `proposer`'s sets: acceptors a0..a<initial_members-1> (all when 0).
  MembershipChange membership = MembershipChange::kNone;
  int initial_members = 0;
  bool skip_rescan = false;
  bool clients_follow_change = true;  // ScenarioSpec::clients_follow_change
  int missed_proposer = -1;  // kMissedStep: never reconfigured by the operator
  int dead_acceptor = -1;    // kReplaceDead: crashes for good when the change starts
  int64_t operator_delay_ms = 0;             // ScenarioSpec::operator_delay_ms
  int64_t operator_start_max_ms = 0;         // then the change starts uniform in [0, max]
  int64_t operator_step_gap_max_ms = 0;      // before each step: uniform in [0, max]
  int64_t operator_proposer_gap_max_ms = 0;  // between reconfiguring two proposers: [max/2, max]
  bool flexible_quorums = false;             // `proposer` holds a drawn flexible configuration

  int64_t fault_phase_max_ms = 0;  // faults stop (the network heals) by then at the latest
  int liveness_ops = 0;            // operations per client after healing; each must succeed
  int64_t liveness_bound_ms = 0;   // after healing, everything must finish within this

  // Multi-line "name=value" description, for the log printed before the run.
  std::string Describe() const;
};

// REQUIRES: intensity >= 1.
SimParams DeriveParams(const ScenarioSpec& spec, uint64_t seed, int intensity,
                       AcceptorKind acceptor_kind = AcceptorKind::kMemory);

// Independent random streams of one run, so that e.g. changing the client workload does not
// shift the network's random choices.
uint64_t StreamSeed(uint64_t seed, uint64_t stream);
inline constexpr uint64_t kStreamParams = 1;
inline constexpr uint64_t kStreamNetwork = 2;
inline constexpr uint64_t kStreamFaults = 3;
inline constexpr uint64_t kStreamClients = 4;
inline constexpr uint64_t kStreamProposers = 5;
inline constexpr uint64_t kStreamOperator = 6;

// A random valid flexible configuration over acceptors 0..nodes-1 (4 or 5 of them used):
// prepare and accept sets of at least three, quorums that intersect, never plain majorities on
// one set. Keeps `base`'s other fields. REQUIRES: nodes >= 4.
core::ProposerConfig DrawFlexibleQuorums(core::ProposerConfig base, int nodes, core::Random& r);

}  // namespace gryadka::sim
