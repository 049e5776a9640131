#include "tests/sim/simulation.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tests/sim/clients.h"
#include "tests/sim/cluster.h"
#include "tests/sim/event_log.h"
#include "tests/sim/event_loop.h"
#include "tests/sim/faults.h"
#include "tests/sim/history.h"
#include "tests/sim/linearizability_checker.h"
#include "tests/sim/operator.h"
#include "tests/sim/rumor_checker.h"

namespace gryadka::sim {
namespace {

// A run that takes more events than this is stuck in a loop (a typical run takes ~10^4).
constexpr uint64_t kEventsMax = 50'000'000;

struct Phases {
  bool healed = false;
  bool liveness_expired = false;
  int64_t heal_us = 0;
};

void RunChecks(const SimParams& params, const RunOptions& options, const History& history,
               const Cluster& cluster, RunResult* r) {
  const RumorReport rumor = CheckRumors(history);
  if (!rumor.ok) {
    r->rumor_violation = true;
    absl::StrAppend(&r->details, "rumor check: ", rumor.violation, "\n");
  }
  const LinearizabilityReport lin =
      CheckLinearizability(history, params.proposer.limits, options.budget);
  r->linearizability_violation = lin.verdict == Verdict::kViolation;
  r->linearizability_undecided = lin.verdict == Verdict::kUnknown;
  if (lin.verdict != Verdict::kLinearizable) {
    absl::StrAppend(&r->details, "linearizability: ", VerdictName(lin.verdict), "\n",
                    lin.Summary());
  }
  if (!cluster.monitor().ok()) {
    r->ballot_violation = true;
    absl::StrAppend(&r->details, "accept invariant: ", cluster.monitor().violation(), "\n");
  }
}

void Judge(const SimParams& params, RunResult* r) {
  std::vector<std::string> found;
  if (r->rumor_violation) found.push_back("rumor check");
  if (r->linearizability_violation) found.push_back("linearizability");
  if (r->ballot_violation) found.push_back("accept invariant");
  if (r->replay_diverged) {
    r->passed = false;
    r->verdict = "replay diverged from the recording";
    return;
  }
  if (r->core_invariant_violation) {
    r->passed = false;
    r->verdict = "proposer core invariant broken";
    return;
  }
  if (params.expect_violation) {
    r->passed = r->safety_violation();
    r->verdict = r->passed ? absl::StrCat("unsafe configuration caught by ",
                                          absl::StrJoin(found, ", "))
                           : "MISSED: no checker found a violation in a deliberately unsafe "
                             "configuration or membership change";
    return;
  }
  std::vector<std::string> problems;
  if (!found.empty()) {
    problems.push_back(absl::StrCat("safety violation (", absl::StrJoin(found, ", "), ")"));
  }
  if (r->liveness_failure) problems.push_back("liveness failure");
  if (r->linearizability_undecided) problems.push_back("linearizability undecided (budget)");
  r->passed = problems.empty();
  r->verdict = r->passed ? "ok" : absl::StrJoin(problems, "; ");
}

}  // namespace

RunResult RunSimulation(const SimParams& params, const RunOptions& options) {
  RunResult r;
  EventLoop loop;
  EventLog log;
  log.set_trace(options.trace);
  if (options.record) log.StartRecording();
  if (!options.replay.empty()) log.StartReplay(options.replay);
  log.Add(0, absl::StrFormat("run %s seed=%d intensity=%d%s", params.scenario, params.seed,
                             params.intensity,
                             params.acceptor_kind == AcceptorKind::kLua ? " acceptor=lua" : ""));

  History history;
  Cluster cluster(&loop, &log, params);
  FaultInjector faults(&loop, &log, StreamSeed(params.seed, kStreamFaults), params,
                       &cluster.network(), &cluster);
  ClientDriver clients(&loop, &log, params, &cluster, &history);
  cluster.set_listener(&clients);
  std::unique_ptr<Operator> op;
  if (params.membership != MembershipChange::kNone) {
    op = std::make_unique<Operator>(&loop, &log, params, &cluster, &history);
    cluster.set_operator_listener(op.get());
    if (params.clients_follow_change) clients.set_keep_running([&op] { return !op->done(); });
  }
  auto all_done = [&] { return clients.all_done() && (op == nullptr || op->done()); };

  Phases phases;
  std::vector<std::string> liveness_problems;
  auto heal = [&] {
    if (phases.healed) return;
    phases.healed = true;
    phases.heal_us = loop.now_us();
    faults.Heal();
    cluster.StopChurn();
    clients.Heal();
    loop.At(phases.heal_us + params.liveness_bound_ms * 1000, [&] {
      if (!all_done()) phases.liveness_expired = true;
    });
  };
  clients.set_on_fault_work_done(heal);
  loop.At(params.fault_phase_max_ms * 1000, heal);

  faults.Start();
  clients.Start();
  if (op != nullptr) op->Start();
  while (!all_done() && !phases.liveness_expired && !log.diverged() && loop.RunOne()) {
    // The core checks its own consistency after every event; the first break ends the run.
    if (absl::Status s = cluster.CheckProposerInvariants(); !s.ok()) {
      r.core_invariant_violation = true;
      absl::StrAppend(&r.details, "core invariant (seed ", params.seed, ", event ",
                      loop.events_run(), "): ", s.message(), "\n");
      break;
    }
    if (loop.events_run() > kEventsMax) {
      liveness_problems.push_back(absl::StrCat("more than ", kEventsMax, " events: stuck"));
      break;
    }
  }
  r.end_us = loop.now_us();
  r.heal_us = phases.heal_us;
  if (log.diverged()) {
    r.replay_diverged = true;
    r.details = absl::StrCat("replay: ", log.divergence(), "\n");
  } else if (log.replay_incomplete()) {
    r.replay_diverged = true;
    r.details = absl::StrCat("replay: the run ended after ", log.lines(),
                             " events; the recording has more\n");
  }
  if (phases.liveness_expired) {
    liveness_problems.push_back(absl::StrFormat(
        "not finished %d ms after healing (at %d ms):\n%s", params.liveness_bound_ms,
        phases.heal_us / 1000, clients.DescribeUnfinished()));
  } else if (!all_done() && !r.replay_diverged && liveness_problems.empty()) {
    liveness_problems.push_back(absl::StrCat("nothing left to happen, but clients are not done:\n",
                                             clients.DescribeUnfinished()));
  }
  if (op != nullptr) {
    if (!op->done() && !r.replay_diverged) {
      liveness_problems.push_back("the operator did not finish the membership change");
    }
    for (const std::string& f : op->failures()) liveness_problems.push_back(f);
    const OperatorStats& s = op->stats();
    r.membership_changes = s.changes;
    r.configure_steps = s.configure_steps;
    r.rescan_steps = s.rescan_steps;
    r.keys_rescanned = s.keys_rescanned;
    r.fence_retries = s.fence_retries;
    r.final_epoch = op->running().epoch();
    r.submits_behind_published = cluster.submits_behind_published();
  }
  for (int p = 0; p < params.proposers; ++p) {
    r.fence_adoptions += cluster.fence_adoptions(p);
    if (p == params.missed_proposer) r.missed_proposer_fence_adoptions = cluster.fence_adoptions(p);
  }
  for (const std::string& f : clients.liveness_failures()) liveness_problems.push_back(f);
  if (clients.all_done()) {
    for (int p = 0; p < params.proposers; ++p) {
      if (cluster.requests_in_flight(p) == 0) continue;
      liveness_problems.push_back(absl::StrFormat(
          "proposer p%d still holds %d requests after every client has its answer", p,
          cluster.requests_in_flight(p)));
    }
  }
  r.liveness_failure = !liveness_problems.empty();
  if (r.liveness_failure) {
    absl::StrAppend(&r.details, "liveness:\n    ", absl::StrJoin(liveness_problems, "\n    "),
                    "\n");
  }

  history.ClosePending(loop.now_us());
  for (const Operation& op : history.ops()) {
    ++r.ops;
    r.ops_ok += op.outcome == Outcome::kOk;
    r.ops_unknown += op.outcome == Outcome::kUnknown;
    r.ops_not_applied += op.outcome == Outcome::kNotApplied;
  }
  if (!r.replay_diverged) RunChecks(params, options, history, cluster, &r);
  const core::ProposerStats stats = cluster.TotalStats();
  r.rounds = stats.rounds_started;
  r.rounds_one_rtt = stats.rounds_one_rtt;
  r.proposer_restarts = cluster.restarts();
  r.messages_lost = cluster.network().messages_lost();
  r.requests_not_sent = cluster.network().requests_not_sent();
  r.writer_marks_evicted = stats.writer_marks_evicted;
  r.retries_marks_evicted = stats.retries_marks_evicted;
  r.accepts_not_applied = stats.accepts_not_applied;
  r.minority_accepts = cluster.monitor().MinorityAccepts(params.proposer.accept_quorum);
  Judge(params, &r);
  r.digest = log.digest();
  r.events = log.lines();
  if (options.record) r.recorded = log.recorded();
  return r;
}

}  // namespace gryadka::sim
