// Shared fixture of the RedisAcceptor tests: a private redis-server, a TestEventLoop, a
// RedisAcceptor on it, and a sink that records every reply (and any duplicate) by msg_id.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "acceptor_adapter/redis_acceptor.h"
#include "proposer/core/messages.h"
#include "tests/support/redis_process.h"
#include "client/shared/sync_redis.h"
#include "tests/support/test_event_loop.h"

namespace gryadka::acceptor {

inline constexpr int64_t kReplyWaitMs = 10000;   // bound on waiting for any expected reply
inline constexpr int64_t kHealthWaitMs = 10000;  // bound on waiting for (un)health

// Records replies by msg_id with their arrival time; counts replies to an id seen before.
class ReplyCollector {
 public:
  using Clock = std::chrono::steady_clock;
  ReplySink Sink();
  bool Has(uint64_t msg_id) const { return replies_.count(msg_id) > 0; }
  // REQUIRES: Has(msg_id).
  const core::AcceptorReply& Get(uint64_t msg_id) const { return replies_.at(msg_id).reply; }
  Clock::time_point ArrivedAt(uint64_t msg_id) const { return replies_.at(msg_id).at; }
  size_t size() const { return replies_.size(); }
  int duplicates() const { return duplicates_; }

 private:
  struct Arrival {
    core::AcceptorReply reply;
    Clock::time_point at;
  };
  std::map<uint64_t, Arrival> replies_;
  int duplicates_ = 0;
};

core::AcceptorRequest PrepareRequest(uint64_t msg_id, std::string key, core::Ballot ballot);
core::AcceptorRequest AcceptRequest(uint64_t msg_id, std::string key, core::Ballot ballot,
                                    std::string value, core::Ballot next = {});
// "kConflict ballot=5.1 value='' error=''" for failure messages.
std::string Show(const core::AcceptorReply& reply);

class RedisAcceptorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // (Re)creates the acceptor under test against redis_ with `options`.
  void MakeAcceptor(RedisAcceptorOptions options = {});
  // Sends one request and waits (bounded) for its reply; a missing reply fails the test and
  // returns a kError reply saying so.
  core::AcceptorReply Call(const core::AcceptorRequest& request);
  // Runs the loop until every id in [first, last] has a reply; false on timeout.
  bool WaitReplies(uint64_t first, uint64_t last, int64_t timeout_ms = kReplyWaitMs);
  bool WaitHealthy(bool healthy, int64_t timeout_ms = kHealthWaitMs);
  // Runs a command on redis_ through a blocking connection; fails the test on transport errors.
  process::RedisValue Redis(const std::vector<std::string>& argv);
  uint64_t NextId() { return next_msg_id_++; }

  std::unique_ptr<test_support::RedisProcess> redis_;
  test_support::TestEventLoop loop_;
  ReplyCollector replies_;
  std::unique_ptr<RedisAcceptor> acceptor_;
  uint64_t next_msg_id_ = 1;
};

}  // namespace gryadka::acceptor
