// One deterministic simulation run: the production core::Proposer and acceptor::MemoryAcceptor
// (or the production Lua scripts, SimParams::acceptor_kind) wired through the simulated network, driven by simulated clients, under the scenario's faults.
//
// Phases: (1) fault phase — every client runs `intensity` operations while the faults act;
// (2) healing — when every client is done, or after fault_phase_max_ms, the network heals (no
// loss, no partitions, every acceptor and proposer up); (3) liveness — every pending operation
// must finish and every client must complete `liveness_ops` more operations, each successfully,
// within liveness_bound_ms. With a membership change (SimParams::membership) the simulated
// operator runs it from a seeded time in the fault phase; clients keep running while it does, and
// it must also finish within liveness_bound_ms after healing. Then the checkers run over the whole history: the rumor check, the
// per-key linearizability check, and the accept-ballot invariant.
//
// Everything is a function of the parameters (hence of the seed): same parameters, same event
// log digest. Thread-compatible; runs on the calling thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/params.h"
#include "tests/sim/wgl.h"

namespace gryadka::sim {

struct RunOptions {
  bool trace = false;                 // print every event
  bool record = false;                // keep the event log lines in RunResult::recorded
  std::vector<std::string> replay;    // non-empty: compare the event log with this recording
  SearchBudget budget;                // per key, for the linearizability search
};

struct RunResult {
  bool passed = false;
  std::string verdict;   // one line: what happened
  std::string details;   // multi-line: reports of the checkers that found something

  uint64_t digest = 0;   // of the event log
  uint64_t events = 0;   // event log lines
  int64_t end_us = 0;    // virtual time at the end
  int64_t heal_us = 0;   // virtual time of healing

  size_t ops = 0;
  size_t ops_ok = 0;
  size_t ops_unknown = 0;
  size_t ops_not_applied = 0;

  bool rumor_violation = false;
  bool linearizability_violation = false;
  bool linearizability_undecided = false;  // the search budget ran out
  bool ballot_violation = false;
  bool liveness_failure = false;
  bool replay_diverged = false;
  bool core_invariant_violation = false;  // Proposer::CheckInvariants failed after an event

  size_t minority_accepts = 0;   // accepted ballots that reached only a minority
  uint64_t rounds = 0;
  uint64_t rounds_one_rtt = 0;
  uint64_t proposer_restarts = 0;
  uint64_t messages_lost = 0;
  uint64_t requests_not_sent = 0;      // failed at once, never sent (disconnects fault)
  uint64_t writer_marks_evicted = 0;   // ProposerStats, summed over every incarnation
  uint64_t retries_marks_evicted = 0;
  uint64_t accepts_not_applied = 0;

  // Membership change (tests/sim/operator.h).
  uint64_t membership_changes = 0;     // target sets reached
  uint64_t configure_steps = 0;
  uint64_t rescan_steps = 0;           // including skipped ones (skip_rescan)
  uint64_t keys_rescanned = 0;
  uint64_t fence_retries = 0;
  uint64_t fence_adoptions = 0;        // configurations proposers adopted from fenced replies
  uint64_t missed_proposer_fence_adoptions = 0;  // of those, by the missed-step proposer
  uint64_t final_epoch = 0;            // of the operator's running configuration
  uint64_t submits_behind_published = 0;  // requests to proposers behind the published epoch

  std::vector<std::string> recorded;  // RunOptions::record

  bool safety_violation() const {
    return rumor_violation || linearizability_violation || ballot_violation;
  }
};

RunResult RunSimulation(const SimParams& params, const RunOptions& options = {});

}  // namespace gryadka::sim
