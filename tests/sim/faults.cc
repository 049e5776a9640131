#include "tests/sim/faults.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace gryadka::sim {

FaultInjector::FaultInjector(EventLoop* loop, EventLog* log, uint64_t seed,
                             const SimParams& params, Network* network, FaultTarget* target)
    : loop_(loop),
      log_(log),
      rng_(seed),
      params_(params),
      network_(network),
      target_(target),
      held_down_(params.acceptors, false),
      crashed_(params.acceptors, false),
      paused_(params.acceptors, false),
      proposer_down_(params.proposers, false),
      disconnected_until_us_(static_cast<size_t>(params.proposers * params.acceptors), 0) {}

void FaultInjector::Start() {
  active_ = true;
  const FaultSwitches& f = params_.faults;
  for (int i = 0; i < f.acceptors_down && i < params_.acceptors; ++i) {
    int a;
    do {
      a = static_cast<int>(rng_.Uniform(params_.acceptors));
    } while (held_down_[a]);
    held_down_[a] = true;
    crashed_[a] = true;
    log_->Add(loop_->now_us(), absl::StrCat("fault: acceptor a", a, " down for the fault phase"));
    target_->CrashAcceptor(a);
  }
  if (f.partitions) NextPartition();
  if (f.acceptor_crashes) {
    loop_->After(rng_.Range(0, params_.fault.acceptor_crash_gap_max_ms) * 1000,
                 [this] { NextAcceptorCrash(); });
  }
  if (f.acceptor_pauses) {
    loop_->After(rng_.Range(0, params_.fault.pause_gap_max_ms) * 1000, [this] { NextPause(); });
  }
  if (f.proposer_restarts) {
    loop_->After(rng_.Range(0, params_.fault.proposer_crash_gap_max_ms) * 1000,
                 [this] { NextProposerCrash(); });
  }
  if (f.disconnects) {
    loop_->After(rng_.Range(0, params_.fault.disconnect_gap_max_ms) * 1000,
                 [this] { NextDisconnect(); });
  }
}

// One proposer loses its connections to every acceptor (a third of the time) or to a random
// subset, for up to disconnect_max_ms; overlapping disconnections extend each other.
void FaultInjector::NextDisconnect() {
  if (!active_) return;
  const int p = static_cast<int>(rng_.Uniform(params_.proposers));
  const bool all = rng_.Uniform(3) == 0;
  const int64_t until_us = loop_->now_us() + rng_.Range(1, params_.fault.disconnect_max_ms) * 1000;
  std::string which;
  for (int a = 0; a < params_.acceptors; ++a) {
    if (!all && !rng_.Chance(0.5)) continue;
    int64_t& until = disconnected_until_us_[p * params_.acceptors + a];
    until = std::max(until, until_us);
    network_->SetDisconnected(p, a, true);
    absl::StrAppend(&which, " a", a);
    loop_->At(until_us, [this, p, a] {
      if (!active_ || loop_->now_us() < disconnected_until_us_[p * params_.acceptors + a]) return;
      log_->Add(loop_->now_us(), absl::StrCat("fault: reconnect p", p, ">a", a));
      network_->SetDisconnected(p, a, false);
    });
  }
  log_->Add(loop_->now_us(), absl::StrCat("fault: disconnect p", p, " from", which.empty() ? " none" : which));
  loop_->After(rng_.Range(1, params_.fault.disconnect_gap_max_ms) * 1000,
               [this] { NextDisconnect(); });
}

void FaultInjector::NextPartition() {
  if (!active_) return;
  network_->ClearPartitions();
  const int np = params_.proposers;
  const int na = params_.acceptors;
  const int a = static_cast<int>(rng_.Uniform(na));
  const int p = static_cast<int>(rng_.Uniform(np));
  switch (rng_.Uniform(6)) {
    case 0:  // healed for a while
      break;
    case 1:  // one acceptor isolated from every proposer
      for (int q = 0; q < np; ++q) network_->Cut(q, a, true, true);
      break;
    case 2:  // one proposer cut from a random subset of acceptors, both ways
      for (int b = 0; b < na; ++b) {
        if (rng_.Chance(0.5)) network_->Cut(p, b, true, true);
      }
      break;
    case 3:  // asymmetric: an acceptor hears nobody, or nobody hears it (it still applies)
      for (int q = 0; q < np; ++q) network_->Cut(q, a, rng_.Chance(0.5), true);
      break;
    case 4:  // random directed links
      for (int q = 0; q < np; ++q) {
        for (int b = 0; b < na; ++b) network_->Cut(q, b, rng_.Chance(0.3), rng_.Chance(0.3));
      }
      break;
    case 5:  // each proposer reaches a different random quorum only
      for (int q = 0; q < np; ++q) {
        std::vector<bool> keep(na, false);
        for (int k = 0; k < na / 2 + 1;) {
          const int b = static_cast<int>(rng_.Uniform(na));
          if (!keep[b]) {
            keep[b] = true;
            ++k;
          }
        }
        for (int b = 0; b < na; ++b) {
          if (!keep[b]) network_->Cut(q, b, true, true);
        }
      }
      break;
  }
  log_->Add(loop_->now_us(), absl::StrCat("fault: partition ", network_->DescribePartitions()));
  const int64_t period_ms =
      rng_.Range(params_.fault.partition_period_min_ms, params_.fault.partition_period_max_ms);
  loop_->After(period_ms * 1000, [this] { NextPartition(); });
}

int FaultInjector::CountCrashed() const {
  int n = 0;
  for (int a = 0; a < params_.acceptors; ++a) n += crashed_[a] && !held_down_[a] ? 1 : 0;
  return n;
}

void FaultInjector::NextAcceptorCrash() {
  if (!active_) return;
  const int a = static_cast<int>(rng_.Uniform(params_.acceptors));
  if (!crashed_[a] && !held_down_[a] && CountCrashed() < params_.fault.max_acceptors_crashed) {
    crashed_[a] = true;
    paused_[a] = false;
    log_->Add(loop_->now_us(), absl::StrCat("fault: crash acceptor a", a));
    target_->CrashAcceptor(a);
    const int64_t downtime_ms = rng_.Range(1, params_.fault.acceptor_downtime_max_ms);
    loop_->After(downtime_ms * 1000, [this, a] {
      if (!active_ || !crashed_[a]) return;
      crashed_[a] = false;
      log_->Add(loop_->now_us(), absl::StrCat("fault: restart acceptor a", a));
      target_->RestartAcceptor(a);
    });
  }
  loop_->After(rng_.Range(1, params_.fault.acceptor_crash_gap_max_ms) * 1000,
               [this] { NextAcceptorCrash(); });
}

void FaultInjector::NextPause() {
  if (!active_) return;
  const int a = static_cast<int>(rng_.Uniform(params_.acceptors));
  if (!crashed_[a] && !paused_[a]) {
    paused_[a] = true;
    log_->Add(loop_->now_us(), absl::StrCat("fault: pause acceptor a", a));
    target_->PauseAcceptor(a);
    const int64_t pause_ms = rng_.Range(1, params_.fault.pause_max_ms);
    loop_->After(pause_ms * 1000, [this, a] {
      if (!active_ || !paused_[a]) return;
      paused_[a] = false;
      log_->Add(loop_->now_us(), absl::StrCat("fault: resume acceptor a", a));
      target_->ResumeAcceptor(a);
    });
  }
  loop_->After(rng_.Range(1, params_.fault.pause_gap_max_ms) * 1000, [this] { NextPause(); });
}

void FaultInjector::NextProposerCrash() {
  if (!active_) return;
  const int p = static_cast<int>(rng_.Uniform(params_.proposers));
  if (!proposer_down_[p]) {
    proposer_down_[p] = true;
    log_->Add(loop_->now_us(), absl::StrCat("fault: crash proposer p", p));
    target_->CrashProposer(p);
    const int64_t downtime_ms = rng_.Range(0, params_.fault.proposer_downtime_max_ms);
    loop_->After(downtime_ms * 1000, [this, p] {
      if (!active_ || !proposer_down_[p]) return;
      proposer_down_[p] = false;
      log_->Add(loop_->now_us(), absl::StrCat("fault: restart proposer p", p));
      target_->RestartProposer(p);
    });
  }
  loop_->After(rng_.Range(1, params_.fault.proposer_crash_gap_max_ms) * 1000,
               [this] { NextProposerCrash(); });
}

void FaultInjector::Heal() {
  if (!active_) return;
  active_ = false;
  network_->Heal();
  log_->Add(loop_->now_us(), "fault: HEAL (network without loss, partitions cleared)");
  for (int a = 0; a < params_.acceptors; ++a) {
    if (crashed_[a]) {
      crashed_[a] = false;
      log_->Add(loop_->now_us(), absl::StrCat("fault: restart acceptor a", a));
      target_->RestartAcceptor(a);
    }
    if (paused_[a]) {
      paused_[a] = false;
      log_->Add(loop_->now_us(), absl::StrCat("fault: resume acceptor a", a));
      target_->ResumeAcceptor(a);
    }
  }
  for (int p = 0; p < params_.proposers; ++p) {
    if (!proposer_down_[p]) continue;
    proposer_down_[p] = false;
    log_->Add(loop_->now_us(), absl::StrCat("fault: restart proposer p", p));
    target_->RestartProposer(p);
  }
}

}  // namespace gryadka::sim
