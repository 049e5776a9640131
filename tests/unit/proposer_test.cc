// Round transitions of the pure proposer core, driven by hand against in-memory acceptors:
// every message is visible, and the test decides which are delivered, dropped or delayed.
#include "proposer/core/proposer.h"

#include <functional>
#include <map>
#include <set>

#include "acceptor_adapter/memory_acceptor.h"
#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

using acceptor::MemoryAcceptor;
using Kind = AcceptorRequest::Kind;

class Harness {
 public:
  // `acceptors` in-memory acceptors (default: as many as the config names).
  explicit Harness(ProposerConfig config = ProposerConfig::Majority(3), uint64_t id = 1,
                   int acceptors = 0)
      : acceptors_(acceptors > 0 ? acceptors : config.num_acceptors), config_(config) {
    proposer_ = std::make_unique<Proposer>(config, id, /*seed=*/42);
  }

  // Drops (true) or delivers (false) each message; default delivers everything.
  std::function<bool(const AcceptorRequest&)> drop_request = [](const AcceptorRequest&) { return false; };
  // Answers kError instead of delivering (a broken connection).
  std::function<bool(const AcceptorRequest&)> error_reply = [](const AcceptorRequest&) { return false; };
  // For error_reply: whether the error says the request may have been applied.
  bool error_maybe_applied = true;
  // Drops the reply after the acceptor applied the request.
  std::function<bool(const AcceptorRequest&)> drop_reply = [](const AcceptorRequest&) { return false; };

  uint64_t Submit(const std::string& key, v1::ChangeOp change, int64_t deadline_ms = 10000) {
    ClientRequest r;
    r.id = next_id_++;
    r.key = key;
    r.change = std::move(change);
    r.query.mutable_record();
    r.deadline_ms = deadline_ms;
    proposer_->Submit(std::move(r), now_);
    return r.id;
  }

  // Delivers everything in the outbox (and what it triggers) until quiet; returns messages seen.
  std::vector<AcceptorRequest> Pump() {
    std::vector<AcceptorRequest> seen;
    for (;;) {
      Collect();
      auto out = proposer_->TakeOutbox();
      if (out.empty()) break;
      for (auto& m : out) {
        seen.push_back(m);
        sent_.push_back(m);
        if (drop_request(m)) continue;
        if (error_reply(m)) {
          AcceptorReply err;
          err.acceptor = m.acceptor;
          err.msg_id = m.msg_id;
          err.status = AcceptorReply::Status::kError;
          err.error = "connection refused";
          err.maybe_applied = error_maybe_applied;
          proposer_->OnReply(err, now_);
          continue;
        }
        AcceptorReply reply = acceptors_[m.acceptor].Handle(m);
        if (drop_reply(m)) continue;
        proposer_->OnReply(reply, now_);
      }
    }
    Collect();
    return seen;
  }

  // Advances virtual time to `t`, ticking at every wakeup on the way, pumping messages.
  void AdvanceTo(int64_t t) {
    for (;;) {
      auto next = proposer_->NextWakeupMs();
      if (!next || *next > t) break;
      now_ = std::max(now_, *next);
      proposer_->Tick(now_);
      Pump();
    }
    now_ = t;
  }

  // Runs until `id` completes (or virtual time runs out).
  const Completion& Await(uint64_t id, int64_t limit_ms = 60000) {
    Pump();
    while (!done_.count(id) && now_ < limit_ms) {
      auto next = proposer_->NextWakeupMs();
      if (!next) break;
      AdvanceTo(std::max(*next, now_));
    }
    EXPECT_TRUE(done_.count(id)) << "request " << id << " never completed";
    return done_[id];
  }

  Proposer& proposer() { return *proposer_; }
  MemoryAcceptor& acceptor(int i) { return acceptors_[i]; }
  std::map<uint64_t, Completion>& done() { return done_; }
  const std::vector<AcceptorRequest>& sent() const { return sent_; }
  int64_t now() const { return now_; }

  // Runs one request to completion on a separate, fault-free proposer `rival_id` sharing the
  // acceptors (another proposer process).
  Completion RivalRound(uint64_t rival_id, const std::string& key, v1::ChangeOp change) {
    Proposer rival(config_, rival_id, rival_id);
    ClientRequest r;
    r.id = 1;
    r.key = key;
    r.change = std::move(change);
    r.query.mutable_record();
    r.deadline_ms = now_ + 100000;
    rival.Submit(std::move(r), now_);
    int64_t t = now_;
    for (int step = 0; step < 10000; ++step) {
      for (auto out = rival.TakeOutbox(); !out.empty(); out = rival.TakeOutbox()) {
        for (auto& m : out) rival.OnReply(acceptors_[m.acceptor].Handle(m), t);
      }
      auto done = rival.TakeCompletions();
      if (!done.empty()) return done[0];
      if (auto next = rival.NextWakeupMs()) t = std::max(t, *next);
      rival.Tick(t);
    }
    ADD_FAILURE() << "rival round did not finish";
    return {};
  }

  // Stops acceptor `a` (SIGSTOP): from now on its requests wait, undelivered, until Thaw().
  // Replaces drop_request. Returns the requests held so far.
  const std::vector<AcceptorRequest>& Freeze(int a) {
    drop_request = [this, a](const AcceptorRequest& m) {
      if (m.acceptor != a) return false;
      frozen_.push_back(m);
      return true;
    };
    return frozen_;
  }
  // Acceptor `a` resumes and handles what it held, in arrival order (replies go nowhere: the
  // proposer has moved on).
  void Thaw(int a) {
    drop_request = [](const AcceptorRequest&) { return false; };
    for (const AcceptorRequest& m : frozen_) acceptors_[a].Handle(m);
    frozen_.clear();
  }

  // Restarts the proposer with a new id (stateless: loses its cache and queues).
  void RestartProposer(uint64_t id) { proposer_ = std::make_unique<Proposer>(config_, id, 43); }

 private:
  void Collect() {
    EXPECT_TRUE(proposer_->CheckInvariants().ok()) << proposer_->CheckInvariants();
    for (auto& c : proposer_->TakeCompletions()) done_[c.id] = std::move(c);
  }

  std::vector<MemoryAcceptor> acceptors_;
  ProposerConfig config_;
  std::unique_ptr<Proposer> proposer_;
  std::map<uint64_t, Completion> done_;
  std::vector<AcceptorRequest> sent_;
  std::vector<AcceptorRequest> frozen_;  // held by Freeze()
  uint64_t next_id_ = 1;
  int64_t now_ = 0;
};

v1::ChangeOp Put(std::string v) {
  v1::ChangeOp op;
  op.mutable_put()->set_value(std::move(v));
  return op;
}
// A request for `change` on `key` (record query), id 1, due at `deadline_ms`: for tests that
// drive a bare Proposer.
ClientRequest RequestFor(const std::string& key, v1::ChangeOp change, int64_t deadline_ms) {
  ClientRequest r;
  r.id = 1;
  r.key = key;
  r.change = std::move(change);
  r.query.mutable_record();
  r.deadline_ms = deadline_ms;
  return r;
}
v1::ChangeOp Incr(int64_t d = 1) {
  v1::ChangeOp op;
  op.mutable_increment()->set_delta(d);
  return op;
}
v1::ChangeOp Read() {
  v1::ChangeOp op;
  op.mutable_read();
  return op;
}
v1::ChangeOp Cas(uint64_t expected, std::string v) {
  v1::ChangeOp op;
  op.mutable_compare_and_set()->set_expected_version(expected);
  op.mutable_compare_and_set()->set_value(std::move(v));
  return op;
}

int Count(const std::vector<AcceptorRequest>& ms, Kind kind) {
  int n = 0;
  for (const auto& m : ms) n += m.kind == kind;
  return n;
}

const v1::Record& RecordOf(const Completion& c) { return c.response.result().record(); }

// Two proposals must never carry different values under one ballot on one key.
void ExpectOneValuePerBallot(const std::vector<AcceptorRequest>& sent) {
  std::map<std::pair<std::string, Ballot>, std::string> seen;
  for (const auto& m : sent) {
    if (m.kind != Kind::kAccept) continue;
    auto [it, inserted] = seen.emplace(std::make_pair(m.key, m.ballot), m.value);
    EXPECT_TRUE(inserted || it->second == m.value)
        << "two values under ballot " << m.ballot.DebugString() << " for key " << m.key;
  }
}

TEST(ProposerTest, FirstChangeTakesTwoRoundTripsThenOne) {
  Harness h;
  uint64_t a = h.Submit("k", Put("v1"));
  auto msgs = h.Pump();
  EXPECT_EQ(Count(msgs, Kind::kPrepare), 3);
  EXPECT_EQ(Count(msgs, Kind::kAccept), 3);
  ASSERT_TRUE(h.done()[a].status.ok());
  EXPECT_EQ(RecordOf(h.done()[a]).version(), 1u);

  uint64_t b = h.Submit("k", Put("v2"));
  msgs = h.Pump();
  EXPECT_EQ(Count(msgs, Kind::kPrepare), 0) << "the cached promise should skip prepare";
  EXPECT_EQ(Count(msgs, Kind::kAccept), 3);
  EXPECT_EQ(RecordOf(h.done()[b]).value(), "v2");
  EXPECT_EQ(h.proposer().stats().rounds_one_rtt, 1u);
  EXPECT_EQ(h.proposer().stats().rounds_two_rtt, 1u);
}

TEST(ProposerTest, PrepareConflictFastForwardsPastTheRivalAndRetries) {
  Harness h;
  // A rival promised a high ballot on two acceptors.
  for (int i = 0; i < 2; ++i) {
    AcceptorRequest rival{Kind::kPrepare, i, 99, "k", Ballot{1000, 7}, "", {}};
    h.acceptor(i).Handle(rival);
  }
  uint64_t id = h.Submit("k", Put("v"));
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_GE(h.proposer().stats().prepare_conflicts, 2u);
  // The winning ballot is beyond the rival's counter.
  EXPECT_GT(h.acceptor(0).Find("k")->accepted.counter, 1000u);
}

TEST(ProposerTest, RetriesAfterConflictsWaitAJitteredBackoffWithinItsCap) {
  // Duelling proposers must not retry in lockstep: each failed round waits a random time in
  // [0, cap] before the next prepare.
  ProposerConfig config = ProposerConfig::Majority(3);
  config.backoff_base_ms = 100;
  config.backoff_max_ms = 100;  // cap = 100 ms for every retry
  Proposer p(config, 1, 42);
  p.Submit(RequestFor("k", Put("v"), 1000000), 0);
  int64_t now = 0;
  std::set<int64_t> waits_ms;
  constexpr int kRetries = 8;
  for (int retry = 0; retry < kRetries; ++retry) {
    auto prepares = p.TakeOutbox();
    ASSERT_EQ(Count(prepares, Kind::kPrepare), 3) << "retry " << retry;
    for (const auto& m : prepares) {
      AcceptorReply conflict;
      conflict.acceptor = m.acceptor;
      conflict.msg_id = m.msg_id;
      conflict.status = AcceptorReply::Status::kConflict;
      conflict.ballot = Ballot{m.ballot.counter + 1, 7};
      p.OnReply(conflict, now);
    }
    ASSERT_TRUE(p.TakeOutbox().empty()) << "a failed round retries only after its backoff";
    ASSERT_TRUE(p.NextWakeupMs().has_value());
    const int64_t wait = *p.NextWakeupMs() - now;
    EXPECT_GE(wait, 0);
    EXPECT_LE(wait, 100) << "backoff beyond its cap";
    waits_ms.insert(wait);
    now += wait;
    p.Tick(now);
  }
  EXPECT_GT(waits_ms.size(), 1u) << "every retry waited the same time: no jitter";
  EXPECT_GT(*waits_ms.rbegin(), 0) << "retries without any backoff";
}

TEST(ProposerTest, DeclinedChangeStillWritesTheCurrentValueBack) {
  // With the read shortcut off, a declined change must still commit the value it observed.
  ProposerConfig no_skip = ProposerConfig::Majority(3);
  no_skip.read_skip_accept = false;
  Harness h2(no_skip);
  h2.Await(h2.Submit("k", Put("v")));
  uint64_t id = h2.Submit("k", Cas(7, "w"));
  auto msgs = h2.Pump();
  const Completion& c = h2.done()[id];
  ASSERT_TRUE(c.status.ok());
  EXPECT_FALSE(c.response.applied());
  EXPECT_EQ(c.response.decline_reason(), "version is 1, expected 7");
  EXPECT_EQ(RecordOf(c).value(), "v");
  ASSERT_EQ(Count(msgs, Kind::kAccept), 3) << "a declined change commits the current value";
  internal::StoredRegister written;
  ASSERT_TRUE(written.ParseFromString(msgs.back().value));
  EXPECT_EQ(written.value(), "v");
  EXPECT_EQ(written.version(), 1u);
}

TEST(ProposerTest, ReadSkipsAcceptWhenThePrepareQuorumShowsTheValueChosen) {
  Harness h;
  h.Await(h.Submit("k", Put("v")));
  h.RestartProposer(2);  // no cached promise
  const size_t before = h.sent().size();
  uint64_t id = h.Submit("k", Read());
  EXPECT_EQ(RecordOf(h.Await(id)).value(), "v");
  std::vector<AcceptorRequest> msgs(h.sent().begin() + before, h.sent().end());
  EXPECT_GE(Count(msgs, Kind::kPrepare), 3);
  EXPECT_EQ(Count(msgs, Kind::kAccept), 0);
  EXPECT_EQ(h.proposer().stats().reads_skipped_accept, 1u);
}

TEST(ProposerTest, ReadWritesBackAValueSeenOnOnlyAMinority) {
  Harness h;
  // Acceptor 0 alone accepted a value (a proposer died mid-accept).
  internal::StoredRegister reg;
  reg.set_value("partial");
  reg.set_version(1);
  AcceptorRequest acc{Kind::kAccept, 0, 1, "k", Ballot{5, 9}, reg.SerializeAsString(), {}};
  h.acceptor(0).Handle(acc);
  h.drop_request = [](const AcceptorRequest& m) { return m.kind == Kind::kPrepare && m.acceptor == 2; };
  uint64_t id = h.Submit("k", Read());
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "partial");
  EXPECT_EQ(Count(h.sent(), Kind::kAccept), 3) << "an observed value must be chosen before answering";
  EXPECT_EQ(h.acceptor(1).Find("k")->value, h.acceptor(0).Find("k")->value);
}

TEST(ProposerTest, DeclinedChangeWritesBackAValueSeenOnOnlyAMinority) {
  // A declined CAS answers with the value it observed: that value must be chosen first, or a
  // later round may never see it (the answer would be a value that then vanishes).
  Harness h;
  internal::StoredRegister reg;
  reg.set_value("partial");
  reg.set_version(1);
  AcceptorRequest acc{Kind::kAccept, 0, 1, "k", Ballot{5, 9}, reg.SerializeAsString(), {}};
  h.acceptor(0).Handle(acc);
  h.drop_request = [](const AcceptorRequest& m) { return m.kind == Kind::kPrepare && m.acceptor == 2; };
  uint64_t id = h.Submit("k", Cas(7, "w"));
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_FALSE(c.response.applied());
  EXPECT_EQ(RecordOf(c).value(), "partial");
  EXPECT_EQ(Count(h.sent(), Kind::kAccept), 3) << "a declined change must write back what it saw";
  ASSERT_NE(h.acceptor(1).Find("k"), nullptr);
  EXPECT_EQ(h.acceptor(1).Find("k")->value, h.acceptor(0).Find("k")->value);
}

TEST(ProposerTest, AcceptRefusedByAnAcceptorThatTookAnEarlierCopyIsNotAppliedTwice) {
  // Acceptor 0 applies the accept but its reply is lost; a rival's prepare then raises its
  // promise, so the duplicate copy is refused naming the RIVAL's ballot, not ours. That conflict
  // is no proof that nothing was applied: the retry must find the increment and not repeat it.
  Harness h;
  uint64_t id = h.Submit("k", Incr());
  Proposer& p = h.proposer();
  for (auto& m : p.TakeOutbox()) p.OnReply(h.acceptor(m.acceptor).Handle(m), 0);
  std::vector<AcceptorRequest> accepts = p.TakeOutbox();
  ASSERT_EQ(Count(accepts, Kind::kAccept), 3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(accepts[i].acceptor, i);
  h.acceptor(0).Handle(accepts[0]);  // applied; the reply is lost
  for (int i : {0, 1}) {
    h.acceptor(i).Handle(AcceptorRequest{Kind::kPrepare, i, 99, "k", Ballot{1000, 7}, "", {}});
  }
  p.OnReply(h.acceptor(0).Handle(accepts[0]), 0);  // the duplicate: conflict (rival's ballot)
  p.OnReply(h.acceptor(1).Handle(accepts[1]), 0);  // conflict
  AcceptorReply never_sent;
  never_sent.acceptor = 2;
  never_sent.msg_id = accepts[2].msg_id;
  never_sent.status = AcceptorReply::Status::kError;
  never_sent.error = "not connected";
  never_sent.maybe_applied = false;
  p.OnReply(never_sent, 0);
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "1") << "the increment was applied once";
  internal::StoredRegister reg;
  ASSERT_TRUE(reg.ParseFromString(h.acceptor(0).Find("k")->value));
  EXPECT_EQ(reg.value(), "1") << "the increment must not be applied twice";
}

TEST(ProposerTest, LateAndDuplicatedRepliesAreIgnored) {
  Harness h;
  uint64_t id = h.Submit("k", Incr());
  auto out = h.proposer().TakeOutbox();
  ASSERT_EQ(out.size(), 3u);
  std::vector<AcceptorReply> replies;
  for (auto& m : out) replies.push_back(h.acceptor(m.acceptor).Handle(m));
  h.proposer().OnReply(replies[0], 0);
  h.proposer().OnReply(replies[0], 0);  // duplicate: must not count as a second promise
  EXPECT_TRUE(h.proposer().TakeOutbox().empty()) << "one promise is not a quorum";
  h.proposer().OnReply(replies[1], 0);
  auto accepts = h.proposer().TakeOutbox();
  EXPECT_EQ(Count(accepts, Kind::kAccept), 3);
  for (auto& m : accepts) h.proposer().OnReply(h.acceptor(m.acceptor).Handle(m), 0);
  auto done = h.proposer().TakeCompletions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, id);
  // The late prepare reply of acceptor 2 arrives after everything: nothing happens.
  h.proposer().OnReply(replies[2], 0);
  EXPECT_TRUE(h.proposer().TakeOutbox().empty());
  EXPECT_TRUE(h.proposer().TakeCompletions().empty());
}

TEST(ProposerTest, ConcurrentRequestsOnOneKeyShareOneRound) {
  // The first request starts a round at once; the nine arriving while it runs share ONE round.
  Harness h;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(h.Submit("hot", Incr()));
  auto msgs = h.Pump();
  EXPECT_EQ(Count(msgs, Kind::kPrepare), 3);
  EXPECT_EQ(Count(msgs, Kind::kAccept), 6);
  EXPECT_EQ(h.proposer().stats().rounds_succeeded, 2u);
  for (int i = 0; i < 10; ++i) {
    const Completion& c = h.done()[ids[i]];
    ASSERT_TRUE(c.status.ok());
    EXPECT_EQ(RecordOf(c).value(), std::to_string(i + 1)) << "applied in arrival order";
    EXPECT_EQ(RecordOf(c).version(), static_cast<uint64_t>(i + 1));
  }
}

TEST(ProposerTest, RequestsArrivingDuringARoundFormTheNextBatch) {
  Harness h;
  uint64_t first = h.Submit("k", Incr());
  auto prepares = h.proposer().TakeOutbox();
  uint64_t second = h.Submit("k", Incr());
  uint64_t third = h.Submit("k", Incr());
  for (auto& m : prepares) h.proposer().OnReply(h.acceptor(m.acceptor).Handle(m), 0);
  h.Pump();
  EXPECT_EQ(RecordOf(h.done()[first]).value(), "1");
  EXPECT_EQ(RecordOf(h.done()[second]).value(), "2");
  EXPECT_EQ(RecordOf(h.done()[third]).value(), "3");
  EXPECT_EQ(h.proposer().stats().rounds_succeeded, 2u);
}

TEST(ProposerTest, NoQuorumFailsFastWithUnavailable) {
  Harness h;
  h.drop_request = [](const AcceptorRequest& m) { return m.acceptor != 0; };
  uint64_t id = h.Submit("k", Put("v"), /*deadline_ms=*/60000);
  const Completion& c = h.Await(id);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kUnavailable) << c.status;
  EXPECT_NE(c.status.message().find("nothing was written"), std::string::npos);
  EXPECT_LT(h.now(), 5000) << "must not wait for the whole deadline";
}

TEST(ProposerTest, ErrorRepliesCountAsFailuresWithoutWaitingForTimeout) {
  ProposerConfig cfg = ProposerConfig::Majority(3);
  cfg.round_timeout_ms = 100000;  // the phase timeout must play no part
  Harness h(cfg);
  h.error_reply = [](const AcceptorRequest& m) { return m.acceptor != 0; };
  uint64_t id = h.Submit("k", Put("v"));
  const Completion& c = h.Await(id);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kUnavailable) << c.status;
  EXPECT_NE(c.status.message().find("connection refused"), std::string::npos) << c.status;
  EXPECT_LT(h.now(), 1000);
  EXPECT_EQ(h.proposer().stats().phase_timeouts, 0u);
}

TEST(ProposerTest, LostAcceptRepliesDoNotApplyAnIncrementTwice) {
  // The accept reaches every acceptor but the replies are lost: the change IS applied. The retry
  // must recognise its own writer mark in the register and answer without applying it again.
  Harness h;
  h.Await(h.Submit("c", Incr()));
  bool lose = true;
  h.drop_reply = [&](const AcceptorRequest& m) { return lose && m.kind == Kind::kAccept; };
  uint64_t id = h.Submit("c", Incr());
  h.Pump();
  lose = false;
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "2");
  EXPECT_EQ(h.proposer().stats().retries_resolved_applied, 1u);
  uint64_t check = h.Submit("c", Read());
  EXPECT_EQ(RecordOf(h.Await(check)).value(), "2");
}

TEST(ProposerTest, AcceptOnAMinorityIsReappliedOnceWhenItWasNotChosen) {
  // The accept reaches only acceptor 0 (others lost); acceptor 0 then goes away, so the retry's
  // prepare sees acceptors 1 and 2 without the change: it must be applied exactly once.
  Harness h;
  h.Await(h.Submit("c", Incr()));
  bool zero_only = true;
  bool zero_down = false;
  h.drop_request = [&](const AcceptorRequest& m) {
    if (zero_down && m.acceptor == 0) return true;
    return zero_only && m.kind == Kind::kAccept && m.acceptor != 0;
  };
  h.drop_reply = [&](const AcceptorRequest& m) { return zero_only && m.kind == Kind::kAccept; };
  uint64_t id = h.Submit("c", Incr());
  h.Pump();
  zero_only = false;
  zero_down = true;
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "2");
  zero_down = false;
  h.RestartProposer(5);
  uint64_t check = h.Submit("c", Read());
  EXPECT_EQ(RecordOf(h.Await(check)).value(), "2") << "the orphaned minority accept must not win";
  ExpectOneValuePerBallot(h.sent());
}

// Regression: with a window of the last 8 rounds, two proposers contending on one key pushed a
// lost accept's tag out of the window during one backoff and the retry had to answer ABORTED.
// The per-proposer mark is exact however many rounds other proposers run in between.
TEST(ProposerTest, LostAcceptIsResolvedAfterManyRivalRounds) {
  for (bool applied : {true, false}) {
    Harness h;
    h.Await(h.Submit("c", Incr()));
    bool lose = true;
    // applied: the accept lands everywhere but the replies are lost. not applied: it lands
    // nowhere (every request lost).
    h.drop_request = [&](const AcceptorRequest& m) { return lose && !applied && m.kind == Kind::kAccept; };
    h.drop_reply = [&](const AcceptorRequest& m) { return lose && m.kind == Kind::kAccept; };
    uint64_t id = h.Submit("c", Incr());
    h.Pump();
    lose = false;
    for (int i = 0; i < 50; ++i) {
      Completion r = h.RivalRound(100, "c", Incr());
      ASSERT_TRUE(r.status.ok()) << r.status;
    }
    const Completion& c = h.Await(id);
    ASSERT_TRUE(c.status.ok()) << c.status;
    const Completion check = h.RivalRound(101, "c", Read());
    EXPECT_EQ(RecordOf(check).value(), "52") << (applied ? "applied" : "not applied");
  }
}

// Regression (found by the integration CAS test with 2 proposers): an accept was declared failed
// as soon as two conflicts made its quorum impossible, while the third acceptor's answer was
// still outstanding. That acceptor took the accept; the attempt was not tracked, the retry
// picked the value up and applied the increment a second time on top of it.
TEST(ProposerTest, AcceptFailedByConflictsWhileAnAcceptorIsSilentIsStillTracked) {
  Harness h;
  h.Await(h.Submit("c", Incr()));
  ASSERT_EQ(h.proposer().cache_entries(), 1u);
  for (int i = 1; i < 3; ++i) {
    h.acceptor(i).Handle(AcceptorRequest{Kind::kPrepare, i, 99, "c", Ballot{500, 7}, "", {}});
  }
  bool first = true;
  // Acceptor 0 takes the 1-RTT accept but its reply is lost; 1 and 2 answer conflict.
  h.drop_reply = [&](const AcceptorRequest& m) {
    bool drop = first && m.kind == Kind::kAccept && m.acceptor == 0;
    return drop;
  };
  uint64_t id = h.Submit("c", Incr());
  h.Pump();
  first = false;
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "2");
  const Completion check = h.RivalRound(101, "c", Read());
  EXPECT_EQ(RecordOf(check).value(), "2") << "the increment was applied twice";
}

// Issue: with one Redis frozen (SIGSTOP), a conflicted round waited for the frozen acceptor's
// answer until the 500 ms phase timeout, and under contention every key stalled that long.
// Now a phase that has as many answers as a quorum and is still undecided waits only the
// straggler timeout; the frozen acceptor's copy of the accept is tracked as maybe applied and
// the retry finds it through the writer mark, so the increment still applies exactly once.
TEST(ProposerTest, FrozenAcceptorCostsAConflictedRoundTheStragglerWaitNotThePhaseTimeout) {
  ProposerConfig config = ProposerConfig::Majority(3);
  config.round_timeout_ms = 500;
  config.straggler_timeout_ms = 10;
  Harness h(config);
  h.Await(h.Submit("c", Incr()));
  ASSERT_EQ(h.proposer().cache_entries(), 1u);
  h.acceptor(1).Handle(AcceptorRequest{Kind::kPrepare, 1, 99, "c", Ballot{500, 7}, "", {}});
  h.Freeze(2);  // acceptor 2 is stopped: its requests wait
  const int64_t start = h.now();
  const uint64_t id = h.Submit("c", Incr());
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "2");
  EXPECT_LT(h.now() - start, config.round_timeout_ms / 2) << "waited for the frozen acceptor";
  EXPECT_EQ(h.proposer().stats().straggler_timeouts, 1u);
  EXPECT_EQ(h.proposer().stats().phase_timeouts, 0u);
  // The acceptor resumes and handles what it had queued, the first 1-RTT accept included.
  h.Thaw(2);
  const Completion check = h.RivalRound(101, "c", Read());
  EXPECT_EQ(RecordOf(check).value(), "2") << "the increment was applied twice";
  ExpectOneValuePerBallot(h.sent());
}

// The quorum is out of reach (two conflicts) while the third acceptor is frozen: the round is
// retried at once instead of after the phase timeout, and the silent acceptor's late acceptance
// of the failed attempt does not make the change apply twice.
TEST(ProposerTest, AcceptOutOfReachIsRetriedAtOnceAndASilentAcceptorsLateAcceptIsHarmless) {
  ProposerConfig config = ProposerConfig::Majority(3);
  config.round_timeout_ms = 500;
  Harness h(config);
  h.Await(h.Submit("c", Incr()));
  for (int i = 1; i < 3; ++i) {
    h.acceptor(i).Handle(AcceptorRequest{Kind::kPrepare, i, 99, "c", Ballot{500, 7}, "", {}});
  }
  const std::vector<AcceptorRequest>& frozen = h.Freeze(0);
  const int64_t start = h.now();
  const Completion& c = h.Await(h.Submit("c", Incr()));
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "2");
  EXPECT_LT(h.now() - start, config.round_timeout_ms / 2) << "waited for the frozen acceptor";
  EXPECT_EQ(h.proposer().stats().phase_timeouts, 0u);
  ASSERT_FALSE(frozen.empty());
  EXPECT_EQ(frozen.front().kind, Kind::kAccept) << "the failed 1-RTT accept is queued first";
  h.Thaw(0);
  const Completion check = h.RivalRound(101, "c", Read());
  EXPECT_EQ(RecordOf(check).value(), "2") << "the increment was applied twice";
}

// When every answer so far proves the changing accept was not applied (errors from requests
// that never left), the quorum being out of reach is not the end: the straggler's answer can
// still prove nothing was written, so the request fails UNAVAILABLE, not ABORTED. The third
// acceptor here answers 5 ms after the others, within the straggler wait.
TEST(ProposerTest, AcceptRefusedByEveryoneSoFarWaitsForTheStragglerToProveNothingWasWritten) {
  ProposerConfig config = ProposerConfig::Majority(3);
  config.straggler_timeout_ms = 10;
  config.unavailable_rounds_max = 1;
  config.one_rtt = false;
  Proposer p(config, 1, 42);
  std::vector<MemoryAcceptor> acceptors(3);
  p.Submit(RequestFor("k", Put("v"), 10000), 0);
  for (const AcceptorRequest& m : p.TakeOutbox()) p.OnReply(acceptors[m.acceptor].Handle(m), 1);
  std::vector<AcceptorRequest> accepts = p.TakeOutbox();
  ASSERT_EQ(accepts.size(), 3u);
  for (const AcceptorRequest& m : accepts) {
    AcceptorReply err;
    err.acceptor = m.acceptor;
    err.msg_id = m.msg_id;
    err.status = AcceptorReply::Status::kError;
    err.error = "not connected";
    err.maybe_applied = false;
    p.OnReply(err, m.acceptor == 2 ? 7 : 2);
    if (m.acceptor == 1) {
      EXPECT_TRUE(p.TakeCompletions().empty()) << "gave up before the third answer";
    }
  }
  std::vector<Completion> done = p.TakeCompletions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kUnavailable) << done[0].status;
}

// Regression (chaos harness, seed 1): one Redis cut (errors) and another slow on a loaded
// machine. Without a rival, the first straggler rule gave up on the slow acceptor after 10 ms,
// three times, and answered ABORTED while a quorum was up; a retry needs the same acceptors, so
// the phase must wait for them (up to the phase timeout).
TEST(ProposerTest, SlowAcceptorWithoutARivalIsWaitedForNotAbandoned) {
  ProposerConfig config = ProposerConfig::Majority(3);
  config.straggler_timeout_ms = 10;
  config.round_timeout_ms = 500;
  Proposer p(config, 1, 42);
  std::vector<MemoryAcceptor> acceptors(3);
  p.Submit(RequestFor("k", Put("v"), 10000), 0);
  auto answer = [&](const AcceptorRequest& m, int64_t at) {
    if (m.acceptor == 0) {  // cut: the request never left
      AcceptorReply err;
      err.acceptor = 0;
      err.msg_id = m.msg_id;
      err.status = AcceptorReply::Status::kError;
      err.error = "not connected";
      err.maybe_applied = false;
      p.OnReply(err, at);
    } else {
      p.OnReply(acceptors[m.acceptor].Handle(m), m.acceptor == 2 ? at + 40 : at);
    }
  };
  int64_t t = 0;
  for (int phase = 0; phase < 2; ++phase) {
    std::vector<AcceptorRequest> out = p.TakeOutbox();
    ASSERT_EQ(out.size(), 3u) << "phase " << phase;
    // Acceptors 0 and 1 answer at once; time passes beyond the straggler wait; 2 answers.
    answer(out[0], t);
    answer(out[1], t);
    p.Tick(t + 39);
    answer(out[2], t);
    t += 40;
  }
  std::vector<Completion> done = p.TakeCompletions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok()) << done[0].status;
  EXPECT_EQ(p.stats().straggler_timeouts, 0u);
  EXPECT_EQ(p.stats().rounds_failed, 0u);
}

// A slow but working acceptor set is not cut short: the straggler wait grows with the time the
// phase has already taken (here every answer takes 40 ms, far above straggler_timeout_ms).
TEST(ProposerTest, StragglerWaitScalesWithTheObservedPhaseTime) {
  ProposerConfig config = ProposerConfig::Majority(3);
  config.straggler_timeout_ms = 1;
  Proposer p(config, 1, 42);
  p.Submit(RequestFor("k", Put("v"), 10000), 0);
  std::vector<MemoryAcceptor> acceptors(3);
  auto prepares = p.TakeOutbox();
  ASSERT_EQ(prepares.size(), 3u);
  // A rival holds acceptor 1: its answer is a conflict; acceptor 2 answers last, 60 ms later.
  acceptors[1].Handle(AcceptorRequest{Kind::kPrepare, 1, 99, "k", Ballot{500, 7}, "", {}});
  p.OnReply(acceptors[0].Handle(prepares[0]), 40);
  p.OnReply(acceptors[1].Handle(prepares[1]), 40);
  p.Tick(100);  // 60 ms after the quorum-th answer: within max(1, 2 * 40)
  EXPECT_EQ(p.stats().straggler_timeouts, 0u);
  p.OnReply(acceptors[2].Handle(prepares[2]), 100);
  EXPECT_EQ(p.stats().rounds_failed, 0u) << "the third answer decided the phase";
  EXPECT_EQ(p.TakeOutbox().size(), 3u) << "accepts follow the prepare quorum";
}

TEST(ProposerTest, LostAcceptIsAbortedWhenTooManyOtherProposersWroteSince) {
  Harness h;
  h.Await(h.Submit("c", Incr()));
  bool lose = true;
  h.drop_request = [&](const AcceptorRequest& m) { return lose && m.kind == Kind::kAccept; };
  uint64_t id = h.Submit("c", Incr());
  h.Pump();
  lose = false;
  for (uint64_t rival = 200; rival < 200 + kWriterMarksMax; ++rival) {
    ASSERT_TRUE(h.RivalRound(rival, "c", Incr()).status.ok());
  }
  const Completion& c = h.Await(id);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kAborted) << c.status;
  EXPECT_NE(c.status.message().find("outcome unknown"), std::string::npos);
}

// Regression (simulator, restarting-proposers seed 42): after many proposer restarts the marks
// were full of dead incarnations, and a new incarnation's retry could not rule out that its own
// mark had been pushed out, so it answered ABORTED. Marks older than our attempt prove it was not.
TEST(ProposerTest, MarksFullOfOlderIncarnationsDoNotMakeAFreshRetryAmbiguous) {
  Harness h;
  for (uint64_t rival = 300; rival < 300 + kWriterMarksMax; ++rival) {
    ASSERT_TRUE(h.RivalRound(rival, "c", Incr()).status.ok());
  }
  h.RestartProposer(999);
  bool lose = true;
  h.drop_request = [&](const AcceptorRequest& m) { return lose && m.kind == Kind::kAccept; };
  uint64_t id = h.Submit("c", Incr());
  h.Pump();
  lose = false;
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), std::to_string(kWriterMarksMax + 1));
}

// Regression (register fuzzer, ASan build): a register written elsewhere held two marks of
// this proposer; a change kept one of them beside the new mark, and a retry could not tell
// which of its attempts applied. Such bytes are not a Gryadka register: the key fails with
// FAILED_PRECONDITION naming the problem, nothing is written, and other keys are unaffected.
TEST(ProposerTest, RegisterWithTwoMarksOfOneProposerIsNotARegister) {
  Harness h;  // proposer id 1
  internal::StoredRegister reg;
  reg.set_value("v");
  reg.set_version(1);
  for (uint64_t id : {1u, 7u, 1u}) {
    internal::WriterMark* w = reg.add_writers();
    w->set_proposer_id(id);
    w->set_counter(100);
  }
  for (int i = 0; i < 3; ++i) {
    h.acceptor(i).Handle(
        AcceptorRequest{Kind::kAccept, i, 99, "k", Ballot{1, 77}, reg.SerializeAsString(), {}});
  }
  const Completion& c = h.Await(h.Submit("k", Put("w")));
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition) << c.status;
  EXPECT_NE(c.status.message().find("has two writer marks"), std::string::npos) << c.status;
  ASSERT_NE(h.acceptor(0).Find("k"), nullptr) << "the planted register is gone";
  EXPECT_EQ(h.acceptor(0).Find("k")->value, reg.SerializeAsString()) << "nothing written";
  EXPECT_TRUE(h.Await(h.Submit("other", Put("x"))).status.ok());
}

TEST(ProposerTest, KnownDownAcceptorsDisableTheOneRoundTripPath) {
  // With 2 of 3 acceptors known down, a cached key must not send its accept first (the one
  // live acceptor would take it and the outcome would be unknown); the prepare fails instead
  // and the answer is UNAVAILABLE: nothing was written.
  Harness h;
  h.Await(h.Submit("k", Put("before")));
  ASSERT_EQ(h.proposer().cache_entries(), 1u);
  h.proposer().SetAcceptorUp(0, false);
  h.proposer().SetAcceptorUp(2, false);
  h.error_reply = [](const AcceptorRequest& m) { return m.acceptor != 1; };
  const Completion& c = h.Await(h.Submit("k", Put("during")));
  EXPECT_EQ(c.status.code(), absl::StatusCode::kUnavailable) << c.status;
  EXPECT_EQ(h.acceptor(1).Find("k")->value, h.acceptor(0).Find("k")->value) << "nothing written";
}

// ---- Accept to a quorum first (ProposerConfig::accept_quorum_first) ----

ProposerConfig QuorumFirst() {
  ProposerConfig config = ProposerConfig::Majority(3);
  config.accept_quorum_first = true;
  config.accept_hedge_ms = 10;
  config.round_timeout_ms = 500;
  return config;
}

// Each accept goes to two of the three acceptors, a different pair each round, so over three
// rounds every acceptor takes two accepts; prepares still go to all three. The value is right
// whichever quorum a later reader meets.
TEST(ProposerTest, QuorumFirstSendsEachAcceptToAQuorumInTurn) {
  Harness h(QuorumFirst());
  h.Await(h.Submit("k", Incr()));  // 2-RTT: prepare to all three, accept to two
  int per_acceptor[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    const auto msgs = h.Pump();
    ASSERT_TRUE(msgs.empty());
    h.Submit("k", Incr());
    for (const AcceptorRequest& m : h.Pump()) {
      ASSERT_EQ(m.kind, Kind::kAccept) << "the cached promise skips prepare";
      ++per_acceptor[m.acceptor];
    }
  }
  EXPECT_EQ(per_acceptor[0] + per_acceptor[1] + per_acceptor[2], 6) << "two accepts per round";
  for (int a = 0; a < 3; ++a) EXPECT_EQ(per_acceptor[a], 2) << "acceptor " << a;
  EXPECT_EQ(Count(h.sent(), Kind::kPrepare), 3);
  EXPECT_EQ(h.proposer().stats().rounds_one_rtt, 3u);
  EXPECT_EQ(h.proposer().stats().accepts_held, 4u);
  EXPECT_EQ(h.proposer().stats().accepts_held_sent, 0u);
  for (uint64_t rival = 101; rival <= 103; ++rival) {
    EXPECT_EQ(RecordOf(h.RivalRound(rival, "k", Read())).value(), "4");
  }
  ExpectOneValuePerBallot(h.sent());
}

// An acceptor of the quorum asked first fails: the held one is asked at once (no time passes),
// and the change applies exactly once.
TEST(ProposerTest, QuorumFirstAsksTheHeldAcceptorAtOnceWhenOneFails) {
  Harness h(QuorumFirst());
  h.Await(h.Submit("k", Incr()));
  h.error_reply = [](const AcceptorRequest& m) { return m.acceptor == 1; };
  h.error_maybe_applied = false;
  for (int i = 0; i < 3; ++i) {
    const int64_t start = h.now();
    const Completion& c = h.Await(h.Submit("k", Incr()));
    ASSERT_TRUE(c.status.ok()) << c.status;
    EXPECT_EQ(h.now(), start) << "waited instead of asking the held acceptor";
  }
  EXPECT_EQ(h.proposer().stats().accepts_held_sent, 2u) << "rounds that asked acceptor 1 first";
  EXPECT_EQ(h.proposer().stats().rounds_failed, 0u);
  h.error_reply = [](const AcceptorRequest&) { return false; };
  EXPECT_EQ(RecordOf(h.RivalRound(101, "k", Read())).value(), "4");
}

// A frozen acceptor (SIGSTOP) in the quorum asked first costs one round the hedge, not the phase
// timeout. Having missed a hedge it is asked last for a phase timeout (or until it answers), so
// the rounds after that one are not slowed; once that time has passed it is asked again, and
// costs one more hedge while it stays frozen.
TEST(ProposerTest, QuorumFirstAsksTheHeldAcceptorAfterTheHedgeThenAsksTheFrozenOneLast) {
  const ProposerConfig config = QuorumFirst();
  Harness h(config);
  h.Await(h.Submit("k", Incr()));
  h.Freeze(2);
  auto run = [&h, &config](int rounds) {
    int hedged = 0;
    for (int i = 0; i < rounds; ++i) {
      const int64_t start = h.now();
      const Completion& c = h.Await(h.Submit("k", Incr()));
      EXPECT_TRUE(c.status.ok()) << c.status;
      const int64_t took = h.now() - start;
      EXPECT_TRUE(took == 0 || took == config.accept_hedge_ms) << "took " << took << " ms";
      hedged += took > 0;
    }
    return hedged;
  };
  EXPECT_EQ(run(6), 1) << "only the first round that asked the frozen acceptor waits";
  EXPECT_EQ(h.proposer().stats().accepts_held_sent, 1u);
  h.AdvanceTo(h.now() + config.round_timeout_ms);
  EXPECT_EQ(run(6), 1) << "asked again after a phase timeout, hedged once more";
  EXPECT_EQ(h.proposer().stats().phase_timeouts, 0u);
  EXPECT_EQ(h.proposer().stats().rounds_failed, 0u);
  h.Thaw(2);
  EXPECT_EQ(RecordOf(h.RivalRound(101, "k", Read())).value(), "13");
  ExpectOneValuePerBallot(h.sent());
}

// An acceptor the shell reports down is held back, not asked: no round waits for it.
TEST(ProposerTest, QuorumFirstAsksTheAcceptorsReportedUp) {
  Harness h(QuorumFirst());
  h.Await(h.Submit("k", Incr()));
  h.proposer().SetAcceptorUp(0, false);
  h.Freeze(0);
  for (int i = 0; i < 3; ++i) {
    const int64_t start = h.now();
    ASSERT_TRUE(h.Await(h.Submit("k", Incr())).status.ok());
    EXPECT_EQ(h.now(), start);
  }
  EXPECT_EQ(h.proposer().stats().accepts_held_sent, 0u);
  h.Thaw(0);
}

TEST(ProposerTest, AcceptThatNeverLeftIsNotAnUnknownOutcome) {
  // Errors that say the request never reached the acceptor (not connected) make a failed accept
  // certainly not applied: UNAVAILABLE, not ABORTED.
  Harness h;
  h.Await(h.Submit("k", Put("before")));
  h.RestartProposer(9);
  bool prepared = false;
  h.error_reply = [&](const AcceptorRequest& m) {
    if (m.kind == Kind::kAccept) prepared = true;
    return prepared;
  };
  const Completion& unknown = h.Await(h.Submit("k", Put("during")));
  EXPECT_EQ(unknown.status.code(), absl::StatusCode::kAborted) << "a maybe-applied error: unknown";
  prepared = false;
  h.error_maybe_applied = false;
  h.RestartProposer(10);
  const Completion& never = h.Await(h.Submit("k", Put("during")));
  EXPECT_EQ(never.status.code(), absl::StatusCode::kUnavailable) << never.status;
  EXPECT_NE(never.status.message().find("nothing was written"), std::string::npos);
}

TEST(ProposerTest, FailedOneRoundTripAcceptDropsTheCacheAndNeverReusesItsBallot) {
  Harness h;
  h.Await(h.Submit("k", Put("a")));
  ASSERT_EQ(h.proposer().cache_entries(), 1u);
  // A rival prepares higher on acceptors 1 and 2: our cached promise is void.
  for (int i = 1; i < 3; ++i) {
    h.acceptor(i).Handle(AcceptorRequest{Kind::kPrepare, i, 99, "k", Ballot{500, 7}, "", {}});
  }
  uint64_t id = h.Submit("k", Put("b"));
  const Completion& c = h.Await(id);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(RecordOf(c).value(), "b");
  EXPECT_GE(h.proposer().stats().accept_conflicts, 2u);
  EXPECT_EQ(h.proposer().stats().rounds_two_rtt, 2u) << "retry must use a fresh prepare";
  ExpectOneValuePerBallot(h.sent());
}

TEST(ProposerTest, DeadlineWhileUnansweredSaysNothingWasWritten) {
  Harness h;
  h.drop_request = [](const AcceptorRequest&) { return true; };
  uint64_t id = h.Submit("k", Put("v"), /*deadline_ms=*/200);
  const Completion& c = h.Await(id);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kDeadlineExceeded) << c.status;
  EXPECT_NE(c.status.message().find("nothing was written"), std::string::npos);
}

TEST(ProposerTest, DeadlineAfterAPartialAcceptSaysOutcomeUnknown) {
  ProposerConfig cfg = ProposerConfig::Majority(3);
  cfg.round_timeout_ms = 50;
  Harness h(cfg);
  bool prepare_ok = true;
  h.drop_request = [&](const AcceptorRequest& m) {
    if (m.kind == Kind::kAccept) {
      prepare_ok = false;
      return m.acceptor != 0;  // the accept reaches one acceptor only
    }
    return !prepare_ok && m.acceptor != 0;  // and then only acceptor 0 stays reachable
  };
  h.drop_reply = [](const AcceptorRequest& m) { return m.kind == Kind::kAccept; };
  uint64_t id = h.Submit("k", Put("v"), /*deadline_ms=*/30);
  const Completion& c = h.Await(id);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kDeadlineExceeded) << c.status;
  EXPECT_NE(c.status.message().find("outcome unknown"), std::string::npos) << c.status;
}

TEST(ProposerTest, ForeignDataUnderTheKeyFailsThatKeyOnly) {
  Harness h;
  for (int i = 0; i < 3; ++i) h.acceptor(i).PutForeign("bad");
  uint64_t bad = h.Submit("bad", Put("v"));
  uint64_t good = h.Submit("good", Put("v"));
  EXPECT_EQ(h.Await(bad).status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(h.Await(good).status.ok());
}

TEST(ProposerTest, InvalidRequestsCompleteAtOnceWithoutMessages) {
  Harness h;
  uint64_t id = h.Submit("", Put("v"));
  EXPECT_TRUE(h.Pump().empty());
  ASSERT_TRUE(h.done().count(id));
  EXPECT_EQ(h.done()[id].status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProposerTest, PerKeyQueueIsBounded) {
  ProposerConfig cfg = ProposerConfig::Majority(3);
  cfg.queue_per_key_max = 2;
  cfg.batch_ops_max = 1;
  Harness h(cfg);
  uint64_t a = h.Submit("k", Incr());  // in the round
  h.Submit("k", Incr());               // queued
  h.Submit("k", Incr());               // queued
  uint64_t over = h.Submit("k", Incr());
  auto done = h.proposer().TakeCompletions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, over);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kResourceExhausted);
  h.Await(a);
}

TEST(ProposerTest, CacheIsBoundedByEntries) {
  ProposerConfig cfg = ProposerConfig::Majority(3);
  cfg.cache_entries_max = 4;
  Harness h(cfg);
  for (int i = 0; i < 10; ++i) h.Await(h.Submit("k" + std::to_string(i), Put("v")));
  EXPECT_EQ(h.proposer().cache_entries(), 4u);
  EXPECT_EQ(h.proposer().stats().cache_evictions, 6u);
}

// The core keeps one timer per key with work in flight: finished requests leave nothing behind
// (an earlier heap kept an entry per request until its deadline: rate x deadline entries).
TEST(ProposerTest, TimersAreBoundedByKeysInFlight) {
  Harness h;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(h.Await(h.Submit("k" + std::to_string(i % 10), Incr(), /*deadline_ms=*/3600000))
                    .status.ok());
  }
  EXPECT_FALSE(h.proposer().NextWakeupMs().has_value());
  uint64_t id = h.Submit("k", Incr(), /*deadline_ms=*/3600000);
  auto prepares = h.proposer().TakeOutbox();  // in flight: one timer (the phase deadline)
  ASSERT_TRUE(h.proposer().NextWakeupMs().has_value());
  EXPECT_LE(*h.proposer().NextWakeupMs(), h.now() + ProposerConfig{}.round_timeout_ms);
  for (auto& m : prepares) h.proposer().OnReply(h.acceptor(m.acceptor).Handle(m), h.now());
  EXPECT_TRUE(h.Await(id).status.ok());
  EXPECT_FALSE(h.proposer().NextWakeupMs().has_value());
}

// A proposer started on 3 acceptors and reconfigured to 4 tracks the health of the 4th too.
TEST(ProposerTest, ReconfigureToMoreAcceptorsUsesTheNewOne) {
  Harness h(ProposerConfig::Majority(3), /*id=*/1, /*acceptors=*/4);
  h.proposer().Reconfigure(ProposerConfig::Majority(4));
  const Completion& c = h.Await(h.Submit("k", Put("v")));
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_NE(h.acceptor(3).Find("k"), nullptr);
  EXPECT_EQ(h.acceptor(3).Find("k")->value, h.acceptor(0).Find("k")->value) << "accept set grew";
}

TEST(ProposerTest, ProposerRestartWithNewIdKeepsHistory) {
  Harness h;
  h.Await(h.Submit("k", Incr()));
  h.RestartProposer(77);
  const Completion& c = h.Await(h.Submit("k", Incr()));
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(RecordOf(c).value(), "2");
}

}  // namespace
}  // namespace gryadka::core
