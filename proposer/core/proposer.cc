#include "proposer/core/proposer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proposer/core/proposer_state.h"
#include "proposer/core/stored_register.h"

namespace gryadka::core {

namespace {

v1::Record PublicRecord(const internal::StoredRegister& reg) {
  v1::Record r;
  r.set_value(reg.value());
  r.set_version(reg.version());
  return r;
}

}  // namespace

Proposer::Proposer(ProposerConfig config, uint64_t proposer_id, uint64_t seed)
    : config_(std::make_shared<const ProposerConfig>(std::move(config))),
      proposer_id_(proposer_id),
      rng_(seed),
      cache_(config_->cache_entries_max, config_->cache_bytes_max) {}

void Proposer::SetAcceptorUp(AcceptorId id, bool up) {
  if (id < 0) return;
  if (up) {
    acceptors_down_.erase(id);
  } else {
    acceptors_down_.insert(id);
  }
}

Proposer::~Proposer() = default;

Ballot Proposer::NewBallot() { return Ballot{++counter_, proposer_id_}; }

Proposer::KeyState& Proposer::StateFor(const std::string& key) {
  auto& slot = keys_[key];
  if (!slot) {
    slot = std::make_unique<KeyState>();
    slot->key = key;
    slot->seq = next_key_seq_++;
    keys_by_seq_[slot->seq] = slot.get();
  }
  return *slot;
}

void Proposer::SetTimer(KeyState& ks, int64_t at_ms) {
  if (ks.timer_ms == at_ms) return;
  if (ks.timer_ms >= 0) timers_.erase({ks.timer_ms, ks.seq});
  ks.timer_ms = at_ms;
  if (at_ms >= 0) timers_.insert({at_ms, ks.seq});
}

void Proposer::Wake(KeyState& ks, int64_t at_ms) {
  if (ks.timer_ms < 0 || at_ms < ks.timer_ms) SetTimer(ks, at_ms);
}

void Proposer::RearmKey(KeyState& ks) {
  int64_t at = -1;
  auto consider = [&at](int64_t t) {
    if (at < 0 || t < at) at = t;
  };
  for (const Member& m : ks.queue) consider(m.req.deadline_ms);
  if (ks.batch) {
    const Batch& b = *ks.batch;
    for (const Member& m : b.members) {
      if (!m.done) consider(m.req.deadline_ms);
    }
    if (!b.round) {
      consider(b.backoff_until_ms);
    } else {
      consider(b.round->phase_deadline_ms);
      if (b.round->straggler_deadline_ms >= 0) consider(b.round->straggler_deadline_ms);
      if (b.round->hedge_deadline_ms >= 0) consider(b.round->hedge_deadline_ms);
    }
  }
  SetTimer(ks, at);
}

std::optional<int64_t> Proposer::NextWakeupMs() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

std::vector<AcceptorRequest> Proposer::TakeOutbox() { return std::exchange(outbox_, {}); }
std::vector<Completion> Proposer::TakeCompletions() { return std::exchange(completions_, {}); }

void Proposer::Submit(ClientRequest request, int64_t now_ms) {
  ++stats_.requests_submitted;
  auto reject = [&](absl::Status s) {
    ++stats_.requests_failed;
    completions_.push_back(Completion{request.id, std::move(s), {}});
  };
  const ProposerConfig& cfg = *config_;
  if (auto s = ValidateRequest(request.key, request.change, request.query, cfg.limits); !s.ok()) {
    return reject(std::move(s));
  }
  if (request.deadline_ms <= now_ms) {
    return reject(absl::DeadlineExceededError("deadline already passed on arrival; nothing was written"));
  }
  if (requests_in_flight_ >= cfg.requests_max) {
    return reject(absl::ResourceExhaustedError(absl::StrCat(
        "proposer is at its limit of ", cfg.requests_max,
        " requests in flight; nothing was written, retry later or add proposers")));
  }
  const std::string key = request.key;
  KeyState& ks = StateFor(key);
  if (ks.queue.size() >= cfg.queue_per_key_max) {
    return reject(absl::ResourceExhaustedError(absl::StrCat(
        "key has ", ks.queue.size(), " requests queued at this proposer (limit ",
        cfg.queue_per_key_max, "); nothing was written, retry later")));
  }
  ++requests_in_flight_;
  Wake(ks, request.deadline_ms);
  ks.queue.push_back(Member{std::move(request)});
  MaybeStartBatch(key, ks, now_ms);
}

void Proposer::Complete(Member& m, absl::Status status, const v1::ChangeQueryResponse* response) {
  m.done = true;
  --requests_in_flight_;
  if (status.ok()) {
    ++stats_.requests_completed_ok;
  } else {
    ++stats_.requests_failed;
  }
  Completion c{m.req.id, std::move(status), {}};
  if (response != nullptr) c.response = *response;
  completions_.push_back(std::move(c));
}

void Proposer::MaybeStartBatch(const std::string& key, KeyState& ks, int64_t now_ms) {
  if (ks.batch || ks.queue.empty()) return;
  ks.batch = std::make_unique<Batch>();
  while (!ks.queue.empty() && ks.batch->members.size() < config_->batch_ops_max) {
    ks.batch->members.push_back(std::move(ks.queue.front()));
    ks.queue.pop_front();
  }
  StartAttempt(key, ks, now_ms);
}

void Proposer::StartAttempt(const std::string& key, KeyState& ks, int64_t now_ms) {
  Batch& b = *ks.batch;
  ++stats_.rounds_started;
  b.round = std::make_unique<Round>();
  Round& r = *b.round;
  r.config = config_;
  const ProposerConfig& cfg = r.cfg();
  if (cfg.one_rtt &&
      QuorumIn(cfg.accept_set, cfg.accept_quorum, [this](AcceptorId a) { return AcceptorUp(a); })) {
    if (std::optional<CachedPromise> cached = cache_.Take(key, cfg.epoch)) {
      // We hold a promise for cached->next on a prepare quorum of this epoch, made by the accept
      // that wrote cached->reg: that accept served as this round's prepare.
      ++stats_.rounds_one_rtt;
      r.ballot = cached->next;
      r.one_rtt = true;
      ApplyAndAccept(key, ks, cached->reg, /*chosen=*/false, now_ms);
      return;
    }
  }
  ++stats_.rounds_two_rtt;
  r.ballot = NewBallot();
  r.one_rtt = false;
  SendPhase(key, ks, AcceptorRequest::Kind::kPrepare, now_ms);
}

void Proposer::SendPhase(const std::string& key, KeyState& ks, AcceptorRequest::Kind kind,
                         int64_t now_ms) {
  Round& r = *ks.batch->round;
  const ProposerConfig& cfg = r.cfg();
  if (r.msg_id != 0) msg_keys_.erase(r.msg_id);
  r.msg_id = next_msg_id_++;
  msg_keys_[r.msg_id] = key;
  const bool prepare = kind == AcceptorRequest::Kind::kPrepare;
  r.phase = prepare ? Round::Phase::kPrepare : Round::Phase::kAccept;
  r.tally = prepare ? Tally(cfg.prepare_set, cfg.prepare_quorum)
                    : Tally(cfg.accept_set, cfg.accept_quorum);
  r.accepted.clear();
  r.best_ballot = Ballot{};
  r.best_value.clear();
  r.conflict = false;
  r.maybe_applied = false;
  r.errors.clear();
  r.invalid = absl::OkStatus();
  r.straggler_deadline_ms = -1;
  r.held.clear();
  r.hedge_deadline_ms = -1;
  r.phase_started_ms = now_ms;
  r.phase_deadline_ms = now_ms + cfg.round_timeout_ms;
  const std::vector<AcceptorId>& set = r.tally.set();
  const size_t n = set.size();
  // Accept to a quorum first: the quorum starts at a rotating position and takes the members
  // reported up and not slow first, so a down or frozen acceptor is held back rather than asked.
  size_t ask = n;
  std::vector<AcceptorId> order;
  if (!prepare && cfg.accept_quorum_first && cfg.prepare_set == cfg.accept_set && n > 0 &&
      cfg.accept_quorum > 0 && static_cast<size_t>(cfg.accept_quorum) < n) {
    ask = static_cast<size_t>(cfg.accept_quorum);
    const size_t first = next_quorum_first_++ % n;
    order.reserve(n);
    for (int up = 1; up >= 0; --up) {
      for (size_t i = 0; i < n; ++i) {
        const AcceptorId a = set[(first + i) % n];
        if (AskFirst(a, now_ms) == (up == 1)) order.push_back(a);
      }
    }
  }
  const std::vector<AcceptorId>& targets = order.empty() ? set : order;
  std::string value;
  for (size_t i = 0; i < n; ++i) {
    if (i < ask) {
      outbox_.push_back(PhaseMessage(key, r, targets[i], &value));
    } else {
      r.held.push_back(targets[i]);
    }
  }
  Wake(ks, r.phase_deadline_ms);
  if (!r.held.empty()) {
    stats_.accepts_held += r.held.size();
    r.hedge_deadline_ms = std::min(r.phase_deadline_ms, now_ms + cfg.accept_hedge_ms);
    Wake(ks, r.hedge_deadline_ms);
  }
}

AcceptorRequest Proposer::PhaseMessage(const std::string& key, const Round& r, AcceptorId a,
                                       std::string* value) const {
  AcceptorRequest m;
  m.kind = r.phase == Round::Phase::kPrepare ? AcceptorRequest::Kind::kPrepare
                                             : AcceptorRequest::Kind::kAccept;
  m.acceptor = a;
  m.msg_id = r.msg_id;
  m.key = key;
  m.ballot = r.ballot;
  m.epoch = r.cfg().epoch;
  if (m.kind == AcceptorRequest::Kind::kAccept) {
    if (value->empty()) *value = r.accept->new_reg.SerializeAsString();
    m.value = *value;
    m.next = r.accept->next;
  }
  return m;
}

bool Proposer::AskFirst(AcceptorId a, int64_t now_ms) const {
  if (!AcceptorUp(a)) return false;
  auto it = slow_until_ms_.find(a);
  return it == slow_until_ms_.end() || it->second <= now_ms;
}

void Proposer::Hedge(const std::string& key, Round& r, int64_t now_ms) {
  for (AcceptorId a : r.tally.set()) {
    if (r.tally.Awaits(a) && std::find(r.held.begin(), r.held.end(), a) == r.held.end()) {
      slow_until_ms_[a] = now_ms + r.cfg().round_timeout_ms;
    }
  }
  SendHeld(key, r);
}

void Proposer::SendHeld(const std::string& key, Round& r) {
  std::string value;
  for (AcceptorId a : r.held) outbox_.push_back(PhaseMessage(key, r, a, &value));
  stats_.accepts_held_sent += r.held.size();
  r.held.clear();
  r.hedge_deadline_ms = -1;
}

void Proposer::OnReply(const AcceptorReply& reply, int64_t now_ms) {
  if (!slow_until_ms_.empty()) slow_until_ms_.erase(reply.acceptor);  // it answers again
  auto it = msg_keys_.find(reply.msg_id);
  if (it == msg_keys_.end()) return;  // late, duplicated or superseded
  const std::string key = it->second;
  auto ks_it = keys_.find(key);
  if (ks_it == keys_.end() || !ks_it->second->batch || !ks_it->second->batch->round) return;
  KeyState& ks = *ks_it->second;
  Round& r = *ks.batch->round;
  // Only the phase in flight, only acceptors it asked, only their first answer.
  if (r.msg_id != reply.msg_id || !r.tally.Awaits(reply.acceptor)) return;
  AcceptorReply effective = reply;
  effective.status = RecordReply(r, reply);
  if (r.phase == Round::Phase::kPrepare) {
    OnPrepareReply(key, ks, effective, now_ms);
  } else {
    OnAcceptReply(key, ks, effective, now_ms);
  }
  MaybeEraseKey(key);
}

AcceptorReply::Status Proposer::RecordReply(Round& r, const AcceptorReply& reply) {
  AcceptorReply::Status status = reply.status;
  const bool accept = r.phase == Round::Phase::kAccept;
  if (accept && status == AcceptorReply::Status::kConflict &&
      (reply.ballot == r.ballot ||
       (!r.accept->next.IsZero() && reply.ballot == r.accept->next))) {
    // Only our own accept sets accepted = our ballot or promised = our next: an earlier copy of
    // this very request was applied there (a duplicate delivery). That is an acceptance.
    status = AcceptorReply::Status::kOk;
  }
  r.tally.Record(reply.acceptor, status == AcceptorReply::Status::kOk ? Tally::Answer::kOk
                                                                      : Tally::Answer::kRefused);
  switch (status) {
    case AcceptorReply::Status::kOk:
      break;
    case AcceptorReply::Status::kConflict:
      r.conflict = true;
      // An accept refused now may have been applied by an earlier copy of the same request.
      if (accept) r.maybe_applied = true;
      counter_ = std::max(counter_, reply.ballot.counter);  // fast-forward past the rival
      break;
    case AcceptorReply::Status::kError:
      r.errors.push_back(reply.error);
      r.maybe_applied |= reply.maybe_applied;
      break;
    case AcceptorReply::Status::kInvalidState:
      r.errors.push_back(reply.error);
      if (r.invalid.ok()) r.invalid = absl::FailedPreconditionError(reply.error);
      break;
    case AcceptorReply::Status::kFenced:
      // Refused before the register was read or written — but, like a conflict, an accept
      // refused now may have been applied by an earlier copy of the same request that arrived
      // before the fence was raised (a duplicate delivery; membership/c3p3k2.missed-step seed
      // 1222: taking it as proof of nothing applied, the retry applied a CAS on top of its own
      // earlier, applied attempt and answered "declined").
      if (accept) r.maybe_applied = true;
      ++stats_.fenced_replies;
      NoteFence(reply);
      r.errors.push_back(absl::StrCat("acceptor ", reply.acceptor, " is fenced at epoch ",
                                      reply.fence_epoch, ", above this round's epoch ",
                                      r.cfg().epoch));
      break;
  }
  return status;
}

void Proposer::NoteFence(const AcceptorReply& reply) {
  if (fence_notice_.has_value() && fence_notice_->epoch >= reply.fence_epoch) return;
  fence_notice_ = FenceNotice{reply.fence_epoch, reply.fence_config, reply.acceptor};
}

void Proposer::OnPrepareReply(const std::string& key, KeyState& ks, const AcceptorReply& reply,
                              int64_t now_ms) {
  Round& r = *ks.batch->round;
  if (reply.status == AcceptorReply::Status::kConflict) ++stats_.prepare_conflicts;
  if (reply.status == AcceptorReply::Status::kOk) {
    if (r.accepted.empty() || reply.ballot > r.best_ballot) {
      r.best_ballot = reply.ballot;
      r.best_value = reply.value;
    }
    r.accepted.emplace_back(reply.acceptor, reply.ballot);
  }
  if (!r.tally.reached()) {
    CheckUndecidedPhase(key, ks, now_ms);
    return;
  }
  absl::StatusOr<internal::StoredRegister> decoded = DecodeStoredRegister(r.best_value, key);
  if (!decoded.ok()) {
    FailBatch(ks, decoded.status());
    FinishBatch(key, ks, now_ms);
    return;
  }
  // Chosen: the highest accepted ballot is on an accept quorum already.
  Tally chosen(r.cfg().accept_set, r.cfg().accept_quorum);
  for (const auto& [a, ballot] : r.accepted) {
    if (ballot == r.best_ballot) chosen.Record(a, Tally::Answer::kOk);
  }
  ApplyAndAccept(key, ks, *decoded, chosen.reached(), now_ms);
}

void Proposer::ApplyAndAccept(const std::string& key, KeyState& ks,
                              const internal::StoredRegister& current, bool chosen, int64_t now_ms) {
  Batch& b = *ks.batch;
  Round& r = *b.round;
  AcceptInFlight& acc = r.accept.emplace();
  acc.new_reg = current;
  if (!ResolveEarlierAttempt(b, current, &acc)) {
    FailBatch(ks, absl::AbortedError(absl::StrCat(
                      "outcome unknown: an earlier attempt of this change did not reach a quorum "
                      "and more than ", kWriterMarksMax,
                      " other proposers changed the key since; read the key before retrying")));
    FinishBatch(key, ks, now_ms);
    return;
  }
  if (acc.resolved_attempt < 0) ApplyMembers(b, r.cfg(), current, &acc);
  if (MaySkipAccept(b, r, chosen)) {
    ++stats_.reads_skipped_accept;
    ++stats_.rounds_succeeded;
    for (size_t i = 0; i < b.members.size(); ++i) {
      if (!b.members[i].done) Complete(b.members[i], absl::OkStatus(), &acc.responses[i]);
    }
    FinishBatch(key, ks, now_ms);
    return;
  }
  acc.next = r.cfg().one_rtt ? NewBallot() : Ballot{};
  SendPhase(key, ks, AcceptorRequest::Kind::kAccept, now_ms);
}

bool Proposer::ResolveEarlierAttempt(const Batch& b, const internal::StoredRegister& current,
                                     AcceptInFlight* acc) {
  // This proposer runs one round at a time per key, so the register's mark for it names its
  // last changing round, if any.
  const std::optional<uint64_t> mine = FindWriterMark(current, proposer_id_);
  for (size_t i = 0; mine.has_value() && i < b.unresolved.size(); ++i) {
    if (b.unresolved[i].counter == *mine) {
      acc->resolved_attempt = static_cast<int>(i);
      ++stats_.retries_resolved_applied;
    }
  }
  if (acc->resolved_attempt < 0 && !b.unresolved.empty() &&
      WriterMarkMayBeEvicted(current, proposer_id_, b.unresolved.front().counter)) {
    ++stats_.retries_marks_evicted;
    return false;
  }
  return true;
}

void Proposer::ApplyMembers(Batch& b, const ProposerConfig& cfg,
                            const internal::StoredRegister& current, AcceptInFlight* acc) {
  v1::Record record = PublicRecord(current);
  acc->responses.assign(b.members.size(), {});
  for (size_t i = 0; i < b.members.size(); ++i) {
    Member& m = b.members[i];
    if (m.done) continue;
    ChangeOutcome out = ApplyChange(m.req.change, cfg.limits, &record);
    v1::ChangeQueryResponse& resp = acc->responses[i];
    resp.set_applied(out.applied);
    if (!out.applied) resp.set_decline_reason(std::move(out.decline_reason));
    ApplyQuery(m.req.query, record, resp.mutable_result());
    acc->changing |= out.changed;
  }
  if (!acc->changing) return;
  acc->new_reg.set_value(record.value());
  acc->new_reg.set_version(record.version());
  if (PutWriterMark(&acc->new_reg, proposer_id_, b.round->ballot.counter) > 0) {
    ++stats_.writer_marks_evicted;
  }
  for (Member& m : b.members) {
    if (!m.done) m.in_changing_accept = true;
  }
}

bool Proposer::MaySkipAccept(const Batch& b, const Round& r, bool chosen) {
  return !r.accept->changing && chosen && b.unresolved.empty() && r.cfg().read_skip_accept;
}

void Proposer::OnAcceptReply(const std::string& key, KeyState& ks, const AcceptorReply& reply,
                             int64_t now_ms) {
  Batch& b = *ks.batch;
  Round& r = *b.round;
  if (reply.status == AcceptorReply::Status::kConflict) ++stats_.accept_conflicts;
  if (reply.status == AcceptorReply::Status::kOk) r.maybe_applied = true;
  // A refusal or failure among the quorum asked first: the quorum now needs the others.
  if (reply.status != AcceptorReply::Status::kOk && !r.held.empty()) SendHeld(key, r);
  if (!r.tally.reached()) {
    CheckUndecidedPhase(key, ks, now_ms);
    return;
  }
  ++stats_.rounds_succeeded;
  const AcceptInFlight& acc = *r.accept;
  const auto& responses =
      acc.resolved_attempt >= 0 ? b.unresolved[acc.resolved_attempt].responses : acc.responses;
  for (size_t i = 0; i < b.members.size(); ++i) {
    if (!b.members[i].done) Complete(b.members[i], absl::OkStatus(), &responses[i]);
  }
  // The acceptors that took this accept promised acc.next; if they form a prepare quorum of the
  // round's configuration, the key's next round in that epoch may skip prepare.
  const ProposerConfig& cfg = r.cfg();
  if (cfg.one_rtt && !acc.next.IsZero() && r.tally.OksIn(cfg.prepare_set) >= cfg.prepare_quorum) {
    stats_.cache_evictions += cache_.Put(CachedPromise{key, acc.next, acc.new_reg, cfg.epoch, 0});
  }
  FinishBatch(key, ks, now_ms);
}

void Proposer::CheckUndecidedPhase(const std::string& key, KeyState& ks, int64_t now_ms) {
  Round& r = *ks.batch->round;
  const bool out_of_reach = r.tally.out_of_reach();
  // Waiting for the silent acceptors can still complete the phase, or — for a changing accept
  // that no answer so far says may have been applied — prove the change was not applied (every
  // acceptor refused), which keeps a final failure UNAVAILABLE instead of ABORTED. Otherwise it
  // buys nothing: an acceptor that has not answered counts as "maybe applied" in AttemptFailed,
  // and the retry finds out through the writer mark (docs/protocol.md, "Stragglers").
  const bool worth_waiting =
      !out_of_reach ||
      (r.phase == Round::Phase::kAccept && r.accept->changing && !r.maybe_applied);
  // Acceptors the shell reports down are waited for like the others: the report may be stale
  // (a restarted Redis is answering before its health check says so).
  if (r.tally.all_answered() || !worth_waiting) {
    AttemptFailed(key, ks, now_ms);
    return;
  }
  // A phase that can still succeed is cut short only when a rival is in the way (a conflict):
  // a retry with a higher ballot may then succeed on the acceptors that answer. Without a
  // rival, a retry needs the same silent acceptors, so the phase waits for them (up to its
  // timeout) — cutting it short turned a slow acceptor plus a dead one into failed requests.
  const bool hinges_on_stragglers = r.tally.answered() >= r.tally.quorum() && r.conflict;
  if ((hinges_on_stragglers || out_of_reach) && r.straggler_deadline_ms < 0) {
    const int64_t wait_ms =
        std::max(r.cfg().straggler_timeout_ms, 2 * (now_ms - r.phase_started_ms));
    r.straggler_deadline_ms = std::min(r.phase_deadline_ms, now_ms + wait_ms);
    Wake(ks, r.straggler_deadline_ms);
  }
}

void Proposer::AttemptFailed(const std::string& key, KeyState& ks, int64_t now_ms) {
  Batch& b = *ks.batch;
  Round& r = *b.round;
  ++stats_.rounds_failed;
  if (r.phase == Round::Phase::kAccept && r.accept->changing) {
    // An acceptor that was asked and has not answered yet may still take the accept.
    r.maybe_applied |= r.tally.silent() > static_cast<int>(r.held.size());
    if (r.maybe_applied) {
      b.unresolved.push_back(Attempt{r.ballot.counter, r.accept->responses});
    } else if (b.unresolved.empty()) {
      // Every acceptor refused or never received it: the change was certainly not applied.
      ++stats_.accepts_not_applied;
      for (Member& m : b.members) m.in_changing_accept = false;
    }
  }
  const std::string detail =
      r.errors.empty() ? "conflicting proposers" : absl::StrJoin(r.errors, "; ");
  if (!r.invalid.ok() || b.unresolved.size() > kUnresolvedAttemptsMax) {
    if (!r.invalid.ok() && b.unresolved.empty()) {
      FailBatch(ks, r.invalid);
    } else {
      FailBatchUnknownOrUnavailable(ks, detail);
    }
    FinishBatch(key, ks, now_ms);
    return;
  }
  b.unavailable_rounds = r.conflict ? 0 : b.unavailable_rounds + 1;
  if (b.unavailable_rounds >= config_->unavailable_rounds_max) {
    FailBatchUnknownOrUnavailable(
        ks, absl::StrCat(r.phase == Round::Phase::kPrepare ? "prepare" : "accept", " got ",
                         r.tally.oks(), " of the ", r.tally.quorum(),
                         " answers it needs: ", detail));
    FinishBatch(key, ks, now_ms);
    return;
  }
  EndRound(b);
  ++b.consecutive_failures;
  const int shift = std::min(b.consecutive_failures - 1, 30);
  const int64_t cap = std::min(config_->backoff_max_ms, config_->backoff_base_ms << shift);
  b.backoff_until_ms = now_ms + rng_.Range(0, cap);
  Wake(ks, b.backoff_until_ms);
}

void Proposer::EndRound(Batch& b) {
  if (!b.round) return;
  if (b.round->msg_id != 0) msg_keys_.erase(b.round->msg_id);
  b.round.reset();
}

void Proposer::FailBatch(KeyState& ks, const absl::Status& status) {
  for (Member& m : ks.batch->members) {
    if (!m.done) Complete(m, status, nullptr);
  }
}

void Proposer::FailBatchUnknownOrUnavailable(KeyState& ks, const std::string& detail) {
  for (Member& m : ks.batch->members) {
    if (m.done) continue;
    if (m.in_changing_accept) {
      Complete(m, absl::AbortedError(absl::StrCat(
                      "outcome unknown: the change reached only some acceptors (", detail,
                      "); it may or may not have been applied — read the key before retrying")),
               nullptr);
    } else {
      Complete(m, absl::UnavailableError(absl::StrCat(
                      "no quorum of acceptors: ", detail, "; nothing was written, safe to retry")),
               nullptr);
    }
  }
}

void Proposer::FinishBatch(const std::string& key, KeyState& ks, int64_t now_ms) {
  EndRound(*ks.batch);
  ks.batch.reset();
  MaybeStartBatch(key, ks, now_ms);
}

void Proposer::ExpireMembers(KeyState& ks, int64_t now_ms) {
  for (auto it = ks.queue.begin(); it != ks.queue.end();) {
    if (it->req.deadline_ms <= now_ms) {
      Complete(*it, absl::DeadlineExceededError(
                        "deadline exceeded while queued behind other requests for this key; "
                        "nothing was written, safe to retry"),
               nullptr);
      it = ks.queue.erase(it);
    } else {
      ++it;
    }
  }
  if (!ks.batch) return;
  for (Member& m : ks.batch->members) {
    if (m.done || m.req.deadline_ms > now_ms) continue;
    Complete(m, absl::DeadlineExceededError(
                    m.in_changing_accept
                        ? "deadline exceeded; the change may or may not have been applied "
                          "(outcome unknown) — read the key before retrying"
                        : "deadline exceeded before a quorum of acceptors answered; nothing was "
                          "written, safe to retry"),
             nullptr);
  }
}

void Proposer::CheckKey(const std::string& key, int64_t now_ms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  KeyState& ks = *it->second;
  ExpireMembers(ks, now_ms);
  if (ks.batch) {
    Batch& b = *ks.batch;
    const bool all_done = std::all_of(b.members.begin(), b.members.end(),
                                      [](const Member& m) { return m.done; });
    const bool accepting = b.round && b.round->phase == Round::Phase::kAccept;
    if (all_done && !accepting) {
      FinishBatch(key, ks, now_ms);  // nobody waits; an accept in flight is left to finish
    } else if (!b.round) {
      if (now_ms >= b.backoff_until_ms) StartAttempt(key, ks, now_ms);
    } else if (now_ms >= b.round->phase_deadline_ms) {
      PhaseTimedOut(key, ks, now_ms, /*straggler=*/false);
    } else if (b.round->straggler_deadline_ms >= 0 && now_ms >= b.round->straggler_deadline_ms) {
      PhaseTimedOut(key, ks, now_ms, /*straggler=*/true);
    } else if (b.round->hedge_deadline_ms >= 0 && now_ms >= b.round->hedge_deadline_ms) {
      Hedge(key, *b.round, now_ms);
    }
  }
  MaybeStartBatch(key, ks, now_ms);
  RearmKey(ks);
  MaybeEraseKey(key);
}

void Proposer::PhaseTimedOut(const std::string& key, KeyState& ks, int64_t now_ms,
                             bool straggler) {
  Round& r = *ks.batch->round;
  ++(straggler ? stats_.straggler_timeouts : stats_.phase_timeouts);
  r.errors.push_back(absl::StrCat("acceptor(s) ", absl::StrJoin(r.tally.SilentMembers(), ","),
                                  " did not answer within ", now_ms - r.phase_started_ms, " ms",
                                  straggler ? " while the others had" : ""));
  r.maybe_applied = true;  // silence: the request may have been applied
  AttemptFailed(key, ks, now_ms);
}

void Proposer::MaybeEraseKey(const std::string& key) {
  auto it = keys_.find(key);
  if (it == keys_.end() || !it->second->queue.empty() || it->second->batch) return;
  SetTimer(*it->second, -1);
  keys_by_seq_.erase(it->second->seq);
  keys_.erase(it);
}

void Proposer::Tick(int64_t now_ms) {
  while (!timers_.empty() && timers_.begin()->first <= now_ms) {
    KeyState& ks = *keys_by_seq_.at(timers_.begin()->second);
    SetTimer(ks, -1);
    const std::string key = ks.key;
    CheckKey(key, now_ms);
  }
}

void Proposer::DropCaches() { cache_.Clear(); }

void Proposer::Reconfigure(const ProposerConfig& config) {
  config_ = std::make_shared<const ProposerConfig>(config);
  cache_.Clear();
  cache_.SetBounds(config_->cache_entries_max, config_->cache_bytes_max);
}

size_t Proposer::rounds_in_older_epochs() const {
  size_t n = 0;
  for (const auto& [key, ks] : keys_) {
    if (ks->batch && ks->batch->round && ks->batch->round->cfg().epoch < config_->epoch) ++n;
  }
  return n;
}

std::optional<FenceNotice> Proposer::TakeFenceNotice() {
  std::optional<FenceNotice> notice = std::exchange(fence_notice_, std::nullopt);
  if (notice.has_value() && notice->epoch <= config_->epoch) return std::nullopt;
  return notice;
}

}  // namespace gryadka::core
