#include "proposer/core/proposer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proposer/core/stored_register.h"

namespace gryadka::core {

// A client request inside the proposer.
struct Proposer::Member {
  ClientRequest req;
  bool done = false;
  // An accept that would apply this member's change was sent and did not reach a quorum: if the
  // member ends without an answer from a later round, its outcome is unknown.
  bool in_changing_accept = false;
};

// An accept that changed the register and did not reach its quorum. Its value may still surface
// (a later prepare may pick it), so the batch must find out before re-applying its changes.
struct Proposer::Attempt {
  uint64_t counter = 0;  // the attempt's ballot counter: the register's mark for us if applied
  std::vector<v1::ChangeQueryResponse> responses;  // per batch member, as that attempt computed
};

// The requests of one key combined into one round, retried until done.
struct Proposer::Batch {
  enum class Phase { kBackoff, kPrepare, kAccept };
  std::vector<Member> members;
  std::vector<Attempt> unresolved;
  Phase phase = Phase::kBackoff;
  int consecutive_failures = 0;    // for the backoff exponent
  int unavailable_rounds = 0;      // consecutive failures without any conflict

  // The current phase.
  uint64_t msg_id = 0;
  Ballot ballot;
  Ballot next;
  bool one_rtt = false;
  int64_t phase_started_ms = 0;
  int64_t phase_deadline_ms = 0;
  int64_t straggler_deadline_ms = -1;  // armed once the phase hinges on silent acceptors
  int64_t backoff_until_ms = 0;
  std::vector<AcceptorId> phase_set;
  int phase_quorum = 0;
  std::vector<bool> answered;                          // by acceptor id
  std::vector<std::pair<AcceptorId, Ballot>> oks;      // prepare: accepted ballot per ok
  int failures = 0;
  bool conflict = false;
  bool maybe_applied = false;  // accept: some acceptor took it or may have
  std::vector<std::string> errors;
  absl::Status invalid;  // first kInvalidState seen in this phase
  Ballot best_ballot;
  std::string best_value;

  // The accept in flight.
  bool changing = false;
  int resolved_attempt = -1;  // index into `unresolved` found applied; its responses answer
  internal::StoredRegister new_reg;
  std::vector<v1::ChangeQueryResponse> responses;  // this attempt's, per member

  void ResetPhase(int num_acceptors) {
    answered.assign(num_acceptors, false);
    oks.clear();
    failures = 0;
    conflict = false;
    maybe_applied = false;
    errors.clear();
    invalid = absl::OkStatus();
    best_ballot = Ballot{};
    best_value.clear();
    straggler_deadline_ms = -1;
  }
};

struct Proposer::KeyState {
  std::string key;
  uint64_t seq = 0;          // creation order: the timer's tie-break
  int64_t timer_ms = -1;     // when its entry in timers_ fires; -1 = none
  std::deque<Member> queue;  // waiting for the next batch
  std::unique_ptr<Batch> batch;
};

namespace {

bool Contains(const std::vector<AcceptorId>& set, AcceptorId a) {
  return std::find(set.begin(), set.end(), a) != set.end();
}

v1::Record PublicRecord(const internal::StoredRegister& reg) {
  v1::Record r;
  r.set_value(reg.value());
  r.set_version(reg.version());
  return r;
}

}  // namespace

Proposer::Proposer(ProposerConfig config, uint64_t proposer_id, uint64_t seed)
    : config_(std::move(config)),
      proposer_id_(proposer_id),
      rng_(seed),
      acceptor_up_(config_.num_acceptors, true) {}

void Proposer::SetAcceptorUp(AcceptorId id, bool up) {
  if (id >= 0 && id < static_cast<int>(acceptor_up_.size())) acceptor_up_[id] = up;
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
    if (b.phase == Batch::Phase::kBackoff) {
      consider(b.backoff_until_ms);
    } else {
      consider(b.phase_deadline_ms);
      if (b.straggler_deadline_ms >= 0) consider(b.straggler_deadline_ms);
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
  if (auto s = ValidateRequest(request.key, request.change, request.query, config_.limits); !s.ok()) {
    return reject(std::move(s));
  }
  if (request.deadline_ms <= now_ms) {
    return reject(absl::DeadlineExceededError("deadline already passed on arrival; nothing was written"));
  }
  if (requests_in_flight_ >= config_.requests_max) {
    return reject(absl::ResourceExhaustedError(absl::StrCat(
        "proposer is at its limit of ", config_.requests_max,
        " requests in flight; nothing was written, retry later or add proposers")));
  }
  const std::string key = request.key;
  KeyState& ks = StateFor(key);
  if (ks.queue.size() >= config_.queue_per_key_max) {
    return reject(absl::ResourceExhaustedError(absl::StrCat(
        "key has ", ks.queue.size(), " requests queued at this proposer (limit ",
        config_.queue_per_key_max, "); nothing was written, retry later")));
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
  while (!ks.queue.empty() && ks.batch->members.size() < config_.batch_ops_max) {
    ks.batch->members.push_back(std::move(ks.queue.front()));
    ks.queue.pop_front();
  }
  StartAttempt(key, ks, now_ms);
}

void Proposer::StartAttempt(const std::string& key, KeyState& ks, int64_t now_ms) {
  Batch& b = *ks.batch;
  ++stats_.rounds_started;
  b.resolved_attempt = -1;
  int accept_set_up = 0;
  for (AcceptorId a : config_.accept_set) accept_set_up += acceptor_up_[a];
  if (config_.one_rtt && accept_set_up >= config_.accept_quorum) {
    if (std::optional<CacheEntry> cached = TakeCached(key)) {
      // We hold a promise for cached->next on a prepare quorum, made by the accept that wrote
      // cached->reg: that accept served as this round's prepare.
      ++stats_.rounds_one_rtt;
      b.ballot = cached->next;
      b.one_rtt = true;
      ApplyAndAccept(key, ks, cached->reg, /*chosen=*/false, now_ms);
      return;
    }
  }
  ++stats_.rounds_two_rtt;
  b.ballot = NewBallot();
  b.one_rtt = false;
  b.phase = Batch::Phase::kPrepare;
  SendPhase(key, ks, AcceptorRequest::Kind::kPrepare, now_ms);
}

void Proposer::SendPhase(const std::string& key, KeyState& ks, AcceptorRequest::Kind kind,
                         int64_t now_ms) {
  Batch& b = *ks.batch;
  if (b.msg_id != 0) msg_keys_.erase(b.msg_id);
  b.msg_id = next_msg_id_++;
  msg_keys_[b.msg_id] = key;
  const bool prepare = kind == AcceptorRequest::Kind::kPrepare;
  b.phase_set = prepare ? config_.prepare_set : config_.accept_set;
  b.phase_quorum = prepare ? config_.prepare_quorum : config_.accept_quorum;
  b.ResetPhase(config_.num_acceptors);
  std::string value;
  if (!prepare) value = b.new_reg.SerializeAsString();
  for (AcceptorId a : b.phase_set) {
    AcceptorRequest m;
    m.kind = kind;
    m.acceptor = a;
    m.msg_id = b.msg_id;
    m.key = key;
    m.ballot = b.ballot;
    if (!prepare) {
      m.value = value;
      m.next = b.next;
    }
    outbox_.push_back(std::move(m));
  }
  b.phase_started_ms = now_ms;
  b.phase_deadline_ms = now_ms + config_.round_timeout_ms;
  Wake(ks, b.phase_deadline_ms);
}

void Proposer::OnReply(const AcceptorReply& reply, int64_t now_ms) {
  auto it = msg_keys_.find(reply.msg_id);
  if (it == msg_keys_.end()) return;  // late, duplicated or superseded
  const std::string key = it->second;
  auto ks_it = keys_.find(key);
  if (ks_it == keys_.end() || !ks_it->second->batch) return;
  KeyState& ks = *ks_it->second;
  Batch& b = *ks.batch;
  if (b.msg_id != reply.msg_id || reply.acceptor < 0 ||
      reply.acceptor >= static_cast<int>(b.answered.size()) || b.answered[reply.acceptor] ||
      !Contains(b.phase_set, reply.acceptor)) {
    return;
  }
  b.answered[reply.acceptor] = true;
  AcceptorReply::Status status = reply.status;
  if (b.phase == Batch::Phase::kAccept && status == AcceptorReply::Status::kConflict &&
      (reply.ballot == b.ballot || (!b.next.IsZero() && reply.ballot == b.next))) {
    // Only our own accept sets accepted = our ballot or promised = our next: an earlier copy of
    // this very request was applied there (a duplicate delivery). That is an acceptance.
    status = AcceptorReply::Status::kOk;
  }
  switch (status) {
    case AcceptorReply::Status::kOk:
      break;
    case AcceptorReply::Status::kConflict:
      ++b.failures;
      b.conflict = true;
      // An accept refused now may have been applied by an earlier copy of the same request.
      if (b.phase == Batch::Phase::kAccept) b.maybe_applied = true;
      counter_ = std::max(counter_, reply.ballot.counter);  // fast-forward past the rival
      break;
    case AcceptorReply::Status::kError:
      ++b.failures;
      b.errors.push_back(reply.error);
      b.maybe_applied |= reply.maybe_applied;
      break;
    case AcceptorReply::Status::kInvalidState:
      ++b.failures;
      b.errors.push_back(reply.error);
      if (b.invalid.ok()) b.invalid = absl::FailedPreconditionError(reply.error);
      break;
  }
  if (b.phase == Batch::Phase::kPrepare) {
    OnPrepareReply(key, ks, reply, now_ms);
  } else if (b.phase == Batch::Phase::kAccept) {
    AcceptorReply effective = reply;
    effective.status = status;
    OnAcceptReply(key, ks, effective, now_ms);
  }
  MaybeEraseKey(key);
}

void Proposer::OnPrepareReply(const std::string& key, KeyState& ks, const AcceptorReply& r,
                              int64_t now_ms) {
  Batch& b = *ks.batch;
  if (r.status == AcceptorReply::Status::kConflict) ++stats_.prepare_conflicts;
  if (r.status == AcceptorReply::Status::kOk) {
    if (b.oks.empty() || r.ballot > b.best_ballot) {
      b.best_ballot = r.ballot;
      b.best_value = r.value;
    }
    b.oks.emplace_back(r.acceptor, r.ballot);
  }
  if (static_cast<int>(b.oks.size()) >= b.phase_quorum) {
    absl::StatusOr<internal::StoredRegister> decoded = DecodeStoredRegister(b.best_value, key);
    if (!decoded.ok()) {
      FailBatch(ks, decoded.status());
      FinishBatch(key, ks, now_ms);
      return;
    }
    const internal::StoredRegister& current = *decoded;
    // Chosen: the highest accepted ballot is on an accept quorum already.
    int same = 0;
    for (const auto& [a, ballot] : b.oks) {
      if (ballot == b.best_ballot && Contains(config_.accept_set, a)) ++same;
    }
    ApplyAndAccept(key, ks, current, same >= config_.accept_quorum, now_ms);
    return;
  }
  CheckUndecidedPhase(key, ks, now_ms);
}

void Proposer::ApplyAndAccept(const std::string& key, KeyState& ks,
                              const internal::StoredRegister& current, bool chosen, int64_t now_ms) {
  Batch& b = *ks.batch;
  b.changing = false;
  b.resolved_attempt = -1;
  b.new_reg = current;

  // Did an earlier accept of this batch take effect after all? This proposer runs one round at
  // a time per key, so the register's mark for it names its last changing round, if any.
  const internal::WriterMark* mine = nullptr;
  for (const auto& w : current.writers()) {
    if (w.proposer_id() == proposer_id_) mine = &w;
  }
  for (size_t i = 0; mine != nullptr && i < b.unresolved.size(); ++i) {
    if (b.unresolved[i].counter == mine->counter()) {
      b.resolved_attempt = static_cast<int>(i);
      ++stats_.retries_resolved_applied;
    }
  }
  // Marks are in ballot order (each changing round appends the chain's newest ballot), so had
  // our mark been pushed out, every remaining mark would be newer than our earliest attempt.
  const bool may_be_evicted =
      mine == nullptr && current.writers_size() >= kWriterMarksMax && !b.unresolved.empty() &&
      Ballot{current.writers(0).counter(), current.writers(0).proposer_id()} >
          Ballot{b.unresolved.front().counter, proposer_id_};
  if (b.resolved_attempt < 0 && may_be_evicted) {
    ++stats_.retries_marks_evicted;
    // Our mark may have been pushed out by other proposers' rounds: cannot tell.
    FailBatch(ks, absl::AbortedError(absl::StrCat(
                      "outcome unknown: an earlier attempt of this change did not reach a quorum "
                      "and more than ", kWriterMarksMax,
                      " other proposers changed the key since; read the key before retrying")));
    FinishBatch(key, ks, now_ms);
    return;
  }

  if (b.resolved_attempt < 0) {
    // Apply every waiting member, in arrival order, each to the previous one's result.
    v1::Record record = PublicRecord(current);
    b.responses.assign(b.members.size(), {});
    for (size_t i = 0; i < b.members.size(); ++i) {
      Member& m = b.members[i];
      if (m.done) continue;
      ChangeOutcome out = ApplyChange(m.req.change, config_.limits, &record);
      v1::ChangeQueryResponse& resp = b.responses[i];
      resp.set_applied(out.applied);
      if (!out.applied) resp.set_decline_reason(std::move(out.decline_reason));
      ApplyQuery(m.req.query, record, resp.mutable_result());
      b.changing |= out.changed;
    }
    if (b.changing) {
      b.new_reg.set_value(record.value());
      b.new_reg.set_version(record.version());
      auto* writers = b.new_reg.mutable_writers();
      // At most one mark per proposer (DecodeStoredRegister refuses more): replace ours.
      for (int i = 0; i < writers->size(); ++i) {
        if (writers->Get(i).proposer_id() == proposer_id_) {
          writers->erase(writers->begin() + i);
          break;
        }
      }
      internal::WriterMark* mark = writers->Add();
      mark->set_proposer_id(proposer_id_);
      mark->set_counter(b.ballot.counter);
      if (writers->size() > kWriterMarksMax) {
        ++stats_.writer_marks_evicted;
        writers->erase(writers->begin(), writers->begin() + (writers->size() - kWriterMarksMax));
      }
      for (Member& m : b.members) {
        if (!m.done) m.in_changing_accept = true;
      }
    }
  }

  // Nothing to write and the value is already chosen: answer without an accept.
  if (!b.changing && chosen && b.unresolved.empty() && config_.read_skip_accept) {
    ++stats_.reads_skipped_accept;
    ++stats_.rounds_succeeded;
    for (size_t i = 0; i < b.members.size(); ++i) {
      if (!b.members[i].done) Complete(b.members[i], absl::OkStatus(), &b.responses[i]);
    }
    FinishBatch(key, ks, now_ms);
    return;
  }

  b.next = config_.one_rtt ? NewBallot() : Ballot{};
  b.phase = Batch::Phase::kAccept;
  SendPhase(key, ks, AcceptorRequest::Kind::kAccept, now_ms);
}

void Proposer::OnAcceptReply(const std::string& key, KeyState& ks, const AcceptorReply& r,
                             int64_t now_ms) {
  Batch& b = *ks.batch;
  if (r.status == AcceptorReply::Status::kConflict) ++stats_.accept_conflicts;
  if (r.status == AcceptorReply::Status::kOk) {
    b.oks.emplace_back(r.acceptor, Ballot{});
    b.maybe_applied = true;
  }
  if (static_cast<int>(b.oks.size()) >= b.phase_quorum) {
    ++stats_.rounds_succeeded;
    const auto& responses = b.resolved_attempt >= 0 ? b.unresolved[b.resolved_attempt].responses
                                                    : b.responses;
    for (size_t i = 0; i < b.members.size(); ++i) {
      if (!b.members[i].done) Complete(b.members[i], absl::OkStatus(), &responses[i]);
    }
    // The acceptors that took this accept promised b.next; if they form a prepare quorum, the
    // key's next round may skip prepare.
    if (config_.one_rtt && !b.next.IsZero()) {
      int promised = 0;
      for (const auto& ok : b.oks) {
        if (Contains(config_.prepare_set, ok.first)) ++promised;
      }
      if (promised >= config_.prepare_quorum) {
        PutCached(CacheEntry{key, b.next, b.new_reg, 0});
      }
    }
    FinishBatch(key, ks, now_ms);
    return;
  }
  CheckUndecidedPhase(key, ks, now_ms);
}

void Proposer::CheckUndecidedPhase(const std::string& key, KeyState& ks, int64_t now_ms) {
  Batch& b = *ks.batch;
  const bool out_of_reach =
      static_cast<int>(b.phase_set.size()) - b.failures < b.phase_quorum;
  int answered = 0;
  for (AcceptorId a : b.phase_set) answered += b.answered[a];
  // Waiting for the silent acceptors can still complete the phase, or — for a changing accept
  // that no answer so far says may have been applied — prove the change was not applied (every
  // acceptor refused), which keeps a final failure UNAVAILABLE instead of ABORTED. Otherwise it
  // buys nothing: an acceptor that has not answered counts as "maybe applied" in AttemptFailed,
  // and the retry finds out through the writer mark (docs/protocol.md, "Stragglers").
  const bool worth_waiting =
      !out_of_reach || (b.phase == Batch::Phase::kAccept && b.changing && !b.maybe_applied);
  // Acceptors the shell reports down are waited for like the others: the report may be stale
  // (a restarted Redis is answering before its health check says so).
  if (answered == static_cast<int>(b.phase_set.size()) || !worth_waiting) {
    AttemptFailed(key, ks, now_ms);
    return;
  }
  // A phase that can still succeed is cut short only when a rival is in the way (a conflict):
  // a retry with a higher ballot may then succeed on the acceptors that answer. Without a
  // rival, a retry needs the same silent acceptors, so the phase waits for them (up to its
  // timeout) — cutting it short turned a slow acceptor plus a dead one into failed requests.
  const bool hinges_on_stragglers = answered >= b.phase_quorum && b.conflict;
  if ((hinges_on_stragglers || out_of_reach) && b.straggler_deadline_ms < 0) {
    const int64_t wait_ms =
        std::max(config_.straggler_timeout_ms, 2 * (now_ms - b.phase_started_ms));
    b.straggler_deadline_ms = std::min(b.phase_deadline_ms, now_ms + wait_ms);
    Wake(ks, b.straggler_deadline_ms);
  }
}

void Proposer::AttemptFailed(const std::string& key, KeyState& ks, int64_t now_ms) {
  Batch& b = *ks.batch;
  ++stats_.rounds_failed;
  msg_keys_.erase(b.msg_id);
  b.msg_id = 0;
  if (b.phase == Batch::Phase::kAccept && b.changing) {
    // An acceptor that has not answered yet may still take the accept.
    for (AcceptorId a : b.phase_set) b.maybe_applied |= !b.answered[a];
    if (b.maybe_applied) {
      b.unresolved.push_back(Attempt{b.ballot.counter, b.responses});
    } else if (b.unresolved.empty()) {
      // Every acceptor refused or never received it: the change was certainly not applied.
      ++stats_.accepts_not_applied;
      for (Member& m : b.members) m.in_changing_accept = false;
    }
  }
  const std::string detail =
      b.errors.empty() ? "conflicting proposers" : absl::StrJoin(b.errors, "; ");
  if (!b.invalid.ok() || b.unresolved.size() > kUnresolvedAttemptsMax) {
    if (!b.invalid.ok() && b.unresolved.empty()) {
      FailBatch(ks, b.invalid);
    } else {
      FailBatchUnknownOrUnavailable(ks, detail);
    }
    FinishBatch(key, ks, now_ms);
    return;
  }
  b.unavailable_rounds = b.conflict ? 0 : b.unavailable_rounds + 1;
  if (b.unavailable_rounds >= config_.unavailable_rounds_max) {
    FailBatchUnknownOrUnavailable(
        ks, absl::StrCat(b.phase == Batch::Phase::kPrepare ? "prepare" : "accept", " got ",
                         b.oks.size(), " of the ", b.phase_quorum, " answers it needs: ", detail));
    FinishBatch(key, ks, now_ms);
    return;
  }
  ++b.consecutive_failures;
  const int shift = std::min(b.consecutive_failures - 1, 30);
  const int64_t cap = std::min(config_.backoff_max_ms, config_.backoff_base_ms << shift);
  b.phase = Batch::Phase::kBackoff;
  b.backoff_until_ms = now_ms + rng_.Range(0, cap);
  Wake(ks, b.backoff_until_ms);
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
  if (ks.batch->msg_id != 0) msg_keys_.erase(ks.batch->msg_id);
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
    if (all_done && b.phase != Batch::Phase::kAccept) {
      FinishBatch(key, ks, now_ms);  // nobody waits; an accept in flight is left to finish
    } else if (b.phase == Batch::Phase::kBackoff) {
      if (now_ms >= b.backoff_until_ms) StartAttempt(key, ks, now_ms);
    } else if (now_ms >= b.phase_deadline_ms) {
      PhaseTimedOut(key, ks, now_ms, /*straggler=*/false);
    } else if (b.straggler_deadline_ms >= 0 && now_ms >= b.straggler_deadline_ms) {
      PhaseTimedOut(key, ks, now_ms, /*straggler=*/true);
    }
  }
  MaybeStartBatch(key, ks, now_ms);
  RearmKey(ks);
  MaybeEraseKey(key);
}

void Proposer::PhaseTimedOut(const std::string& key, KeyState& ks, int64_t now_ms,
                             bool straggler) {
  Batch& b = *ks.batch;
  ++(straggler ? stats_.straggler_timeouts : stats_.phase_timeouts);
  std::vector<std::string> silent;
  for (AcceptorId a : b.phase_set) {
    if (!b.answered[a]) silent.push_back(absl::StrCat(a));
  }
  b.errors.push_back(absl::StrCat("acceptor(s) ", absl::StrJoin(silent, ","),
                                  " did not answer within ", now_ms - b.phase_started_ms, " ms",
                                  straggler ? " while the others had" : ""));
  b.maybe_applied = true;  // silence: the request may have been applied
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

void Proposer::DropCaches() {
  cache_.clear();
  cache_lru_.clear();
  cache_bytes_ = 0;
}

void Proposer::Reconfigure(const ProposerConfig& config) {
  config_ = config;
  acceptor_up_.resize(config_.num_acceptors, true);  // new acceptors are presumed up
  DropCaches();
}

std::optional<Proposer::CacheEntry> Proposer::TakeCached(const std::string& key) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  CacheEntry e = std::move(*it->second);
  cache_bytes_ -= e.bytes;
  cache_lru_.erase(it->second);
  cache_.erase(it);
  return e;
}

void Proposer::PutCached(CacheEntry entry) {
  if (config_.cache_entries_max == 0) return;
  TakeCached(entry.key);
  // What an entry really costs in memory: the key twice (list node and index), the parsed
  // register (value, marks), and the list/index/protobuf overheads (measured: ~440 bytes for a
  // short key and a 16-byte value; docs/performance.md).
  entry.bytes = 2 * entry.key.size() + entry.reg.value().size() +
                48 * static_cast<size_t>(entry.reg.writers_size()) + kCacheEntryOverheadBytes;
  cache_bytes_ += entry.bytes;
  cache_lru_.push_front(std::move(entry));
  cache_[cache_lru_.front().key] = cache_lru_.begin();
  while (!cache_lru_.empty() &&
         (cache_lru_.size() > config_.cache_entries_max || cache_bytes_ > config_.cache_bytes_max)) {
    CacheEntry& victim = cache_lru_.back();
    cache_bytes_ -= victim.bytes;
    cache_.erase(victim.key);
    cache_lru_.pop_back();
    ++stats_.cache_evictions;
  }
}

}  // namespace gryadka::core
