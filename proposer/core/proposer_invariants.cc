#include "absl/strings/str_cat.h"
#include "proposer/core/proposer.h"
#include "proposer/core/proposer_state.h"

namespace gryadka::core {

// The invariants, each cheap to state:
//   * requests_in_flight_ = queued members + batch members not done;
//   * keys_ and keys_by_seq_ index the same states; every key has a queue or a batch (idle
//     keys are erased) and a timer;
//   * timers_ holds exactly one (timer_ms, seq) per key with timer_ms >= 0, and nothing else;
//   * msg_keys_ holds exactly the msg ids of the rounds in flight, each pointing at its key;
//   * per batch: members, at most kUnresolvedAttemptsMax unresolved attempts, a round unless
//     backing off; no prepare for a batch whose members are all done (an accept in flight is
//     left to finish, a failed one backs off, then the batch ends);
//   * per round: a configuration of an epoch <= config().epoch; its tally within the set and
//     quorum of its phase in that configuration; our ballots, none above counter_; deadlines in
//     order; an accept phase has its accept, whose responses (or resolved attempt) cover the
//     batch;
//   * the 1-RTT cache: index and list agree, byte total and bounds, entries of epoch <= ours;
//   * no acceptor id below 0 is reported down.
absl::Status Proposer::CheckInvariants() const {
  if (keys_.size() != keys_by_seq_.size()) {
    return absl::InternalError(absl::StrCat(keys_.size(), " keys but ", keys_by_seq_.size(),
                                            " key sequence numbers"));
  }
  size_t requests = 0;
  size_t timed_keys = 0;
  size_t rounds_with_msgs = 0;
  for (const auto& [key, ks] : keys_) {
    if (absl::Status s = CheckKeyInvariants(key, *ks, &requests); !s.ok()) return s;
    timed_keys += ks->timer_ms >= 0;
    rounds_with_msgs += ks->batch && ks->batch->round && ks->batch->round->msg_id != 0;
  }
  if (requests != requests_in_flight_) {
    return absl::InternalError(absl::StrCat("requests_in_flight is ", requests_in_flight_,
                                            " but the keys hold ", requests, " requests"));
  }
  if (timers_.size() != timed_keys) {
    return absl::InternalError(
        absl::StrCat(timers_.size(), " timers for ", timed_keys, " keys with a timer"));
  }
  if (msg_keys_.size() != rounds_with_msgs) {
    return absl::InternalError(absl::StrCat(msg_keys_.size(), " message ids for ",
                                            rounds_with_msgs, " rounds in flight"));
  }
  for (const auto& [msg_id, key] : msg_keys_) {
    auto it = keys_.find(key);
    const bool ok = it != keys_.end() && it->second->batch && it->second->batch->round &&
                    it->second->batch->round->msg_id == msg_id;
    if (!ok) {
      return absl::InternalError(absl::StrCat("message id ", msg_id, " points at key '", key,
                                              "' whose round in flight has another id"));
    }
  }
  if (absl::Status s = cache_.CheckInvariants(config_->epoch); !s.ok()) return s;
  for (AcceptorId a : acceptors_down_) {
    if (a < 0) return absl::InternalError(absl::StrCat("acceptor id ", a, " reported down"));
  }
  return absl::OkStatus();
}

absl::Status Proposer::CheckKeyInvariants(const std::string& key, const KeyState& ks,
                                          size_t* requests) const {
  auto seq = keys_by_seq_.find(ks.seq);
  if (ks.key != key || seq == keys_by_seq_.end() || seq->second != &ks) {
    return absl::InternalError(absl::StrCat("key '", key, "' is not indexed by its sequence"));
  }
  if (ks.queue.empty() && !ks.batch) {
    return absl::InternalError(absl::StrCat("key '", key, "' is idle but not erased"));
  }
  if (ks.timer_ms < 0 || !timers_.contains({ks.timer_ms, ks.seq})) {
    return absl::InternalError(absl::StrCat("key '", key, "' has work but its timer (",
                                            ks.timer_ms, " ms) is not armed"));
  }
  *requests += ks.queue.size();
  for (const Member& m : ks.queue) {
    if (m.done) return absl::InternalError(absl::StrCat("key '", key, "': a queued request is done"));
  }
  if (!ks.batch) return absl::OkStatus();
  const Batch& b = *ks.batch;
  if (b.members.empty()) return absl::InternalError(absl::StrCat("key '", key, "': empty batch"));
  size_t pending = 0;
  for (const Member& m : b.members) pending += !m.done;
  *requests += pending;
  if (b.unresolved.size() > kUnresolvedAttemptsMax) {
    return absl::InternalError(absl::StrCat("key '", key, "': ", b.unresolved.size(),
                                            " unresolved attempts, bound ",
                                            kUnresolvedAttemptsMax));
  }
  if (pending == 0 && b.round && b.round->phase == Round::Phase::kPrepare) {
    return absl::InternalError(
        absl::StrCat("key '", key, "': a prepare runs for a batch nobody waits for"));
  }
  if (!b.round) return absl::OkStatus();
  return CheckRoundInvariants(key, b);
}

absl::Status Proposer::CheckRoundInvariants(const std::string& key, const Batch& b) const {
  const Round& r = *b.round;
  auto fail = [&key](auto&&... what) {
    return absl::InternalError(absl::StrCat("key '", key, "': round ", what...));
  };
  if (!r.config) return fail("has no configuration");
  const ProposerConfig& cfg = r.cfg();
  if (cfg.epoch > config_->epoch) {
    return fail("of epoch ", cfg.epoch, " is newer than the configuration's ", config_->epoch);
  }
  if (r.msg_id == 0 || r.msg_id >= next_msg_id_) return fail("has message id ", r.msg_id);
  const bool prepare = r.phase == Round::Phase::kPrepare;
  if (r.tally.set() != (prepare ? cfg.prepare_set : cfg.accept_set) ||
      r.tally.quorum() != (prepare ? cfg.prepare_quorum : cfg.accept_quorum)) {
    return fail("counts over another set or quorum than its configuration's ",
                prepare ? "prepare" : "accept", " set");
  }
  if (absl::Status s = r.tally.CheckInvariants(); !s.ok()) return fail(s.message());
  if (r.tally.reached()) return fail("reached its quorum but is still in flight");
  if (prepare && static_cast<int>(r.accepted.size()) != r.tally.oks()) {
    return fail("has ", r.accepted.size(), " accepted ballots for ", r.tally.oks(), " promises");
  }
  if (r.ballot.proposer_id != proposer_id_ || r.ballot.counter > counter_) {
    return fail("ballot ", r.ballot.DebugString(), " is not one of ours");
  }
  if (r.phase_deadline_ms != r.phase_started_ms + cfg.round_timeout_ms ||
      r.straggler_deadline_ms > r.phase_deadline_ms) {
    return fail("deadlines out of order");
  }
  if (r.held.empty() != (r.hedge_deadline_ms < 0) || r.hedge_deadline_ms > r.phase_deadline_ms) {
    return fail("held acceptors and their hedge deadline disagree");
  }
  for (AcceptorId a : r.held) {
    if (prepare || !r.tally.Awaits(a)) return fail("holds acceptor ", a, ", not a silent member");
  }
  if (r.tally.size() - static_cast<int>(r.held.size()) <
      std::min(r.tally.quorum(), r.tally.size())) {
    return fail("asked fewer acceptors than its quorum");
  }
  if (prepare) return absl::OkStatus();
  if (!r.accept.has_value()) return fail("is accepting with nothing to accept");
  const AcceptInFlight& acc = *r.accept;
  if (!acc.next.IsZero() && (acc.next.proposer_id != proposer_id_ || acc.next <= r.ballot)) {
    return fail("promise ", acc.next.DebugString(), " is not a later ballot of ours");
  }
  const bool resolved = acc.resolved_attempt >= 0;
  if (resolved ? acc.resolved_attempt >= static_cast<int>(b.unresolved.size())
               : acc.responses.size() != b.members.size()) {
    return fail("accept answers no batch member list");
  }
  return absl::OkStatus();
}

}  // namespace gryadka::core
