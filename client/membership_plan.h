// gryadkactl membership: the pure part — which acceptor set a command aims at, whether a change
// is in progress and which command finishes it, and the lines of a plan and of `status`.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/ctl_args.h"
#include "gryadka/v1/admin.pb.h"
#include "proposer/core/membership.h"

namespace gryadka::ctl {

// The target acceptor set of add/remove/replace, computed from the running PREPARE set (so
// running the same command again after an interruption aims at the same set): add = prepare +
// ADDR, remove = prepare - ADDR, replace = prepare with OLD swapped for NEW (in place). A
// command already done gives the prepare set itself. FAILED_PRECONDITION for replace when OLD
// and NEW are both absent ("nothing to replace") or both present (use remove OLD).
// REQUIRES: args.action != kStatus.
absl::StatusOr<std::vector<std::string>> TargetAcceptors(const MembershipArgs& args,
                                                         const v1::QuorumSet& prepare);

// Why `running` is in the middle of a change ("the accept set differs from the prepare set",
// "a rescan is pending", "a quorum is not a majority"), or nullopt when it is not.
std::optional<std::string> ChangeInProgress(const v1::Membership& running);

// The membership command ("add ADDR", "remove ADDR", "replace OLD NEW") that finishes the change
// `running` is in the middle of, or nullopt when no single command does (several acceptors
// differ, e.g. a hand-written --membership_file) or no change is in progress.
std::optional<std::string> FinishCommand(const v1::Membership& running);

// What one proposer reported.
struct ProposerReport {
  std::string name;
  v1::GetMembershipResponse response;
};

// `status`: one line per proposer, the running configuration, and whether a change is in
// progress with the command that finishes it (prefixed by `command_prefix`, e.g.
// "gryadkactl --proposers=a:1,b:2 membership").
std::vector<std::string> StatusLines(const std::vector<ProposerReport>& reports,
                                     const v1::Membership& running,
                                     const std::string& command_prefix);

// The plan as printed before it runs (and by --dry-run): the proposers it touches, laggards
// brought to the running epoch, the confirmation of the running epoch, then one line per step.
std::vector<std::string> PlanLines(const std::vector<ProposerReport>& reports,
                                   const v1::Membership& running,
                                   const std::vector<core::MembershipStep>& steps);

// The highest-epoch configuration among `reports` (the running one), or FAILED_PRECONDITION
// when two proposers report different configurations under the same epoch.
// REQUIRES: !reports.empty().
absl::StatusOr<v1::Membership> RunningMembership(const std::vector<ProposerReport>& reports);

// True iff `a` and `b` are the same configuration: same epoch, and each set has the same
// acceptors (in any order) and the same effective quorum (0 and an explicit majority match).
bool SameMembership(const v1::Membership& a, const v1::Membership& b);

}  // namespace gryadka::ctl
