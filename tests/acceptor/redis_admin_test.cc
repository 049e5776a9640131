// RedisAdminConnection against a private redis-server: fencing raises and never lowers the
// minimum epoch, Scan lists exactly the registers under the prefix (meta key, non-hash keys and
// keys outside the prefix excluded; glob characters in the prefix taken literally), and every
// command is bounded in time against a SIGSTOPped server.
#include "acceptor_adapter/redis_admin.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_reply.h"
#include "tests/support/redis_process.h"
#include "client/shared/sync_redis.h"

namespace gryadka::acceptor {
namespace {

using process::RedisValue;

constexpr int64_t kAdminTimeoutMs = 300;
constexpr char kPrefix[] = "gryadka:";
// A bound on any admin call against a paused server: connect + PING, each kAdminTimeoutMs,
// with room for a loaded machine. A liveness bound (the call returns), not a performance one.
constexpr int64_t kPausedCallBoundMs = 10000;

class RedisAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<test_support::RedisProcess>> redis =
        test_support::RedisProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  std::unique_ptr<RedisAdminConnection> Admin(const std::string& prefix = kPrefix) {
    absl::StatusOr<std::unique_ptr<RedisAdminConnection>> admin =
        RedisAdminConnection::Connect("127.0.0.1", redis_->port(), kAdminTimeoutMs, prefix);
    EXPECT_TRUE(admin.ok()) << admin.status();
    return admin.ok() ? *std::move(admin) : nullptr;
  }

  RedisValue Redis(const std::vector<std::string>& argv) {
    absl::StatusOr<RedisValue> v = process::RunRedisCommand(redis_->port(), argv);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : RedisValue{};
  }

  // Every key of a full scan with pages of `count`, as a set; *pages = the pages it took.
  std::multiset<std::string> ScanAll(RedisAdminConnection& admin, int count, int* pages) {
    std::multiset<std::string> keys;
    std::string cursor = "0";
    *pages = 0;
    do {
      absl::StatusOr<ScanPage> page = admin.Scan(cursor, count);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      keys.insert(page->keys.begin(), page->keys.end());
      cursor = page->next_cursor;
      ++*pages;
    } while (cursor != "0" && *pages < 100000);
    return keys;
  }

  std::unique_ptr<test_support::RedisProcess> redis_;
};

TEST_F(RedisAdminTest, ReadFenceOfANeverFencedAcceptorIsEpochZeroAndWritesNothing) {
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  absl::StatusOr<FenceState> state = admin->ReadFence();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, FenceState{});
  EXPECT_EQ(Redis({"EXISTS", kPrefix}).integer, 0);
}

TEST_F(RedisAdminTest, FenceRaisesTheMinimumEpochAndNeverLowersIt) {
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  const std::string config5("membership\0five", 15);  // binary-safe
  absl::StatusOr<FenceState> s = admin->Fence(5, config5);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{5, config5}));
  s = admin->Fence(3, "three");  // lower: ignored
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{5, config5}));
  s = admin->Fence(5, "five again");  // equal: ignored, the stored config stays
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{5, config5}));
  s = admin->Fence(0, "");  // epoch 0 reads
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{5, config5}));
  s = admin->Fence(0x1234567890abcdefULL, "big");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{0x1234567890abcdefULL, "big"}));
  s = admin->ReadFence();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{0x1234567890abcdefULL, "big"}));
  // The stored layout: the HASH at exactly the prefix, e as 16 lowercase hex digits.
  EXPECT_EQ(Redis({"HGET", kPrefix, "e"}).str, "1234567890abcdef");
  EXPECT_EQ(Redis({"HGET", kPrefix, "c"}).str, "big");
}

TEST_F(RedisAdminTest, FenceSurvivesARestartOfRedis) {
  {
    auto admin = Admin();
    ASSERT_NE(admin, nullptr);
    ASSERT_TRUE(admin->Fence(9, "nine").ok());
  }
  ASSERT_TRUE(redis_->Restart().ok());
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  absl::StatusOr<FenceState> s = admin->ReadFence();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{9, "nine"}));
}

TEST_F(RedisAdminTest, FenceOnAMetaKeyHoldingAStringFailsNamingTheAcceptor) {
  Redis({"SET", kPrefix, "someone else's"});
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  absl::StatusOr<FenceState> s = admin->ReadFence();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInternal) << s.status();
  EXPECT_NE(s.status().message().find(admin->Describe()), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("not a hash"), std::string::npos) << s.status();
  EXPECT_EQ(Redis({"GET", kPrefix}).str, "someone else's");
}

TEST_F(RedisAdminTest, ScanFindsEveryRegisterOverManyPagesAndSkipsMetaStringsAndOtherPrefixes) {
  constexpr int kRegisters = 5000;
  std::multiset<std::string> want;
  for (int i = 1; i <= kRegisters; ++i) want.insert(absl::StrCat("k", i));
  // One script run: one fsync instead of kRegisters (the server runs appendfsync always).
  ASSERT_FALSE(Redis({"EVAL",
                      "for i = 1, tonumber(ARGV[2]) do redis.call('HSET', ARGV[1] .. 'k' .. i, "
                      "'p', ARGV[3]) end",
                      "0", kPrefix, absl::StrCat(kRegisters), std::string(32, '0')})
                   .IsError());
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->Fence(4, "four").ok());                   // the meta key (a hash)
  Redis({"SET", absl::StrCat(kPrefix, "a-string"), "x"});      // not a hash
  Redis({"RPUSH", absl::StrCat(kPrefix, "a-list"), "x"});      // not a hash
  Redis({"HSET", "other:k1", "p", std::string(32, '0')});      // outside the prefix
  Redis({"HSET", "gryadka", "p", std::string(32, '0')});       // a prefix of the prefix
  int pages = 0;
  const std::multiset<std::string> got = ScanAll(*admin, 100, &pages);
  EXPECT_GT(pages, 10);
  // SCAN may repeat a key (a rehash between pages); none happens here, and each must be a
  // register anyway.
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
            std::set<std::string>(want.begin(), want.end()));
}

TEST_F(RedisAdminTest, ScanTakesGlobCharactersInThePrefixLiterally) {
  const std::string prefix = "a*b?[c]\\:";
  const std::string zero(32, '0');
  Redis({"HSET", prefix + "k1", "p", zero});
  Redis({"HSET", prefix + "k2", "p", zero});
  Redis({"HSET", "aZZbQc\\:k3", "p", zero});  // matches the prefix read as a glob
  Redis({"HSET", "a*b?c\\:k4", "p", zero});
  auto admin = Admin(prefix);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->Fence(1, "").ok());
  EXPECT_EQ(Redis({"TYPE", prefix}).str, "hash");
  int pages = 0;
  const std::multiset<std::string> got = ScanAll(*admin, 1000, &pages);
  EXPECT_EQ(got, (std::multiset<std::string>{"k1", "k2"}));
  EXPECT_EQ(ScanPatternForPrefix("a*b?[c]\\:"), "a\\*b\\?\\[c\\]\\\\:*");
}

TEST_F(RedisAdminTest, ScanRejectsAMalformedCursorAndClampsTheCount) {
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  for (const std::string& cursor :
       std::vector<std::string>{"", "abc", "-1", "1 2", std::string(21, '9')}) {
    absl::StatusOr<ScanPage> page = admin->Scan(cursor, 10);
    ASSERT_FALSE(page.ok()) << cursor;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << page.status();
    EXPECT_NE(page.status().message().find("cursor"), std::string::npos) << page.status();
  }
  Redis({"HSET", absl::StrCat(kPrefix, "k"), "p", std::string(32, '0')});
  for (int count : {0, -5, kScanCountMax + 1, 1 << 30}) {
    absl::StatusOr<ScanPage> page = admin->Scan("0", count);
    ASSERT_TRUE(page.ok()) << page.status();
  }
}

TEST_F(RedisAdminTest, ConnectToAClosedPortFailsUnavailableNamingTheAcceptor) {
  const int port = redis_->port();
  redis_->Stop();
  absl::StatusOr<std::unique_ptr<RedisAdminConnection>> admin =
      RedisAdminConnection::Connect("127.0.0.1", port, kAdminTimeoutMs, kPrefix);
  ASSERT_FALSE(admin.ok());
  EXPECT_EQ(admin.status().code(), absl::StatusCode::kUnavailable) << admin.status();
  EXPECT_NE(admin.status().message().find(absl::StrCat("redis 127.0.0.1:", port)),
            std::string::npos)
      << admin.status();
}

TEST_F(RedisAdminTest, ConnectAndCommandsToASigstoppedRedisTimeOutThenRecoverAfterSigcont) {
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  redis_->Pause();
  const auto elapsed_ms = [](std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - since).count();
  };
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<FenceState> s = admin->Fence(2, "two");
  EXPECT_LT(elapsed_ms(start), kPausedCallBoundMs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
  EXPECT_NE(s.status().message().find(admin->Describe()), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("no answer within 300 ms"), std::string::npos)
      << s.status();

  start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<RedisAdminConnection>> second =
      RedisAdminConnection::Connect("127.0.0.1", redis_->port(), kAdminTimeoutMs, kPrefix);
  EXPECT_LT(elapsed_ms(start), kPausedCallBoundMs);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_NE(second.status().message().find("PING"), std::string::npos) << second.status();

  redis_->Resume();
  // The same object reconnects. The timed-out fence may or may not have applied (it did: Redis
  // runs it on SIGCONT); fencing is idempotent, so the retry answers the same state.
  s = admin->Fence(2, "two");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (FenceState{2, "two"}));
}

TEST_F(RedisAdminTest, ABusyServerIsUnavailableNotInternalAndServesAgainAfterwards) {
  auto admin = Admin();
  ASSERT_NE(admin, nullptr);
  ASSERT_FALSE(Redis({"CONFIG", "SET", "busy-reply-threshold", "10"}).IsError());
  // A script that never ends (no writes, so SCRIPT KILL can stop it) keeps the server busy.
  std::thread busy([port = redis_->port()] {
    (void)process::RunRedisCommand(port, {"EVAL", "while true do end", "0"},
                                        kPausedCallBoundMs);
  });
  absl::StatusOr<FenceState> s;
  for (int attempt = 0; attempt < 100; ++attempt) {  // until the script runs (bounded)
    s = admin->Fence(3, "three");
    if (!s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
  EXPECT_NE(s.status().message().find("BUSY"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find(admin->Describe()), std::string::npos) << s.status();
  for (int attempt = 0; attempt < 100; ++attempt) {  // NOTBUSY until the script started
    absl::StatusOr<RedisValue> kill =
        process::RunRedisCommand(redis_->port(), {"SCRIPT", "KILL"});
    if (kill.ok() && !kill->IsError()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  busy.join();
  s = admin->Fence(4, "four");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->min_epoch, 4u);
}

}  // namespace
}  // namespace gryadka::acceptor
