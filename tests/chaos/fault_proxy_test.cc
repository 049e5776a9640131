// The fault-injecting proxy against a real redis-server: each fault of its contract, and healing.
#include "tests/chaos/fault_proxy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/redis_process.h"
#include "client/shared/sync_redis.h"

namespace gryadka::chaos {
namespace {

using test_support::RedisProcess;
using process::SyncRedis;

constexpr int64_t kShortTimeoutMs = 300;
constexpr int64_t kApplyTimeoutMs = 10000;

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = RedisProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto proxy = FaultProxy::Start(redis_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
  }
  absl::StatusOr<SyncRedis> Connect(int64_t timeout_ms = kShortTimeoutMs) {
    return SyncRedis::Connect("127.0.0.1", proxy_->port(), timeout_ms);
  }
  // Sets the faults and waits until every connection serves under them.
  void SetAndWait(const LinkFaults& faults) {
    proxy_->Set(faults);
    ASSERT_TRUE(proxy_->WaitApplied(kApplyTimeoutMs));
  }
  static void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(kProxyPollIntervalMs)); }
  std::unique_ptr<RedisProcess> redis_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, HealthyProxyForwardsCommandsBothWays) {
  auto conn = Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(conn->Command({"SET", "k", std::string(100000, 'x')}).ok());
  auto got = conn->Command({"STRLEN", "k"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->integer, 100000);
}

TEST_F(FaultProxyTest, CutResetsOpenConnectionsAndRefusesNewOnesUntilHealed) {
  auto conn = Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  SetAndWait({.cut = true});
  EXPECT_FALSE(conn->Command({"PING"}).ok());
  auto during = Connect();
  EXPECT_TRUE(!during.ok() || !during->Command({"PING"}).ok());
  proxy_->Set({});
  auto after = Connect();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->Command({"PING"}).ok());
}

TEST_F(FaultProxyTest, StallHoldsTheConnectionOpenAndDeliversLateAfterHealing) {
  auto conn = Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  SetAndWait({.stall = true});
  EXPECT_FALSE(conn->Command({"SET", "stalled", "1"}).ok());  // timed out: the answer never came
  // The request itself was held, not lost: it reaches Redis once the stall ends.
  proxy_->Set({});
  auto direct = SyncRedis::Connect("127.0.0.1", redis_->port());
  ASSERT_TRUE(direct.ok());
  bool arrived = false;
  for (int i = 0; i < 100 && !arrived; ++i) {
    arrived = direct->Command({"GET", "stalled"})->str == "1";
    if (!arrived) Pause();
  }
  EXPECT_TRUE(arrived);
  EXPECT_EQ(proxy_->live_connections(), 1);
}

TEST_F(FaultProxyTest, OneWayPartitionAppliesRequestsButLosesTheAnswers) {
  auto conn = Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  SetAndWait({.block_to_client = true});
  EXPECT_FALSE(conn->Command({"SET", "oneway", "applied"}).ok());
  auto direct = SyncRedis::Connect("127.0.0.1", redis_->port());
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->Command({"GET", "oneway"})->str, "applied");
}

TEST_F(FaultProxyTest, OneWayPartitionTowardUpstreamKeepsRequestsFromRedis) {
  auto conn = Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  SetAndWait({.block_to_upstream = true});
  EXPECT_FALSE(conn->Command({"SET", "blocked", "1"}).ok());
  auto direct = SyncRedis::Connect("127.0.0.1", redis_->port());
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->Command({"EXISTS", "blocked"})->integer, 0);
}

TEST_F(FaultProxyTest, AddedLatencyDelaysEveryAnswerByAtLeastTheLatency) {
  auto conn = Connect(5000);
  ASSERT_TRUE(conn.ok()) << conn.status();
  SetAndWait({.latency_ms = 60});
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(conn->Command({"PING"}).ok());
  const auto took = std::chrono::steady_clock::now() - start;
  // Both directions are delayed: at least two latencies (a lower bound, never an upper one).
  EXPECT_GE(took, std::chrono::milliseconds(120));
}

TEST_F(FaultProxyTest, UpstreamDownLooksLikeARefusedConnection) {
  redis_->Kill();
  auto conn = Connect();
  EXPECT_TRUE(!conn.ok() || !conn->Command({"PING"}).ok());
  ASSERT_TRUE(redis_->Restart().ok());
  auto again = Connect();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->Command({"PING"}).ok());
}

TEST(FaultProxyDescribeTest, NamesEveryFaultThatIsSet) {
  EXPECT_EQ(DescribeFaults({}), "healthy");
  EXPECT_EQ(DescribeFaults({.stall = true, .latency_ms = 5}), "stall, latency 5ms");
}

}  // namespace
}  // namespace gryadka::chaos
