// RedisAcceptor and RedisAdminConnection against a redis-server started with requirepass: AUTH
// is sent first and the calls work; a wrong password leaves the acceptor unhealthy, reports
// Redis's WRONGPASS (never the password) and is retried with backoff, so a corrected password
// file is used on the next connection; the admin connection answers UNAUTHENTICATED; without
// any credentials every call fails with NOAUTH and the acceptor stays unhealthy.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "acceptor_adapter/redis_acceptor.h"
#include "acceptor_adapter/redis_admin.h"
#include "tests/acceptor/redis_acceptor_harness.h"
#include "client/shared/process_handle.h"
#include "tests/support/redis_process.h"
#include "tests/support/test_event_loop.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::Ballot;

constexpr char kPassword[] = "acceptor-Test-Pass";
constexpr int64_t kAdminTimeoutMs = 2000;
// Long enough for several reconnect attempts (backoff 10 ms doubling to 1000 ms).
constexpr int64_t kRetryWindowMs = 1500;
constexpr int kReconnectAttemptsMax = 100;  // calls tried, kReconnectPollMs apart
constexpr int64_t kReconnectPollMs = 50;

class RedisAuthAcceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_support::RedisProcessOptions o;
    o.requirepass = kPassword;
    auto redis = test_support::RedisProcess::Start(o);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto dir = process::MakeTempDir("gryadka_auth_acceptor_");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
  }
  void TearDown() override {
    acceptor_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string WritePasswordFile(const std::string& password) {
    const std::string path = dir_ + "/password";
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << password << "\n";
    std::filesystem::rename(tmp, path);
    return path;
  }
  void MakeAcceptor(RedisCredentialSource credentials) {
    RedisAcceptorOptions o;
    o.credentials = std::move(credentials);
    o.on_auth_error = [this](const std::string& m) { auth_errors_.push_back(m); };
    acceptor_ = std::make_unique<RedisAcceptor>(loop_.base(), "127.0.0.1", redis_->port(), o,
                                                /*id=*/3, replies_.Sink());
  }
  AcceptorReply Prepare(const std::string& key, uint64_t counter) {
    const uint64_t id = next_id_++;
    acceptor_->Send(PrepareRequest(id, key, Ballot{counter, 1}));
    EXPECT_TRUE(loop_.RunUntil([&] { return replies_.Has(id); }, kReplyWaitMs));
    return replies_.Has(id) ? replies_.Get(id) : AcceptorReply{};
  }
  bool WaitHealthy(bool want) {
    return loop_.RunUntil([&] { return acceptor_->Healthy() == want; }, kHealthWaitMs);
  }

  std::unique_ptr<test_support::RedisProcess> redis_;
  std::string dir_;
  test_support::TestEventLoop loop_;
  ReplyCollector replies_;
  std::unique_ptr<RedisAcceptor> acceptor_;
  std::vector<std::string> auth_errors_;
  uint64_t next_id_ = 1;
};

TEST_F(RedisAuthAcceptorTest, CorrectPasswordAuthenticatesEveryConnectionAndCallsWork) {
  MakeAcceptor(RedisCredentialSource::FromFile("", WritePasswordFile(kPassword)));
  ASSERT_TRUE(WaitHealthy(true));
  const AcceptorReply r = Prepare("k", 1);
  EXPECT_EQ(r.status, AcceptorReply::Status::kOk) << Show(r);
  EXPECT_TRUE(auth_errors_.empty());
  // A dropped connection is re-made and authenticated again.
  auto admin = redis_->Connect();
  ASSERT_TRUE(admin.ok());
  auto killed = admin->Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(killed.ok());
  ASSERT_GE(killed->integer, 1) << killed->DebugString();
  // Calls in flight when the connection dropped fail; a later one runs on the new connection.
  bool ok = false;
  for (uint64_t counter = 2; counter < 2 + kReconnectAttemptsMax && !ok; ++counter) {
    const AcceptorReply again = Prepare("k", counter);
    ok = again.status == AcceptorReply::Status::kOk;
    if (!ok) loop_.RunFor(kReconnectPollMs);
  }
  EXPECT_TRUE(ok);
  EXPECT_TRUE(auth_errors_.empty());

}

TEST_F(RedisAuthAcceptorTest, WrongPasswordIsUnhealthyReportsWrongpassAndAFixedFileIsUsedOnReconnect) {
  const std::string wrong = "not-the-password";
  const std::string file = WritePasswordFile(wrong);
  MakeAcceptor(RedisCredentialSource::FromFile("", file));
  loop_.RunFor(kRetryWindowMs);
  EXPECT_FALSE(acceptor_->Healthy());
  ASSERT_GE(auth_errors_.size(), 2u) << "AUTH is retried on new connections";
  for (const std::string& m : auth_errors_) {
    EXPECT_TRUE(absl::StrContains(m, "WRONGPASS")) << m;
    EXPECT_TRUE(absl::StrContains(m, acceptor_->Describe())) << m;
    EXPECT_FALSE(absl::StrContains(m, wrong)) << m;
  }
  const AcceptorReply failed = Prepare("k", 1);
  EXPECT_EQ(failed.status, AcceptorReply::Status::kError) << Show(failed);
  EXPECT_FALSE(absl::StrContains(failed.error, wrong)) << failed.error;

  WritePasswordFile(kPassword);
  ASSERT_TRUE(WaitHealthy(true));
  EXPECT_EQ(Prepare("k", 2).status, AcceptorReply::Status::kOk);
}

TEST_F(RedisAuthAcceptorTest, UnreadablePasswordFileKeepsTheAcceptorUnhealthyNamingTheFile) {
  const std::string missing = dir_ + "/missing";
  MakeAcceptor(RedisCredentialSource::FromFile("", missing));
  loop_.RunFor(kRetryWindowMs / 3);
  EXPECT_FALSE(acceptor_->Healthy());
  ASSERT_FALSE(auth_errors_.empty());
  EXPECT_TRUE(absl::StrContains(auth_errors_[0], missing)) << auth_errors_[0];
  const AcceptorReply r = Prepare("k", 1);
  EXPECT_EQ(r.status, AcceptorReply::Status::kError) << Show(r);
}

TEST_F(RedisAuthAcceptorTest, NoCredentialsAgainstRequirepassNeverBecomesHealthy) {
  MakeAcceptor(RedisCredentialSource());
  loop_.RunFor(kRetryWindowMs / 3);
  EXPECT_FALSE(acceptor_->Healthy());
  const AcceptorReply r = Prepare("k", 1);
  EXPECT_NE(r.status, AcceptorReply::Status::kOk) << Show(r);
  EXPECT_TRUE(absl::StrContains(r.error, "NOAUTH")) << Show(r);
}

TEST_F(RedisAuthAcceptorTest, AdminConnectionAuthenticatesOrAnswersUnauthenticated) {
  auto ok = RedisAdminConnection::Connect("127.0.0.1", redis_->port(), kAdminTimeoutMs,
                                          "gryadka:",
                                          RedisCredentialSource::FromPassword("", kPassword));
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto fence = (*ok)->Fence(3, "cfg");
  ASSERT_TRUE(fence.ok()) << fence.status();
  EXPECT_EQ(fence->min_epoch, 3u);

  const std::string wrong = "wrong-admin-pass";
  auto bad = RedisAdminConnection::Connect("127.0.0.1", redis_->port(), kAdminTimeoutMs,
                                           "gryadka:",
                                           RedisCredentialSource::FromPassword("", wrong));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated) << bad.status();
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "WRONGPASS")) << bad.status();
  EXPECT_FALSE(absl::StrContains(bad.status().message(), wrong)) << bad.status();

  auto missing = RedisAdminConnection::Connect(
      "127.0.0.1", redis_->port(), kAdminTimeoutMs, "gryadka:",
      RedisCredentialSource::FromFile("", dir_ + "/missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition) << missing.status();
}

}  // namespace
}  // namespace gryadka::acceptor
