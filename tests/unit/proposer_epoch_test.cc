// Configuration epochs in the proposer core: a round keeps the configuration it started with
// (its prepare and its accept), a retry takes the current one, 1-RTT promises never cross
// epochs, fenced replies (AcceptorReply::Status::kFenced, built here by hand) are refusals that
// raise a fence notice for the shell (a fenced accept may still have been applied by an earlier
// copy), and a read's chosen-check counts only the round's accept set.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proposer/core/proposer.h"

namespace gryadka::core {
namespace {

using Kind = AcceptorRequest::Kind;
using Status = AcceptorReply::Status;

// `n` acceptors; both sets = `set` with the given quorums; epoch `epoch`.
ProposerConfig Config(int n, std::vector<AcceptorId> set, int quorum, uint64_t epoch) {
  ProposerConfig c = ProposerConfig::Majority(n);
  c.prepare_set = set;
  c.accept_set = std::move(set);
  c.prepare_quorum = quorum;
  c.accept_quorum = quorum;
  c.epoch = epoch;
  c.round_timeout_ms = 100;
  c.backoff_base_ms = 1;
  c.backoff_max_ms = 1;
  return c;
}

AcceptorReply Reply(const AcceptorRequest& m, Status status) {
  AcceptorReply r;
  r.acceptor = m.acceptor;
  r.msg_id = m.msg_id;
  r.status = status;
  return r;  // kOk to a prepare: nothing accepted (zero ballot, empty register)
}

AcceptorReply Fenced(const AcceptorRequest& m, uint64_t fence_epoch, std::string config) {
  AcceptorReply r = Reply(m, Status::kFenced);
  r.fence_epoch = fence_epoch;
  r.fence_config = std::move(config);
  return r;
}

std::vector<AcceptorId> Targets(const std::vector<AcceptorRequest>& ms) {
  std::vector<AcceptorId> v;
  for (const AcceptorRequest& m : ms) v.push_back(m.acceptor);
  return v;
}

// A bare proposer driven by hand; checks the core's invariants after every input.
class Driver {
 public:
  explicit Driver(ProposerConfig config) : p_(std::move(config), /*proposer_id=*/1, /*seed=*/5) {}

  Proposer& p() { return p_; }
  int64_t now() const { return now_; }

  void Submit(uint64_t id, const std::string& key) {
    ClientRequest r;
    r.id = id;
    r.key = key;
    r.change.mutable_put()->set_value("v" + std::to_string(id));
    r.query.mutable_record();
    r.deadline_ms = now_ + 100000;
    p_.Submit(std::move(r), now_);
    Check();
  }
  std::vector<AcceptorRequest> Outbox() { return p_.TakeOutbox(); }
  void Deliver(const AcceptorReply& r) {
    p_.OnReply(r, now_);
    Check();
  }
  void Answer(const std::vector<AcceptorRequest>& ms, Status status) {
    for (const AcceptorRequest& m : ms) Deliver(Reply(m, status));
  }
  // Advances to the next wakeup (at most `limit_ms` ahead); returns false if there is none.
  bool TickNext(int64_t limit_ms = 1000000) {
    std::optional<int64_t> next = p_.NextWakeupMs();
    if (!next || *next > now_ + limit_ms) return false;
    now_ = std::max(now_, *next);
    p_.Tick(now_);
    Check();
    return true;
  }
  std::vector<Completion> Done() { return p_.TakeCompletions(); }

 private:
  void Check() { EXPECT_TRUE(p_.CheckInvariants().ok()) << p_.CheckInvariants(); }

  Proposer p_;
  int64_t now_ = 0;
};

TEST(ProposerEpochTest, ReconfigureBetweenPrepareAndAcceptKeepsTheRoundsAcceptSetAndQuorum) {
  Driver d(Config(5, {0, 1, 2}, 2, /*epoch=*/3));
  d.Submit(1, "k");
  const std::vector<AcceptorRequest> prepares = d.Outbox();
  ASSERT_EQ(Targets(prepares), (std::vector<AcceptorId>{0, 1, 2}));
  for (const AcceptorRequest& m : prepares) EXPECT_EQ(m.epoch, 3u);

  // The new configuration: other acceptors, every one of them needed.
  d.p().Reconfigure(Config(5, {2, 3, 4}, 3, /*epoch=*/4));
  EXPECT_EQ(d.p().rounds_in_older_epochs(), 1u);
  d.Deliver(Reply(prepares[0], Status::kOk));
  d.Deliver(Reply(prepares[1], Status::kOk));
  const std::vector<AcceptorRequest> accepts = d.Outbox();
  ASSERT_EQ(Targets(accepts), (std::vector<AcceptorId>{0, 1, 2})) << "the round's old accept set";
  for (const AcceptorRequest& m : accepts) {
    EXPECT_EQ(m.kind, Kind::kAccept);
    EXPECT_EQ(m.epoch, 3u) << "the accept carries the round's epoch";
  }
  d.Deliver(Reply(accepts[0], Status::kOk));
  EXPECT_TRUE(d.Done().empty());
  d.Deliver(Reply(accepts[1], Status::kOk));
  const std::vector<Completion> done = d.Done();
  ASSERT_EQ(done.size(), 1u) << "two oks are the old accept quorum";
  EXPECT_TRUE(done[0].status.ok()) << done[0].status;
  EXPECT_EQ(d.p().rounds_in_older_epochs(), 0u);

  // The next round of the key uses the new configuration, and prepares: the promise the old
  // accept collected belongs to epoch 3.
  d.Submit(2, "k");
  const std::vector<AcceptorRequest> next = d.Outbox();
  ASSERT_EQ(Targets(next), (std::vector<AcceptorId>{2, 3, 4}));
  for (const AcceptorRequest& m : next) {
    EXPECT_EQ(m.kind, Kind::kPrepare) << "a 1-RTT promise of epoch 3 used in epoch 4";
    EXPECT_EQ(m.epoch, 4u);
  }
  EXPECT_EQ(d.p().stats().rounds_one_rtt, 0u);
}

TEST(ProposerEpochTest, RetryOfARoundOfAnOlderEpochTakesTheCurrentConfiguration) {
  Driver d(Config(5, {0, 1, 2}, 2, /*epoch=*/0));
  d.Submit(1, "k");
  const std::vector<AcceptorRequest> prepares = d.Outbox();
  d.p().Reconfigure(Config(5, {2, 3, 4}, 2, /*epoch=*/1));
  // The old round's prepare goes unanswered; its timeout ends it.
  ASSERT_TRUE(d.TickNext());
  EXPECT_EQ(d.p().rounds_in_older_epochs(), 0u) << "the old round ended with its timeout";
  std::vector<AcceptorRequest> retry = d.Outbox();  // a zero backoff retries within the tick
  if (retry.empty()) {
    ASSERT_TRUE(d.TickNext());  // the backoff ends
    retry = d.Outbox();
  }
  ASSERT_FALSE(retry.empty());
  EXPECT_EQ(Targets(retry), (std::vector<AcceptorId>{2, 3, 4}));
  for (const AcceptorRequest& m : retry) EXPECT_EQ(m.epoch, 1u);
  d.Answer(retry, Status::kOk);
  const std::vector<AcceptorRequest> accepts = d.Outbox();
  EXPECT_EQ(Targets(accepts), (std::vector<AcceptorId>{2, 3, 4}));
  d.Answer(accepts, Status::kOk);
  const std::vector<Completion> done = d.Done();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok()) << done[0].status;
}

TEST(ProposerEpochTest, OneRoundTripPromiseIsNotUsedAfterAReconfigureToTheSameSets) {
  Driver d(Config(3, {0, 1, 2}, 2, /*epoch=*/0));
  d.Submit(1, "k");
  d.Answer(d.Outbox(), Status::kOk);
  d.Answer(d.Outbox(), Status::kOk);
  ASSERT_EQ(d.Done().size(), 1u);
  ASSERT_EQ(d.p().cache_entries(), 1u);
  d.p().Reconfigure(Config(3, {0, 1, 2}, 2, /*epoch=*/1));
  EXPECT_EQ(d.p().cache_entries(), 0u);
  d.Submit(2, "k");
  for (const AcceptorRequest& m : d.Outbox()) EXPECT_EQ(m.kind, Kind::kPrepare);
}

TEST(ProposerEpochTest, FencedRepliesRaiseTheHighestNoticeOnceAndAboveTheRunningEpochOnly) {
  Driver d(Config(3, {0, 1, 2}, 2, /*epoch=*/2));
  d.Submit(1, "k");
  const std::vector<AcceptorRequest> prepares = d.Outbox();
  d.Deliver(Fenced(prepares[0], 7, "membership-7"));
  d.Deliver(Fenced(prepares[1], 5, "membership-5"));
  EXPECT_EQ(d.p().stats().fenced_replies, 2u);
  std::optional<FenceNotice> notice = d.p().TakeFenceNotice();
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->epoch, 7u);
  EXPECT_EQ(notice->config, "membership-7");
  EXPECT_EQ(notice->acceptor, 0);
  EXPECT_FALSE(d.p().TakeFenceNotice().has_value()) << "taken once";

  // A notice the proposer has caught up with is not reported.
  d.Submit(2, "other");
  const std::vector<AcceptorRequest> more = d.Outbox();
  d.Deliver(Fenced(more[0], 8, "membership-8"));
  d.p().Reconfigure(Config(3, {0, 1, 2}, 2, /*epoch=*/8));
  EXPECT_FALSE(d.p().TakeFenceNotice().has_value());
}

TEST(ProposerEpochTest, FencedEverywhereRetriesThenFailsUnavailableNamingBothEpochs) {
  ProposerConfig c = Config(3, {0, 1, 2}, 2, /*epoch=*/2);
  c.unavailable_rounds_max = 3;
  Driver d(c);
  d.Submit(1, "k");
  int rounds = 0;
  for (int step = 0; step < 100 && rounds < 10; ++step) {
    std::vector<AcceptorRequest> out = d.Outbox();
    if (!out.empty()) {
      ++rounds;
      for (const AcceptorRequest& m : out) {
        EXPECT_EQ(m.kind, Kind::kPrepare);
        d.Deliver(Fenced(m, 9, ""));
      }
    }
    if (!d.TickNext()) break;
  }
  EXPECT_EQ(rounds, 3) << "fenced rounds count as unavailable rounds";
  const std::vector<Completion> done = d.Done();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kUnavailable) << done[0].status;
  EXPECT_NE(done[0].status.message().find("epoch 9"), std::string::npos) << done[0].status;
  EXPECT_NE(done[0].status.message().find("epoch 2"), std::string::npos) << done[0].status;
  EXPECT_EQ(d.p().stats().fenced_replies, 6u) << "two per round: the second puts the quorum out of reach";
}

// A fenced accept is no proof that nothing was applied: an earlier copy of the same accept may
// have been applied before the fence was raised (duplicate delivery; gryadka-sim
// membership/c3p3k2.missed-step seed 1222). The request's outcome is unknown (ABORTED).
TEST(ProposerEpochTest, FencedAcceptMayHaveBeenAppliedByAnEarlierCopySoTheRequestIsAborted) {
  ProposerConfig c = Config(3, {0, 1, 2}, 2, /*epoch=*/0);
  c.unavailable_rounds_max = 1;
  Driver d(c);
  d.Submit(1, "k");
  d.Answer(d.Outbox(), Status::kOk);
  const std::vector<AcceptorRequest> accepts = d.Outbox();
  ASSERT_EQ(accepts.size(), 3u);
  for (const AcceptorRequest& m : accepts) d.Deliver(Fenced(m, 1, ""));
  const std::vector<Completion> done = d.Done();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kAborted) << done[0].status;
  EXPECT_EQ(d.p().stats().accepts_not_applied, 0u);
}

TEST(ProposerEpochTest, FencedRoundSucceedsOnRetryOnceTheShellAdoptsTheNoticedEpoch) {
  Driver d(Config(3, {0, 1, 2}, 2, /*epoch=*/0));
  d.Submit(1, "k");
  for (const AcceptorRequest& m : d.Outbox()) d.Deliver(Fenced(m, 4, "m4"));
  std::optional<FenceNotice> notice = d.p().TakeFenceNotice();
  ASSERT_TRUE(notice.has_value());
  d.p().Reconfigure(Config(3, {0, 1, 2}, 2, notice->epoch));
  ASSERT_TRUE(d.TickNext());  // the backoff ends: the retry
  const std::vector<AcceptorRequest> retry = d.Outbox();
  ASSERT_EQ(retry.size(), 3u);
  for (const AcceptorRequest& m : retry) EXPECT_EQ(m.epoch, 4u);
  d.Answer(retry, Status::kOk);
  d.Answer(d.Outbox(), Status::kOk);
  const std::vector<Completion> done = d.Done();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok()) << done[0].status;
}

TEST(ProposerEpochTest, AcceptorHintsApplyToIdsBeyondTheFirstConfiguration) {
  Driver d(Config(3, {0, 1, 2}, 2, /*epoch=*/0));
  d.p().SetAcceptorUp(-1, false);  // ignored
  // Acceptors 5 and 6 are reported down before a configuration names them.
  d.p().SetAcceptorUp(5, false);
  d.p().SetAcceptorUp(6, false);
  d.p().Reconfigure(Config(8, {5, 6, 7}, 2, /*epoch=*/1));
  d.Submit(1, "k");
  d.Answer(d.Outbox(), Status::kOk);
  d.Answer(d.Outbox(), Status::kOk);
  ASSERT_EQ(d.Done().size(), 1u);
  ASSERT_EQ(d.p().cache_entries(), 1u);
  d.Submit(2, "k");
  for (const AcceptorRequest& m : d.Outbox()) {
    EXPECT_EQ(m.kind, Kind::kPrepare) << "1-RTT taken with only one acceptor of 5,6,7 up";
  }
  EXPECT_EQ(d.p().stats().rounds_one_rtt, 0u);
}

// Reconfigure REQUIRES an epoch no lower than the running one; CheckInvariants reports a round
// whose epoch is newer than the configuration (and so shows it is not a check that always passes).
TEST(ProposerEpochTest, CheckInvariantsReportsARoundNewerThanALoweredConfiguration) {
  Proposer p(Config(3, {0, 1, 2}, 2, /*epoch=*/5), /*proposer_id=*/1, /*seed=*/5);
  ClientRequest r;
  r.id = 1;
  r.key = "k";
  r.change.mutable_put()->set_value("v");
  r.query.mutable_record();
  r.deadline_ms = 1000;
  p.Submit(std::move(r), 0);
  ASSERT_TRUE(p.CheckInvariants().ok()) << p.CheckInvariants();
  p.Reconfigure(Config(3, {0, 1, 2}, 2, /*epoch=*/4));
  const absl::Status s = p.CheckInvariants();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_NE(s.message().find("epoch 5"), std::string::npos) << s;
}

TEST(ProposerEpochTest, ReadIsNotChosenByPromisesFromAcceptorsOutsideTheRoundsAcceptSet) {
  // Different prepare and accept sets, as in a membership change: prepare all of {0,1,2},
  // accept 2 of {1,2,3}. Acceptors 0 and 1 report the highest ballot, but only acceptor 1 is in
  // the accept set: the value is on ONE member of the accept set, not on an accept quorum, so a
  // read must write it back instead of answering from the prepare alone.
  ProposerConfig c = ProposerConfig::Majority(4);
  c.prepare_set = {0, 1, 2};
  c.prepare_quorum = 3;
  c.accept_set = {1, 2, 3};
  c.accept_quorum = 2;
  c.read_skip_accept = true;
  ASSERT_TRUE(c.Validate().ok()) << c.Validate();
  Driver d(c);
  ClientRequest read;
  read.id = 1;
  read.key = "k";
  read.change.mutable_read();
  read.query.mutable_record();
  read.deadline_ms = d.now() + 100000;
  d.p().Submit(std::move(read), d.now());
  const std::vector<AcceptorRequest> prepares = d.Outbox();
  ASSERT_EQ(Targets(prepares), (std::vector<AcceptorId>{0, 1, 2}));

  internal::StoredRegister reg;
  reg.set_value("x");
  reg.set_version(1);
  for (const AcceptorRequest& m : prepares) {
    AcceptorReply r = Reply(m, Status::kOk);
    if (m.acceptor != 2) {
      r.ballot = Ballot{5, 9};
      r.value = reg.SerializeAsString();
    }
    d.Deliver(r);
  }
  const std::vector<AcceptorRequest> accepts = d.Outbox();
  ASSERT_EQ(Targets(accepts), (std::vector<AcceptorId>{1, 2, 3}))
      << "the read answered without writing back a value on one acceptor of the accept set";
  for (const AcceptorRequest& m : accepts) EXPECT_EQ(m.kind, Kind::kAccept);
  EXPECT_TRUE(d.Done().empty());
  EXPECT_EQ(d.p().stats().reads_skipped_accept, 0u);
  d.Answer(accepts, Status::kOk);
  const std::vector<Completion> done = d.Done();
  ASSERT_EQ(done.size(), 1u);
  ASSERT_TRUE(done[0].status.ok()) << done[0].status;
  EXPECT_EQ(done[0].response.result().record().value(), "x");
}

}  // namespace
}  // namespace gryadka::core
