// gryadkactl membership status | add | remove | replace: drives a membership change over every
// proposer, step by step (docs/membership.md; the plan is core::PlanMembershipChange's).
//
//   1. GetMembership on every proposer. The highest epoch is the running configuration;
//      proposers behind it are brought to it first (SetMembership, compare-and-set).
//   2. The target acceptor set comes from the running PREPARE set (TargetAcceptors), so running
//      the same command again after an interruption at any point plans exactly what is left.
//   3. The running epoch is confirmed (every proposer runs it with no round left in an older
//      epoch; its acceptors are fenced at it), then every step runs:
//      configure: SetMembership on every proposer (a proposer already running the step's
//        configuration counts as done, so a race with another run or a fence notice is fine);
//        wait, at most step_timeout_ms, until every proposer runs the new epoch with
//        rounds_in_older_epochs == 0; FenceAcceptors(new, also = the previous acceptors); stop
//        unless the fenced acceptors block every quorum of the previous configuration
//        (core::FenceBlocks).
//      rescan: a Rescan stream on one proposer, printing progress; a broken stream resumes from
//        its last cursor, on the next proposer, at most kRescanAttemptsMax times.
//   Every step prints one line when it starts and one when it is done.
//
// `status` prints every proposer that answers (a line for each one that does not, and then an
// error naming it). For the other commands a proposer that does not answer stops the command
// with an error naming it: every proposer
// must take every step (or be left out of the list on purpose — the acceptors' fence then stops
// its rounds, and it adopts the new configuration from their refusal).
//
// Thread-compatible. Blocks; sleeps between polls.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/ctl_args.h"
#include "client/membership_admin.h"

namespace gryadka::ctl {

inline constexpr int kRescanAttemptsMax = 5;         // Rescan streams per rescan step
inline constexpr int64_t kRescanRetryPauseMs = 1000;  // pause before resuming a broken stream

struct MembershipContext {
  MembershipArgs args;
  int64_t call_deadline_ms = kDefaultDeadlineMs;  // bound of each unary admin call
  std::vector<ProposerAdmin*> proposers;          // every proposer; REQUIRES: non-empty
  std::string command_prefix;  // how `status` spells a finishing command: "gryadkactl ... membership"
  std::function<void(const std::string&)> print;  // one line of output, without "\n"
};

// Runs the command. OK when it is done (status printed, plan printed for --dry-run, or the
// target running); otherwise the first error, naming the proposer or acceptors concerned and
// what to do.
absl::Status RunMembership(const MembershipContext& context);

}  // namespace gryadka::ctl
