// The simulated operator of an online membership change (SimParams::membership): what
// `gryadkactl membership add|remove|replace` does, run step by step inside the simulation while
// the clients run and the faults act. For each target acceptor set it plans with
// core::PlanMembershipChange from the running configuration and runs the first step, then plans
// again (so every intermediate configuration is also a resumption point):
//   configure: publish the membership (a proposer restarted from now on runs it), hand it to
//              the proposers ONE AT A TIME with seeded gaps (clients meet old, transitional and
//              new configurations at once), wait until each live proposer runs its epoch with
//              rounds_in_older_epochs() == 0, then fence every acceptor of the previous and the
//              new configuration that is up; if the fenced ones do not block the previous
//              configuration (core::FenceBlocks), fence again later.
//   rescan:    list the keys of the acceptors of core::RescanSources as SCAN would, and read
//              each through a proposer running the configuration, retrying until it succeeds.
// After the last target (under kFlux: each time the set is back to its starting size) it reads
// every workload key once (the audit), so that a value lost by an unsafe change is seen.
// (An audit after every single change would repair what the next change could lose: one add or
// remove on its own is safe even without a rescan; two in a row are not.) The missed-step proposer (SimParams::missed_proposer) is never
// configured nor waited for. Reads are recorded in the history as client `params.clients`.
//
// Every wait and retry is bounded (k*Max below); a bound that runs out is a liveness failure.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gryadka/v1/admin.pb.h"
#include "proposer/core/membership.h"
#include "proposer/core/random.h"
#include "tests/sim/cluster.h"
#include "tests/sim/event_log.h"
#include "tests/sim/event_loop.h"
#include "tests/sim/history.h"
#include "tests/sim/params.h"

namespace gryadka::sim {

struct OperatorStats {
  uint64_t changes = 0;          // target sets reached
  uint64_t configure_steps = 0;
  uint64_t rescan_steps = 0;     // run (or skipped: skip_rescan)
  uint64_t rescans_skipped = 0;
  uint64_t keys_rescanned = 0;
  uint64_t fence_retries = 0;    // fences that did not block the previous configuration at once
  uint64_t reads_failed = 0;     // rescan/audit reads retried
};

class Operator : public ClusterListener {
 public:
  Operator(EventLoop* loop, EventLog* log, const SimParams& params, Cluster* cluster,
           History* history);

  // Schedules the change (operator_delay_ms plus a seeded time in [0, operator_start_max_ms]).
  void Start();
  bool done() const { return done_; }
  // Bounds that ran out, in words (liveness failures).
  const std::vector<std::string>& failures() const { return failures_; }
  const OperatorStats& stats() const { return stats_; }
  // The configuration the operator last completed (fenced).
  const v1::Membership& running() const { return running_; }

  // ClusterListener (the operator's reads).
  void OnCompletion(int proposer, const core::Completion& completion) override;
  void OnProposerCrashed(int proposer, const std::vector<uint64_t>& request_ids) override;

 private:
  // Polls of "every proposer runs the epoch" 5 ms apart, fence attempts 20 ms apart, reads of one
  // key: each bounded (about 100 s of virtual time), then a liveness failure.
  static constexpr int64_t kPollUs = 5'000;
  static constexpr int kWaitPollsMax = 20'000;
  static constexpr int64_t kFenceRetryUs = 20'000;
  static constexpr int kFenceAttemptsMax = 5'000;
  static constexpr int64_t kReadRetryUs = 10'000;
  static constexpr int kReadAttemptsMax = 5'000;

  // The next target acceptor set, or nullopt when the change is complete.
  std::optional<std::vector<std::string>> NextTarget();
  std::vector<std::string> Members() const;  // of the running prepare set
  // A random live acceptor outside `members` (never a member so far when fresh_only), or -1.
  int RandomNonMember(const std::vector<std::string>& members, bool fresh_only);

  void NextStep();
  void After(int64_t delay_us, std::function<void()> fn);
  void Fail(const std::string& why);

  // Reads every workload key once, then runs `then`.
  void Audit(std::function<void()> then);
  void Configure(const v1::Membership& m);
  void ConfigureProposer(const v1::Membership& m, int p);
  void WaitForProposers(const v1::Membership& m, int polls);
  void Fence(const v1::Membership& m, int attempt);

  void Rescan(int attempt);
  // Reads keys_[next_key_..] one at a time, then runs `then`.
  void ReadKeys(std::function<void()> then);
  void ReadNextKey(int attempt);
  void OnReadDone(Outcome outcome, const std::string& error);

  EventLoop* loop_;
  EventLog* log_;
  const SimParams& params_;
  Cluster* cluster_;
  History* history_;
  core::Random rng_;
  v1::Membership running_;
  std::optional<std::vector<std::string>> target_;
  int changes_started_ = 0;
  std::set<std::string> ever_members_;
  bool done_ = false;
  bool failed_ = false;
  std::vector<std::string> failures_;
  OperatorStats stats_;

  // Reads (rescan or audit), one at a time.
  std::vector<std::string> keys_;
  size_t next_key_ = 0;
  int read_attempt_ = 0;
  std::function<void()> after_reads_;
  struct PendingRead {
    uint64_t request_id = 0;
    uint64_t history_id = 0;
    ProposerAddr to;
  };
  std::optional<PendingRead> pending_;
  uint64_t next_request_id_ = kOperatorRequestIdBase;
};

}  // namespace gryadka::sim
