// Membership of the acceptor set: checking a configuration (gryadka.v1.Membership), mapping it
// onto a core configuration, and planning a change from one acceptor set to another as a
// sequence of safe steps. Pure functions; thread-safe. The procedure and the safety argument
// are in docs/membership.md.
//
// A plan from the running configuration to a target acceptor set N (majority m = |N|/2 + 1):
//   1. configure: accept on N with the smallest quorum >= m that intersects every prepare
//      quorum of the running prepare set; rescan_from = the previous accept set.
//   2. rescan:    rewrite every key's current value through the new accept set.
//   3. configure: prepare on N with quorum m; rescan_from cleared.
//   4. configure: accept quorum lowered to m (only if step 1 needed a larger one).
// Steps already done are skipped, so planning again from any intermediate configuration (an
// interrupted change) yields exactly the remaining steps. Every configure step takes the next
// epoch; the caller runs it on every proposer and then fences the acceptors (FenceBlocks).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gryadka/v1/admin.pb.h"
#include "proposer/core/config.h"

namespace gryadka::core {

// The quorum of `set`: its quorum field, or a majority when that is 0.
int EffectiveQuorum(const v1::QuorumSet& set);

// True iff every `prepare` quorum shares an acceptor with every `accept` quorum.
bool QuorumsIntersect(const v1::QuorumSet& prepare, const v1::QuorumSet& accept);

// OK, or INVALID_ARGUMENT naming what is wrong: an empty set, an empty or repeated address, a
// quorum out of 1..size, prepare and accept quorums that do not intersect, or a rescan_from
// set whose quorums do not intersect the prepare quorums.
absl::Status ValidateMembership(const v1::Membership& membership);

// Every acceptor of the configuration (prepare set, then accept set, then rescan_from), each
// once, in first-seen order.
std::vector<std::string> MembershipAcceptors(const v1::Membership& membership);

// True iff fencing `fenced` leaves no quorum of `previous` (neither a prepare nor an accept
// quorum) without a fenced acceptor: no round of that configuration can then complete.
bool FenceBlocks(const v1::Membership& previous, const std::vector<std::string>& fenced);

// Acceptors to SCAN for a rescan of `membership`: enough of rescan_from (size - quorum + 1,
// preferring those in `reachable` order) that every quorum of it includes one, so every key
// whose value was chosen through it is found. Returns FAILED_PRECONDITION when no rescan is
// pending, UNAVAILABLE naming the missing ones when too few of them are reachable.
absl::StatusOr<std::vector<std::string>> RescanSources(const v1::Membership& membership,
                                                       const std::vector<std::string>& reachable);

// Builds a core configuration from `base` (timeouts and bounds kept) with the membership's sets,
// quorums and epoch; `id_of` maps an address to the acceptor id the caller uses for it.
// num_acceptors becomes max id + 1. REQUIRES: ValidateMembership(membership).ok().
ProposerConfig ApplyMembership(ProposerConfig base, const v1::Membership& membership,
                               const std::function<AcceptorId(const std::string&)>& id_of);

// The majority configuration of `acceptors` at `epoch` (how a proposer started from a plain
// acceptor list runs).
v1::Membership MajorityMembership(const std::vector<std::string>& acceptors, uint64_t epoch);

struct MembershipStep {
  enum class Kind {
    kConfigure,  // run `membership` on every proposer, then fence the acceptors with it
    kRescan,     // rewrite every key under `membership` (the running configuration)
  };
  Kind kind = Kind::kConfigure;
  v1::Membership membership;
  std::string description;  // one line for --dry-run and progress output
};

// The remaining steps from `current` to majority quorums on `target`. An empty plan means the
// target is already running. INVALID_ARGUMENT when `current` is invalid, `target` is empty or
// repeats an address, or the target keeps too few of the running prepare set for any accept
// quorum on it to intersect (e.g. replacing a majority at once: change fewer at a time).
absl::StatusOr<std::vector<MembershipStep>> PlanMembershipChange(
    const v1::Membership& current, const std::vector<std::string>& target);

// One line: "epoch 3: prepare 2 of [a, b, c], accept 3 of [a, b, c, d], rescan pending".
std::string DescribeMembership(const v1::Membership& membership);

}  // namespace gryadka::core
