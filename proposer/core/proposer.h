// The CASPaxos proposer as a pure state machine: no sockets, threads, clocks or randomness from
// outside. The caller (the gRPC shell, or the simulator) feeds it inputs — client requests,
// acceptor replies, the passage of time — and carries out what it asks for: messages to send to
// acceptors and completed requests to answer. Same code in production and in simulation.
//
// Per key it runs rounds of: prepare (skipped on the 1-RTT path) → apply the batch of queued
// change ops in arrival order → accept (value + next ballot) → answer each request's query op.
// Concurrent requests on one key are combined into one round. Conflicts fast-forward the ballot
// counter and retry after jittered backoff until the request's deadline. A change whose accept
// did not reach a quorum is recognised on retry by this proposer's writer mark inside the
// register, so a retry neither loses nor repeats it (see docs/protocol.md, "exactly-once retries").
// Each round keeps the configuration (acceptor sets, quorums, epoch) it started with for its
// prepare and its accept; Reconfigure changes what the next round takes. Acceptors refuse rounds
// of an older epoch (kFenced); the core reports the newer configuration to the shell
// (TakeFenceNotice) and retries (docs/protocol.md, "Configuration epochs and fencing in the core").
//
// Thread-compatible: one instance per event loop; all calls from one thread.
//
// Usage:
//   Proposer p(config, proposer_id, seed);
//   p.Submit(request, now);           // or OnReply(reply, now) / Tick(now)
//   for (auto& m : p.TakeOutbox()) send m;   for (auto& c : p.TakeCompletions()) answer c;
//   arm a timer for p.NextWakeupMs(); call Tick(now) when it fires.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "gryadka/internal/register.pb.h"
#include "gryadka/v1/kv.pb.h"
#include "proposer/core/ballot.h"
#include "proposer/core/config.h"
#include "proposer/core/messages.h"
#include "proposer/core/promise_cache.h"
#include "proposer/core/quorum.h"
#include "proposer/core/random.h"
#include "proposer/core/writer_marks.h"

namespace gryadka::core {

// Accepts of one batch that may be outstanding with unknown outcome before its requests fail
// with ABORTED.
inline constexpr size_t kUnresolvedAttemptsMax = 16;

struct ClientRequest {
  uint64_t id = 0;  // the caller's; unique among requests in flight in this core
  std::string key;
  v1::ChangeOp change;
  v1::QueryOp query;
  int64_t deadline_ms = 0;  // absolute, in the caller's clock (same clock as every now_ms)
};

struct Completion {
  uint64_t id = 0;
  absl::Status status;               // OK, or the error to return to the client
  v1::ChangeQueryResponse response;  // valid when status.ok()
};

// Monotonic counters, for metrics and tests.
struct ProposerStats {
  uint64_t requests_submitted = 0;
  uint64_t requests_completed_ok = 0;
  uint64_t requests_failed = 0;
  uint64_t rounds_started = 0;
  uint64_t rounds_one_rtt = 0;   // rounds that skipped prepare (cached promise)
  uint64_t rounds_two_rtt = 0;   // rounds that ran prepare
  uint64_t rounds_succeeded = 0;
  uint64_t rounds_failed = 0;
  uint64_t reads_skipped_accept = 0;
  uint64_t prepare_conflicts = 0;  // conflict replies to prepare
  uint64_t accept_conflicts = 0;   // conflict replies to accept
  uint64_t phase_timeouts = 0;
  uint64_t straggler_timeouts = 0;  // phases given up on acceptors that did not answer in time
  uint64_t accepts_held = 0;        // accepts not sent at first (accept to a quorum first)
  uint64_t accepts_held_sent = 0;   // of those, sent after all (a refusal, an error or the hedge)
  uint64_t retries_resolved_applied = 0;  // a lost accept was found applied on retry
  uint64_t cache_evictions = 0;
  // Exactly-once branches (docs/protocol.md, "exactly-once retries"):
  uint64_t writer_marks_evicted = 0;    // a changing round pushed the oldest writer mark out
  uint64_t retries_marks_evicted = 0;   // a retry could not tell (its mark may be evicted): ABORTED
  uint64_t accepts_not_applied = 0;     // a failed changing accept was certainly not applied
  uint64_t fenced_replies = 0;  // kFenced: an acceptor refused a round of an older epoch
};

// The highest fence an acceptor answered with (AcceptorReply::Status::kFenced): the epoch the
// acceptors now require and the configuration stored with it (a serialized
// gryadka.v1.Membership, possibly empty), and the acceptor that said so.
struct FenceNotice {
  uint64_t epoch = 0;
  std::string config;
  AcceptorId acceptor = 0;
};

class Proposer {
 public:
  // REQUIRES: config.Validate().ok(); proposer_id unique per process incarnation (never reused
  // after a restart); seed drives backoff jitter only.
  Proposer(ProposerConfig config, uint64_t proposer_id, uint64_t seed);
  ~Proposer();
  Proposer(const Proposer&) = delete;
  Proposer& operator=(const Proposer&) = delete;

  // A new client request. Invalid requests, and requests over the queue bounds, complete at once
  // with an error (see TakeCompletions).
  void Submit(ClientRequest request, int64_t now_ms);

  // A reply from an acceptor. Replies to unknown, finished or superseded messages are ignored.
  void OnReply(const AcceptorReply& reply, int64_t now_ms);

  // Time passed: fires phase timeouts, backoffs and request deadlines due at or before now_ms.
  void Tick(int64_t now_ms);

  // Messages to send since the last call (in order). The caller must deliver each or answer it
  // with a kError reply; a message never answered is covered by the phase timeout.
  std::vector<AcceptorRequest> TakeOutbox();
  // Requests finished since the last call.
  std::vector<Completion> TakeCompletions();
  bool HasOutput() const { return !outbox_.empty() || !completions_.empty(); }

  // The earliest time Tick() has work to do, or nullopt when idle.
  std::optional<int64_t> NextWakeupMs() const;

  // Drops every cached 1-RTT promise (e.g. after a configuration change).
  void DropCaches();

  // A hint from the shell: acceptor `id` is (not) connected. While fewer acceptors than a
  // quorum are up, rounds do not take the 1-RTT path (whose first message is an accept), so a
  // failure is reported as UNAVAILABLE with nothing written rather than as an unknown outcome.
  // All acceptors are presumed up until told otherwise; ids may be any non-negative AcceptorId
  // (also ones a later configuration adds); negative ids are ignored.
  void SetAcceptorUp(AcceptorId id, bool up);

  // Replaces acceptor sets/quorums (membership change). Rounds started from now on use
  // `config`; a round in flight keeps the configuration it started with for its prepare and its
  // accept (a snapshot per round; see rounds_in_older_epochs), and its retry takes the current
  // one. Cached 1-RTT promises are dropped. REQUIRES: config.Validate().ok(); config.epoch >=
  // config().epoch (CheckInvariants reports a round of a newer epoch than the configuration).
  void Reconfigure(const ProposerConfig& config);

  // Rounds still in flight under a configuration whose epoch is below config().epoch. Reaches 0
  // at most one round timeout after the Reconfigure that raised the epoch (every phase ends by
  // then). O(keys in flight).
  size_t rounds_in_older_epochs() const;

  // The highest fence seen in a kFenced reply since the last call, if its epoch is above
  // config().epoch (otherwise nullopt: the proposer already runs that epoch or a later one).
  // Clears it. The shell decodes notice.config and Reconfigure()s when it is valid.
  std::optional<FenceNotice> TakeFenceNotice();

  // OK, or INTERNAL naming the first internal inconsistency found (counters that disagree with
  // the state they count, timers and message ids that point nowhere, caches over their bounds;
  // the list is in the .cc). O(keys in flight + cache entries). For tests and the simulator,
  // which calls it after every event.
  absl::Status CheckInvariants() const;

  const ProposerStats& stats() const { return stats_; }
  // The configuration new rounds use. The reference is valid until the next Reconfigure.
  const ProposerConfig& config() const { return *config_; }
  uint64_t proposer_id() const { return proposer_id_; }
  size_t requests_in_flight() const { return requests_in_flight_; }
  size_t cache_entries() const { return cache_.size(); }

 private:
  struct Member;
  struct Attempt;
  struct AcceptInFlight;
  struct Round;
  struct Batch;
  struct KeyState;

  KeyState& StateFor(const std::string& key);
  void MaybeStartBatch(const std::string& key, KeyState& ks, int64_t now_ms);
  // A new attempt (round) of the key's batch under the current configuration.
  void StartAttempt(const std::string& key, KeyState& ks, int64_t now_ms);
  // Classifies a reply to the round's phase in flight and records it in the round's tally.
  // Returns the status to act on (a conflict naming our own ballot counts as kOk).
  AcceptorReply::Status RecordReply(Round& r, const AcceptorReply& reply);
  void OnPrepareReply(const std::string& key, KeyState& ks, const AcceptorReply& r, int64_t now_ms);
  void OnAcceptReply(const std::string& key, KeyState& ks, const AcceptorReply& r, int64_t now_ms);
  // After a reply that did not decide the phase: fails the attempt when waiting for the silent
  // acceptors can add nothing (see the .cc); otherwise arms the straggler deadline once as many
  // answers as a quorum have arrived and one of them is a conflict.
  void CheckUndecidedPhase(const std::string& key, KeyState& ks, int64_t now_ms);
  // The phase's deadline (or straggler deadline) passed: records the silent acceptors and fails
  // the attempt.
  void PhaseTimedOut(const std::string& key, KeyState& ks, int64_t now_ms, bool straggler);
  // The round knows the current register (from a prepare quorum or the 1-RTT cache): resolves
  // earlier attempts, applies the batch, then accepts or — for a read of a chosen value —
  // answers at once.
  void ApplyAndAccept(const std::string& key, KeyState& ks,
                      const internal::StoredRegister& current, bool chosen, int64_t now_ms);
  // ApplyAndAccept, step 1: did an earlier accept of this batch take effect after all? Sets
  // acc->resolved_attempt. Returns false when the register cannot tell (our mark may have been
  // evicted).
  bool ResolveEarlierAttempt(const Batch& b, const internal::StoredRegister& current,
                             AcceptInFlight* acc);
  // Step 2: applies every waiting member, in arrival order, each to the previous one's result;
  // fills acc->responses and, if anything changed, acc->new_reg (with our writer mark).
  void ApplyMembers(Batch& b, const ProposerConfig& cfg, const internal::StoredRegister& current,
                    AcceptInFlight* acc);
  // Step 3: nothing to write and the value is already chosen — the accept may be skipped.
  static bool MaySkipAccept(const Batch& b, const Round& r, bool chosen);
  void AttemptFailed(const std::string& key, KeyState& ks, int64_t now_ms);
  void FinishBatch(const std::string& key, KeyState& ks, int64_t now_ms);
  // Ends the batch's round: forgets its message id.
  void EndRound(Batch& b);
  void ExpireMembers(KeyState& ks, int64_t now_ms);
  void FailBatch(KeyState& ks, const absl::Status& status);
  void FailBatchUnknownOrUnavailable(KeyState& ks, const std::string& detail);
  void Complete(Member& m, absl::Status status, const v1::ChangeQueryResponse* response);
  void CheckKey(const std::string& key, int64_t now_ms);
  void MaybeEraseKey(const std::string& key);
  // Makes the key's timer fire no later than at_ms.
  void Wake(KeyState& ks, int64_t at_ms);
  // Sets the key's timer to exactly the earliest time it has work (or none).
  void RearmKey(KeyState& ks);
  void SetTimer(KeyState& ks, int64_t at_ms);
  Ballot NewBallot();
  // Sends the phase's messages under the round's configuration and starts its clock.
  void SendPhase(const std::string& key, KeyState& ks, AcceptorRequest::Kind kind,
                 int64_t now_ms);
  // The phase's message to acceptor `a` (the accept's value serialized into *value once).
  AcceptorRequest PhaseMessage(const std::string& key, const Round& r, AcceptorId a,
                               std::string* value) const;
  // Asks the members held back by accept-to-a-quorum-first.
  void SendHeld(const std::string& key, Round& r);
  // The hedge of r's accept fired: its silent asked members become slow; then SendHeld.
  void Hedge(const std::string& key, Round& r, int64_t now_ms);
  // Up and not slow: asked first by accept-to-a-quorum-first.
  bool AskFirst(AcceptorId a, int64_t now_ms) const;
  bool AcceptorUp(AcceptorId id) const { return !acceptors_down_.contains(id); }
  void NoteFence(const AcceptorReply& reply);
  absl::Status CheckKeyInvariants(const std::string& key, const KeyState& ks,
                                  size_t* requests) const;
  absl::Status CheckRoundInvariants(const std::string& key, const Batch& b) const;

  std::shared_ptr<const ProposerConfig> config_;  // never null
  uint64_t proposer_id_;
  Random rng_;
  uint64_t counter_ = 0;
  uint64_t next_msg_id_ = 1;
  uint64_t next_quorum_first_ = 0;  // rotates the quorum asked first
  // Acceptors that were asked an accept and still had not answered when its hedge fired: asked
  // last (like a down one) until the time here, or until any reply of theirs arrives. At most
  // one entry per acceptor id.
  absl::flat_hash_map<AcceptorId, int64_t> slow_until_ms_;
  // Acceptors the shell reported down (SetAcceptorUp); bounded by the acceptor ids it uses.
  absl::flat_hash_set<AcceptorId> acceptors_down_;
  size_t requests_in_flight_ = 0;

  absl::flat_hash_map<std::string, std::unique_ptr<KeyState>> keys_;
  absl::flat_hash_map<uint64_t, std::string> msg_keys_;  // round's msg_id -> key

  // One timer per key with state: (time, key sequence number). Bounded by the keys in flight;
  // ties break by the key's creation order (deterministic).
  std::set<std::pair<int64_t, uint64_t>> timers_;
  absl::flat_hash_map<uint64_t, KeyState*> keys_by_seq_;
  uint64_t next_key_seq_ = 1;

  PromiseCache cache_;
  std::optional<FenceNotice> fence_notice_;

  std::vector<AcceptorRequest> outbox_;
  std::vector<Completion> completions_;
  ProposerStats stats_;
};

}  // namespace gryadka::core
