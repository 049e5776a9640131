#include "tests/acceptor/redis_acceptor_harness.h"

#include <iostream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace gryadka::acceptor {

using core::AcceptorReply;
using core::AcceptorRequest;
using core::Ballot;

ReplySink ReplyCollector::Sink() {
  return [this](const AcceptorReply& reply) {
    auto [it, inserted] = replies_.try_emplace(reply.msg_id, Arrival{reply, Clock::now()});
    if (!inserted) ++duplicates_;
  };
}

AcceptorRequest PrepareRequest(uint64_t msg_id, std::string key, Ballot ballot) {
  AcceptorRequest r;
  r.kind = AcceptorRequest::Kind::kPrepare;
  r.msg_id = msg_id;
  r.key = std::move(key);
  r.ballot = ballot;
  return r;
}

AcceptorRequest AcceptRequest(uint64_t msg_id, std::string key, Ballot ballot, std::string value,
                              Ballot next) {
  AcceptorRequest r;
  r.kind = AcceptorRequest::Kind::kAccept;
  r.msg_id = msg_id;
  r.key = std::move(key);
  r.ballot = ballot;
  r.value = std::move(value);
  r.next = next;
  return r;
}

std::string Show(const AcceptorReply& reply) {
  static constexpr const char* kNames[] = {"kOk", "kConflict", "kError", "kInvalidState",
                                           "kFenced"};
  return absl::StrCat(kNames[static_cast<int>(reply.status)], " ballot=",
                      reply.ballot.DebugString(), " value='", absl::CHexEscape(reply.value),
                      "' error='", reply.error, "' fence_epoch=", reply.fence_epoch,
                      " fence_config='", absl::CHexEscape(reply.fence_config), "'");
}

void RedisAcceptorTest::SetUp() {
  absl::StatusOr<std::unique_ptr<test_support::RedisProcess>> redis =
      test_support::RedisProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  MakeAcceptor();
}

void RedisAcceptorTest::TearDown() {
  acceptor_.reset();
  if (HasFailure() && redis_ != nullptr) {
    std::cerr << redis_->Describe() << " log tail:\n" << redis_->LogTail(2048) << "\n";
  }
}

void RedisAcceptorTest::MakeAcceptor(RedisAcceptorOptions options) {
  acceptor_.reset();
  acceptor_ = std::make_unique<RedisAcceptor>(loop_.base(), "127.0.0.1", redis_->port(),
                                              std::move(options), /*id=*/7, replies_.Sink());
}

AcceptorReply RedisAcceptorTest::Call(const AcceptorRequest& request) {
  acceptor_->Send(request);
  if (!WaitReplies(request.msg_id, request.msg_id)) {
    ADD_FAILURE() << "no reply to msg " << request.msg_id << " within " << kReplyWaitMs << " ms";
    AcceptorReply missing;
    missing.error = "test: no reply";
    return missing;
  }
  return replies_.Get(request.msg_id);
}

bool RedisAcceptorTest::WaitReplies(uint64_t first, uint64_t last, int64_t timeout_ms) {
  uint64_t next = first;  // every id below `next` has its reply
  return loop_.RunUntil(
      [&] {
        while (next <= last && replies_.Has(next)) ++next;
        return next > last;
      },
      timeout_ms);
}

bool RedisAcceptorTest::WaitHealthy(bool healthy, int64_t timeout_ms) {
  return loop_.RunUntil([&] { return acceptor_->Healthy() == healthy; }, timeout_ms);
}

process::RedisValue RedisAcceptorTest::Redis(const std::vector<std::string>& argv) {
  absl::StatusOr<process::RedisValue> v = process::RunRedisCommand(redis_->port(), argv);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : process::RedisValue{};
}

}  // namespace gryadka::acceptor
