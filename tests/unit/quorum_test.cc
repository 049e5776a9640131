// Quorum counting of the proposer core, table-driven. For each configuration in the table
// (majority and flexible prepare/accept quorums, 3 to 5 acceptors), one phase (prepare or
// accept) of a fresh round gets every mix of answers — ok, conflict, error, silent — in two
// orders, with and without every reply duplicated, and replies forged from acceptors outside
// the phase set. Asserted, through the public Proposer API only:
//   * quorum - 1 oks never complete a phase, not even after the phase timeout;
//   * the phase completes exactly at its quorum-th distinct ok;
//   * while the quorum is still reachable, no answer fails the phase (no time passing);
//   * once every acceptor has answered and the quorum is out of reach, the phase has failed;
//   * with silent acceptors the phase has failed (never completed) by its timeout.
// These hold whether a round waits for straggler answers or gives up as soon as its quorum is
// out of reach.
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proposer/core/proposer.h"

namespace gryadka::core {
namespace {

using Kind = AcceptorRequest::Kind;
using Status = AcceptorReply::Status;

struct QuorumCase {
  std::string name;
  ProposerConfig config;
};
void PrintTo(const QuorumCase& c, std::ostream* os) { *os << c.name; }

ProposerConfig Flexible(int n, std::vector<AcceptorId> prepare_set, int prepare_quorum,
                        std::vector<AcceptorId> accept_set, int accept_quorum) {
  ProposerConfig c = ProposerConfig::Majority(n);
  c.prepare_set = std::move(prepare_set);
  c.prepare_quorum = prepare_quorum;
  c.accept_set = std::move(accept_set);
  c.accept_quorum = accept_quorum;
  return c;
}

std::vector<QuorumCase> Table() {
  return {
      {"majority_of_3", ProposerConfig::Majority(3)},
      {"majority_of_5", ProposerConfig::Majority(5)},
      {"prepare_4_accept_2_of_5", Flexible(5, {0, 1, 2, 3, 4}, 4, {0, 1, 2, 3, 4}, 2)},
      {"prepare_2_accept_4_of_5", Flexible(5, {0, 1, 2, 3, 4}, 2, {0, 1, 2, 3, 4}, 4)},
      // A membership change in progress: acceptor 0 leaves the accept set, 4 is not yet in.
      {"prepare_3_of_0123_accept_2_of_123", Flexible(5, {0, 1, 2, 3}, 3, {1, 2, 3}, 2)},
  };
}

// The mix of answers one phase gets; ok + conflict + error + silent = the phase set's size.
struct Answers {
  int ok = 0;
  int conflict = 0;
  int error = 0;
  int silent = 0;
};

enum class Outcome { kPending, kCompleted, kFailed };

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kCompleted:
      return "completed";
    case Outcome::kFailed:
      return "failed";
  }
  return "?";
}

constexpr int64_t kRoundTimeoutMs = 1000;
constexpr int64_t kDeadlineMs = 1000000;

// One fresh proposer with one request, driven to the phase under test.
class PhaseDriver {
 public:
  PhaseDriver(ProposerConfig config, Kind phase) : phase_(phase), proposer_(Prepare(config), 1, 7) {
    ClientRequest r;
    r.id = 1;
    r.key = "k";
    r.change.mutable_put()->set_value("v");
    r.query.mutable_record();
    r.deadline_ms = kDeadlineMs;
    proposer_.Submit(std::move(r), now_);
    msgs_ = proposer_.TakeOutbox();
    if (phase == Kind::kAccept) {
      // Every prepare member promises (nothing accepted yet): the round moves to accept.
      for (const AcceptorRequest& m : std::vector<AcceptorRequest>(msgs_)) {
        proposer_.OnReply(Reply(m, Status::kOk), now_);
      }
      msgs_ = proposer_.TakeOutbox();
    }
  }

  // The phase's messages, one per member of its set (checked by the caller).
  const std::vector<AcceptorRequest>& messages() const { return msgs_; }

  // Delivers one answer; returns what the proposer did (no time passes).
  Outcome Answer(const AcceptorRequest& m, Status status, bool duplicate) {
    proposer_.OnReply(Reply(m, status), now_);
    if (duplicate) proposer_.OnReply(Reply(m, status), now_);
    return Observe();
  }

  // A reply claiming acceptor `a` (not asked in this phase) took the phase's message.
  Outcome ForgeOk(AcceptorId a) {
    AcceptorRequest forged = msgs_.front();
    forged.acceptor = a;
    proposer_.OnReply(Reply(forged, Status::kOk), now_);
    return Observe();
  }

  // Lets `ms` pass (the phase timeout fires when due).
  Outcome Wait(int64_t ms) {
    now_ += ms;
    return Observe();
  }

 private:
  static ProposerConfig Prepare(ProposerConfig c) {
    c.round_timeout_ms = kRoundTimeoutMs;
    c.backoff_base_ms = 0;  // a failed round retries at once: visible as a new prepare
    c.backoff_max_ms = 0;
    c.unavailable_rounds_max = 1;  // a failure without conflicts ends the request
    return c;
  }

  AcceptorReply Reply(const AcceptorRequest& m, Status status) const {
    AcceptorReply r;
    r.acceptor = m.acceptor;
    r.msg_id = m.msg_id;
    r.status = status;
    if (status == Status::kConflict) r.ballot = Ballot{m.ballot.counter + 100, 999};  // a rival
    if (status == Status::kError) r.error = "connection reset";
    return r;  // kOk to a prepare: nothing accepted (zero ballot, empty register)
  }

  Outcome Observe() {
    proposer_.Tick(now_);
    Outcome o = Outcome::kPending;
    for (const AcceptorRequest& m : proposer_.TakeOutbox()) {
      if (phase_ == Kind::kPrepare && m.kind == Kind::kAccept) o = Outcome::kCompleted;
      if (m.kind == Kind::kPrepare) o = Outcome::kFailed;  // the round is retried
    }
    for (const Completion& c : proposer_.TakeCompletions()) {
      o = c.status.ok() && phase_ == Kind::kAccept ? Outcome::kCompleted : Outcome::kFailed;
    }
    return o;
  }

  Kind phase_;
  Proposer proposer_;
  int64_t now_ = 0;
  std::vector<AcceptorRequest> msgs_;
};

// Every way to split `n` answers into ok/conflict/error/silent.
std::vector<Answers> AllMixes(int n) {
  std::vector<Answers> v;
  for (int ok = 0; ok <= n; ++ok) {
    for (int conflict = 0; ok + conflict <= n; ++conflict) {
      for (int error = 0; ok + conflict + error <= n; ++error) {
        v.push_back(Answers{ok, conflict, error, n - ok - conflict - error});
      }
    }
  }
  return v;
}

// The answer of each member in delivery order; silent members last (they never answer).
std::vector<Status> Order(const Answers& a, bool oks_first) {
  std::vector<Status> failures(a.conflict, Status::kConflict);
  failures.insert(failures.end(), a.error, Status::kError);
  std::vector<Status> oks(a.ok, Status::kOk);
  std::vector<Status> v = oks_first ? oks : failures;
  const std::vector<Status>& rest = oks_first ? failures : oks;
  v.insert(v.end(), rest.begin(), rest.end());
  return v;
}

void CheckPhase(const ProposerConfig& config, Kind phase, const Answers& a, bool oks_first,
                bool duplicate) {
  const bool prepare = phase == Kind::kPrepare;
  const std::vector<AcceptorId>& set = prepare ? config.prepare_set : config.accept_set;
  const int quorum = prepare ? config.prepare_quorum : config.accept_quorum;
  SCOPED_TRACE(::testing::Message()
               << (prepare ? "prepare" : "accept") << " quorum " << quorum << " of " << set.size()
               << ": ok=" << a.ok << " conflict=" << a.conflict << " error=" << a.error
               << " silent=" << a.silent << (oks_first ? ", oks first" : ", oks last")
               << (duplicate ? ", every reply twice" : ""));
  PhaseDriver d(config, phase);
  const std::vector<AcceptorRequest> msgs = d.messages();
  ASSERT_EQ(msgs.size(), set.size());
  for (const AcceptorRequest& m : msgs) ASSERT_EQ(m.kind, phase);

  // Acceptors outside the phase set were not asked: their "ok" must not count.
  for (AcceptorId out = 0; out < config.num_acceptors; ++out) {
    if (std::find(set.begin(), set.end(), out) != set.end()) continue;
    ASSERT_EQ(d.ForgeOk(out), Outcome::kPending) << "a reply from outside the set counted";
  }

  const std::vector<Status> answers = Order(a, oks_first);
  int oks = 0, failures = 0;
  for (size_t i = 0; i < answers.size(); ++i) {
    const Outcome o = d.Answer(msgs[i], answers[i], duplicate);
    if (answers[i] == Status::kOk) {
      ++oks;
    } else {
      ++failures;
    }
    const bool reachable = static_cast<int>(set.size()) - failures >= quorum;
    if (oks >= quorum) {
      ASSERT_EQ(o, Outcome::kCompleted) << "the " << oks << "th ok should complete the phase";
      return;  // later answers belong to a finished phase
    }
    ASSERT_NE(o, Outcome::kCompleted) << oks << " oks completed a phase whose quorum is " << quorum;
    if (reachable) {
      ASSERT_EQ(o, Outcome::kPending) << "failed while the quorum was still reachable";
    }
    if (o == Outcome::kFailed) return;  // out of reach: giving up early is allowed
  }
  ASSERT_LT(a.ok, quorum);
  if (a.silent == 0) {
    EXPECT_EQ(d.Wait(0), Outcome::kFailed) << "everyone answered, the quorum is out of reach";
    return;
  }
  // Silent acceptors: the phase may wait for them, but never completes, and fails by its timeout.
  const Outcome after_timeout = d.Wait(kRoundTimeoutMs);
  EXPECT_EQ(after_timeout, Outcome::kFailed)
      << "with " << a.ok << " oks of " << quorum << " the phase should fail by its timeout, was "
      << OutcomeName(after_timeout);
}

class QuorumTest : public ::testing::TestWithParam<QuorumCase> {};

TEST_P(QuorumTest, PreparePhaseCompletesExactlyAtItsQuorumAndFailsOnlyWhenOutOfReach) {
  const ProposerConfig& config = GetParam().config;
  ASSERT_TRUE(config.Validate().ok()) << config.Validate();
  for (const Answers& a : AllMixes(static_cast<int>(config.prepare_set.size()))) {
    for (bool oks_first : {true, false}) {
      for (bool duplicate : {false, true}) CheckPhase(config, Kind::kPrepare, a, oks_first, duplicate);
    }
  }
}

TEST_P(QuorumTest, AcceptPhaseCompletesExactlyAtItsQuorumAndFailsOnlyWhenOutOfReach) {
  const ProposerConfig& config = GetParam().config;
  ASSERT_TRUE(config.Validate().ok()) << config.Validate();
  for (const Answers& a : AllMixes(static_cast<int>(config.accept_set.size()))) {
    for (bool oks_first : {true, false}) {
      for (bool duplicate : {false, true}) CheckPhase(config, Kind::kAccept, a, oks_first, duplicate);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, QuorumTest, ::testing::ValuesIn(Table()),
                         [](const ::testing::TestParamInfo<QuorumCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace gryadka::core
