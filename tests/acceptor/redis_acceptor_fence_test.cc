// Fencing by epoch through the production path: a RedisAcceptor's prepare, accept and batched
// calls below the minimum epoch (raised with RedisAdminConnection::Fence) are refused with
// kFenced carrying the stored epoch and config, and nothing is read into or written to Redis;
// calls at the fence's epoch and above proceed.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_admin.h"
#include "tests/acceptor/redis_acceptor_harness.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;
using core::Ballot;

constexpr int64_t kAdminTimeoutMs = 10000;
const std::string kConfig("membership\0of epoch 5", 21);  // binary-safe

class RedisAcceptorFenceTest : public RedisAcceptorTest {
 protected:
  void Fence(uint64_t epoch, const std::string& config) {
    absl::StatusOr<std::unique_ptr<RedisAdminConnection>> admin = RedisAdminConnection::Connect(
        "127.0.0.1", redis_->port(), kAdminTimeoutMs, RedisAcceptorOptions{}.key_prefix);
    ASSERT_TRUE(admin.ok()) << admin.status();
    absl::StatusOr<FenceState> state = (*admin)->Fence(epoch, config);
    ASSERT_TRUE(state.ok()) << state.status();
  }
  // Every key and field in Redis, for "nothing changed" checks.
  std::string Dump() {
    std::string out;
    for (const process::RedisValue& key : Redis({"KEYS", "*"}).elements) {
      absl::StrAppend(&out, key.str, " ", Redis({"TYPE", key.str}).str, " ",
                      Redis({"HGETALL", key.str}).DebugString(), "\n");
    }
    return out;
  }
  static AcceptorRequest WithEpoch(AcceptorRequest r, uint64_t epoch) {
    r.epoch = epoch;
    return r;
  }
  void ExpectFenced(const AcceptorReply& reply) {
    EXPECT_EQ(reply.status, AcceptorReply::Status::kFenced) << Show(reply);
    EXPECT_EQ(reply.fence_epoch, 5u) << Show(reply);
    EXPECT_EQ(reply.fence_config, kConfig) << Show(reply);
  }
};

TEST_F(RedisAcceptorFenceTest, PrepareAndAcceptBelowTheFenceAreRefusedAndWriteNothing) {
  ASSERT_EQ(Call(AcceptRequest(NextId(), "k", Ballot{1, 1}, "v1")).status,
            AcceptorReply::Status::kOk);
  ASSERT_NO_FATAL_FAILURE(Fence(5, kConfig));
  const std::string before = Dump();
  ExpectFenced(Call(WithEpoch(PrepareRequest(NextId(), "k", Ballot{9, 1}), 4)));
  ExpectFenced(Call(WithEpoch(AcceptRequest(NextId(), "k", Ballot{9, 1}, "v9"), 4)));
  ExpectFenced(Call(WithEpoch(AcceptRequest(NextId(), "new", Ballot{9, 1}, "v9"), 0)));
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(Redis({"EXISTS", "gryadka:new"}).integer, 0);
}

TEST_F(RedisAcceptorFenceTest, BatchedCallsBelowTheFenceAreRefusedAndTheOthersProceed) {
  ASSERT_TRUE(WaitHealthy(true));
  ASSERT_EQ(Call(AcceptRequest(NextId(), "k", Ballot{1, 1}, "v1")).status,
            AcceptorReply::Status::kOk);
  ASSERT_NO_FATAL_FAILURE(Fence(5, kConfig));
  const std::string before = Dump();
  // One loop turn: one run of the batch script.
  const std::vector<AcceptorRequest> fenced = {
      WithEpoch(PrepareRequest(NextId(), "k", Ballot{9, 1}), 4),
      WithEpoch(AcceptRequest(NextId(), "k", Ballot{9, 1}, "v9"), 3),
      WithEpoch(PrepareRequest(NextId(), "other", Ballot{9, 1}), 0)};
  for (const AcceptorRequest& r : fenced) acceptor_->Send(r);
  ASSERT_TRUE(WaitReplies(fenced.front().msg_id, fenced.back().msg_id));
  for (const AcceptorRequest& r : fenced) ExpectFenced(replies_.Get(r.msg_id));
  EXPECT_EQ(Dump(), before);
  // Mixed: the calls above and at the fence's epoch proceed in the same run, the one below it
  // (after a passing call) is refused.
  const std::vector<AcceptorRequest> mixed = {
      WithEpoch(PrepareRequest(NextId(), "k", Ballot{9, 1}), 6),
      WithEpoch(AcceptRequest(NextId(), "k", Ballot{9, 1}, "v9"), 4),
      WithEpoch(AcceptRequest(NextId(), "k", Ballot{9, 1}, "v9"), 5)};
  for (const AcceptorRequest& r : mixed) acceptor_->Send(r);
  ASSERT_TRUE(WaitReplies(mixed.front().msg_id, mixed.back().msg_id));
  EXPECT_EQ(replies_.Get(mixed[0].msg_id).status, AcceptorReply::Status::kOk);
  ExpectFenced(replies_.Get(mixed[1].msg_id));
  EXPECT_EQ(replies_.Get(mixed[2].msg_id).status, AcceptorReply::Status::kOk);
  EXPECT_EQ(Redis({"HGET", "gryadka:k", "v"}).str, "v9");
  const std::string stats = Redis({"INFO", "commandstats"}).str;
  EXPECT_NE(stats.find("cmdstat_evalsha:calls=3,"), std::string::npos) << stats;
}

TEST_F(RedisAcceptorFenceTest, AnOldEpochIsRefusedAndTheEqualAndHigherEpochsAreAccepted) {
  ASSERT_NO_FATAL_FAILURE(Fence(5, kConfig));
  ExpectFenced(Call(WithEpoch(PrepareRequest(NextId(), "k", Ballot{1, 1}), 4)));
  EXPECT_EQ(Call(WithEpoch(PrepareRequest(NextId(), "k", Ballot{1, 1}), 5)).status,
            AcceptorReply::Status::kOk);
  EXPECT_EQ(Call(WithEpoch(AcceptRequest(NextId(), "k", Ballot{1, 1}, "v"), 6)).status,
            AcceptorReply::Status::kOk);
  // A lower fence changes nothing: epoch 4 stays refused with the first config.
  ASSERT_NO_FATAL_FAILURE(Fence(3, "lower"));
  ExpectFenced(Call(WithEpoch(PrepareRequest(NextId(), "k", Ballot{2, 1}), 4)));
}

TEST_F(RedisAcceptorFenceTest, AMetaKeyHoldingAStringFailsEveryCallAsAnErrorNamingIt) {
  Redis({"SET", "gryadka:", "someone else's"});
  const AcceptorReply reply = Call(PrepareRequest(NextId(), "k", Ballot{1, 1}));
  EXPECT_EQ(reply.status, AcceptorReply::Status::kError) << Show(reply);
  EXPECT_NE(reply.error.find("meta record"), std::string::npos) << Show(reply);
  EXPECT_EQ(Redis({"EXISTS", "gryadka:k"}).integer, 0);
}

}  // namespace
}  // namespace gryadka::acceptor
