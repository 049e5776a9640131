// RedisAcceptor under server faults: script cache flushed, restart (AOF replay), crash, SIGSTOP,
// late replies, and the in-flight bound. Every call must get exactly one reply, in bounded time.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/acceptor/redis_acceptor_harness.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::Ballot;
using Status = core::AcceptorReply::Status;

int64_t MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t)
      .count();
}

// The count of errorstat_<name> in INFO errorstats, or 0.
int64_t ErrorStat(const std::string& info, const std::string& name) {
  const std::string field = absl::StrCat("errorstat_", name, ":count=");
  const size_t at = info.find(field);
  if (at == std::string::npos) return 0;
  const size_t begin = at + field.size();
  int64_t count = 0;
  const size_t end = info.find_first_not_of("0123456789", begin);
  return absl::SimpleAtoi(info.substr(begin, end - begin), &count) ? count : 0;
}

TEST_F(RedisAcceptorTest, ScriptFlushIsInvisibleToCallers) {
  ASSERT_TRUE(WaitHealthy(true));
  ASSERT_EQ(Call(PrepareRequest(NextId(), "k", Ballot{1, 1})).status, Status::kOk);
  for (int flush = 1; flush <= 2; ++flush) {
    SCOPED_TRACE(absl::StrCat("flush ", flush));
    ASSERT_EQ(Redis({"SCRIPT", "FLUSH"}).str, "OK");
    const uint64_t first = NextId();
    acceptor_->Send(PrepareRequest(first, "k", Ballot{10 * uint64_t(flush), 1}));
    acceptor_->Send(AcceptRequest(NextId(), "k", Ballot{10 * uint64_t(flush), 1}, "v"));
    const uint64_t last = NextId();
    acceptor_->Send(PrepareRequest(last, "other", Ballot{uint64_t(flush), 1}));
    ASSERT_TRUE(WaitReplies(first, last));
    for (uint64_t id = first; id <= last; ++id) {
      EXPECT_EQ(replies_.Get(id).status, Status::kOk) << Show(replies_.Get(id));
    }
    // The script really was gone: Redis answered NOSCRIPT at least once per flush.
    EXPECT_GE(ErrorStat(Redis({"INFO", "errorstats"}).str, "NOSCRIPT"), flush);
  }
  EXPECT_EQ(replies_.duplicates(), 0);
}

TEST_F(RedisAcceptorTest, PromiseAndAcceptedValueSurviveACrashAndRestart) {
  const std::string value("v\0alue", 6);
  ASSERT_EQ(Call(PrepareRequest(NextId(), "k", Ballot{5, 1})).status, Status::kOk);
  ASSERT_EQ(Call(AcceptRequest(NextId(), "k", Ballot{5, 1}, value, Ballot{6, 1})).status,
            Status::kOk);
  redis_->Kill();
  ASSERT_TRUE(WaitHealthy(false));  // noticed the crash (the loop did not run while it happened)
  const absl::Status restarted = redis_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  ASSERT_TRUE(WaitHealthy(true));

  const AcceptorReply lower = Call(PrepareRequest(NextId(), "k", Ballot{6, 0}));
  EXPECT_EQ(lower.status, Status::kConflict) << Show(lower);
  EXPECT_EQ(lower.ballot, (Ballot{6, 1}));  // the `next` promise left by the accept
  const AcceptorReply higher = Call(PrepareRequest(NextId(), "k", Ballot{7, 0}));
  EXPECT_EQ(higher.status, Status::kOk) << Show(higher);
  EXPECT_EQ(higher.ballot, (Ballot{5, 1}));
  EXPECT_EQ(higher.value, value);
}

TEST_F(RedisAcceptorTest, KilledServerFailsCallsPromptlyAndRecoversAfterRestart) {
  RedisAcceptorOptions options;
  options.call_timeout_ms = 3000;  // "promptly" below means far below this
  options.health_ping_interval_ms = 100;
  options.reconnect_backoff_max_ms = 200;
  MakeAcceptor(options);
  ASSERT_TRUE(WaitHealthy(true));
  ASSERT_EQ(Call(PrepareRequest(NextId(), "k", Ballot{1, 1})).status, Status::kOk);

  redis_->Kill();
  auto start = std::chrono::steady_clock::now();
  AcceptorReply lost = Call(PrepareRequest(NextId(), "k", Ballot{2, 1}));
  EXPECT_EQ(lost.status, Status::kError) << Show(lost);
  EXPECT_LT(MillisSince(start), 1000) << Show(lost);
  ASSERT_TRUE(WaitHealthy(false));

  const uint64_t id = NextId();
  start = std::chrono::steady_clock::now();
  acceptor_->Send(PrepareRequest(id, "k", Ballot{3, 1}));
  EXPECT_FALSE(replies_.Has(id)) << "the reply must not come from inside Send";
  ASSERT_TRUE(WaitReplies(id, id));
  EXPECT_EQ(replies_.Get(id).status, Status::kError);
  EXPECT_TRUE(absl::StrContains(replies_.Get(id).error, redis_->Describe()))
      << replies_.Get(id).error;
  EXPECT_FALSE(replies_.Get(id).maybe_applied) << "sent while disconnected: it never left";
  EXPECT_LT(MillisSince(start), 1000);

  const absl::Status restarted = redis_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  ASSERT_TRUE(WaitHealthy(true));
  const AcceptorReply after = Call(PrepareRequest(NextId(), "k", Ballot{4, 1}));
  EXPECT_EQ(after.status, Status::kOk) << Show(after);
  EXPECT_EQ(replies_.duplicates(), 0);
}

TEST_F(RedisAcceptorTest, PausedServerTimesCallsOutAndRecoversAfterResume) {
  RedisAcceptorOptions options;
  options.call_timeout_ms = 300;
  options.health_ping_interval_ms = 100;
  options.reconnect_backoff_max_ms = 100;
  MakeAcceptor(options);
  ASSERT_TRUE(WaitHealthy(true));
  ASSERT_EQ(Call(PrepareRequest(NextId(), "k", Ballot{1, 1})).status, Status::kOk);

  redis_->Pause();
  const auto start = std::chrono::steady_clock::now();
  const AcceptorReply stuck = Call(PrepareRequest(NextId(), "k", Ballot{2, 1}));
  const int64_t waited = MillisSince(start);
  EXPECT_EQ(stuck.status, Status::kError) << Show(stuck);
  // Either its own timeout or the PING deadline (which drops the connection) answers it.
  EXPECT_LT(waited, 300 + 1000) << Show(stuck);
  ASSERT_TRUE(WaitHealthy(false, 2000));
  const AcceptorReply while_paused = Call(PrepareRequest(NextId(), "k", Ballot{3, 1}));
  EXPECT_EQ(while_paused.status, Status::kError) << Show(while_paused);

  redis_->Resume();
  ASSERT_TRUE(WaitHealthy(true));
  const AcceptorReply after = Call(PrepareRequest(NextId(), "k", Ballot{4, 1}));
  EXPECT_EQ(after.status, Status::kOk) << Show(after);
  EXPECT_EQ(replies_.duplicates(), 0);
}

TEST_F(RedisAcceptorTest, CallTimesOutAfterCallTimeoutAndItsLateReplyIsIgnored) {
  RedisAcceptorOptions options;
  options.call_timeout_ms = 300;
  options.health_ping_interval_ms = 600000;  // only the PING at connect: the connection stays
  MakeAcceptor(options);
  ASSERT_TRUE(WaitHealthy(true));

  redis_->Pause();
  const auto start = std::chrono::steady_clock::now();
  const AcceptorReply late = Call(AcceptRequest(NextId(), "k", Ballot{1, 1}, "late"));
  const int64_t waited = MillisSince(start);
  EXPECT_EQ(late.status, Status::kError) << Show(late);
  EXPECT_TRUE(absl::StrContains(late.error, "timeout after 300 ms waiting for " +
                                                redis_->Describe()))
      << late.error;
  EXPECT_GE(waited, 290);
  EXPECT_LT(waited, 2000);
  redis_->Resume();

  // Replies arrive in order: once this one is in, the late one was read (and dropped).
  const AcceptorReply next = Call(PrepareRequest(NextId(), "k", Ballot{2, 1}));
  EXPECT_EQ(next.status, Status::kOk) << Show(next);
  EXPECT_EQ(next.ballot, (Ballot{1, 1})) << "the timed-out accept did happen (outcome unknown)";
  EXPECT_EQ(next.value, "late");
  EXPECT_EQ(replies_.duplicates(), 0);
  EXPECT_TRUE(acceptor_->Healthy());
}

TEST_F(RedisAcceptorTest, SendsBeyondInflightMaxAreRefusedWithoutBlocking) {
  RedisAcceptorOptions options;
  options.inflight_max = 100;
  MakeAcceptor(options);
  ASSERT_TRUE(WaitHealthy(true));
  const uint64_t first = next_msg_id_;
  for (int i = 0; i < 150; ++i) acceptor_->Send(PrepareRequest(NextId(), absl::StrCat("k", i),
                                                               Ballot{1, 1}));
  const uint64_t last = next_msg_id_ - 1;
  EXPECT_EQ(replies_.size(), 0u) << "replies must not come from inside Send";
  EXPECT_EQ(acceptor_->inflight(), 100u);
  ASSERT_TRUE(WaitReplies(first, last));
  int ok = 0, refused = 0;
  for (uint64_t id = first; id <= last; ++id) {
    const AcceptorReply& r = replies_.Get(id);
    if (r.status == Status::kOk) ++ok;
    if (r.status == Status::kError &&
        absl::StrContains(r.error, "too many requests in flight to " + redis_->Describe())) {
      ++refused;
    }
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(refused, 50);
  EXPECT_EQ(acceptor_->inflight(), 0u);
}

TEST_F(RedisAcceptorTest, DestroyingTheAcceptorWithCallsOutstandingIsSilentAndSafe) {
  ASSERT_TRUE(WaitHealthy(true));
  for (int i = 0; i < 100; ++i) acceptor_->Send(PrepareRequest(NextId(), "k", Ballot{1, 1}));
  acceptor_.reset();  // calls queued in hiredis: dropped without sink calls
  loop_.RunFor(100);
  EXPECT_EQ(replies_.size(), 0u);

  redis_->Kill();
  MakeAcceptor();
  loop_.RunFor(50);  // connection refused: now waiting to reconnect
  acceptor_->Send(PrepareRequest(NextId(), "k", Ballot{2, 1}));
  EXPECT_EQ(acceptor_->inflight(), 0u) << "disconnected: the error reply is deferred";
  acceptor_.reset();
  loop_.RunFor(100);
  EXPECT_EQ(replies_.size(), 0u);
}

}  // namespace
}  // namespace gryadka::acceptor
