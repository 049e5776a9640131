// Configuration of one proposer core: acceptor sets and quorums, timeouts, bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proposer/core/messages.h"
#include "proposer/core/ops.h"

namespace gryadka::core {

struct ProposerConfig {
  // Acceptors are numbered 0..num_acceptors-1. Prepare and accept sets/quorums are configured
  // separately (flexible quorums, needed for membership change); every prepare quorum must
  // intersect every accept quorum.
  int num_acceptors = 3;
  std::vector<AcceptorId> prepare_set = {0, 1, 2};
  int prepare_quorum = 2;
  std::vector<AcceptorId> accept_set = {0, 1, 2};
  int accept_quorum = 2;
  // When true, do NOT check that quorums intersect (used only by the simulator's deliberately
  // broken ".i" scenarios to prove the checkers catch violations).
  bool allow_unsafe_quorums = false;
  // The configuration epoch (docs/membership.md): carried by every prepare and accept; an
  // acceptor whose minimum epoch is higher refuses them (kFenced). Grows with every membership
  // step; 0 = never changed.
  uint64_t epoch = 0;

  Limits limits;

  // A phase (prepare or accept) that has not reached its quorum this long after it was sent
  // fails and the round is retried.
  int64_t round_timeout_ms = 500;
  // A phase whose outcome hinges on acceptors that have not answered — as many answers as a
  // quorum have arrived, one of them a conflict, and still no quorum of oks — waits at most
  // max(straggler_timeout_ms, twice the time the phase has taken so far) for them, then fails
  // and the round is retried. A frozen or partitioned acceptor therefore costs a contended round
  // milliseconds, not round_timeout_ms. Waiting buys no safety, only a more precise outcome
  // (docs/protocol.md, "Stragglers").
  int64_t straggler_timeout_ms = 10;
  // Retry backoff after a failed round: uniformly random in [0, min(max, base * 2^(n-1))].
  int64_t backoff_base_ms = 1;
  int64_t backoff_max_ms = 64;
  // Consecutive rounds that fail for lack of answering acceptors (not conflicts) before the
  // requests fail with UNAVAILABLE (or ABORTED if a change may have been applied).
  int unavailable_rounds_max = 3;

  // One-round-trip path: accepts carry the next ballot and the proposer caches (next, value)
  // per key, skipping prepare on the key's next round.
  bool one_rtt = true;
  size_t cache_entries_max = 100000;
  size_t cache_bytes_max = 256u << 20;
  // Reads skip the accept phase when the prepare quorum shows the value already chosen.
  bool read_skip_accept = true;
  // Accepts go to a quorum of the accept set first, not to all of it: a different quorum each
  // round, in turn, so every acceptor takes an equal share (with 3 acceptors, each gets 2 of
  // every 3 accepts). The rest are asked as soon as one of those refuses or fails, or when the
  // quorum has not been reached accept_hedge_ms after the phase began. Any quorum is as good as
  // any other for safety (docs/protocol.md, "Accepts to a quorum first"); only when the prepare
  // and accept sets are the same (no membership change in progress). Off here, so the core's
  // tests see every acceptor asked; the server turns it on (--accept_quorum_first).
  bool accept_quorum_first = false;
  int64_t accept_hedge_ms = 10;

  // Requests combined into one round of a key (applied in arrival order).
  size_t batch_ops_max = 256;
  // Requests waiting for one key beyond the round in progress; more are RESOURCE_EXHAUSTED.
  size_t queue_per_key_max = 10000;
  // Requests inside the core in total; more are RESOURCE_EXHAUSTED.
  size_t requests_max = 200000;

  // Returns OK or INVALID_ARGUMENT naming the inconsistency (ids out of range, duplicates,
  // quorum larger than its set, non-intersecting quorums, non-positive bounds).
  absl::Status Validate() const;

  // The standard 2F+1 configuration: all acceptors in both sets, majority quorums.
  static ProposerConfig Majority(int num_acceptors);
};

}  // namespace gryadka::core
