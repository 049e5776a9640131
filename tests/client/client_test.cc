// gryadka::Client against in-process fake KV servers: every typed call, deadlines, which errors
// are retried (and where to), health, and concurrent use.
#include "client/client.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/client/fake_kv_server.h"

namespace gryadka {
namespace {

using testing::FakeKvServer;

std::unique_ptr<Client> MakeClient(std::vector<std::string> targets,
                                   ClientOptions options = {}) {
  options.targets = std::move(targets);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

// A key that `client` routes to `target` first.
std::string KeyRoutedTo(const Client& client, const std::string& target) {
  for (int i = 0;; ++i) {
    std::string key = absl::StrCat("key-", i);
    if (client.RankTargets(key)[0] == target) return key;
  }
}

// A target nothing listens on: a fake server's port after it shut down.
std::string DeadTarget() {
  auto server = FakeKvServer::Start();
  const std::string target = server->target();
  server->Shutdown();
  return target;
}

TEST(ClientCreate, RejectsBadOptionsNamingTheProblem) {
  struct Case {
    ClientOptions options;
    std::string expected_substring;
  };
  std::vector<Case> cases;
  cases.push_back({ClientOptions{}, "targets is empty"});
  for (const char* bad : {"", "localhost", "host:", ":80", "host:0", "host:65536", "host:http",
                          "::1:80", "a b:80", "dns:"}) {
    ClientOptions o;
    o.targets = {bad};
    cases.push_back({o, "invalid target"});
  }
  ClientOptions dup;
  dup.targets = {"127.0.0.1:1", "127.0.0.1:1"};
  cases.push_back({dup, "duplicate target"});
  ClientOptions deadline;
  deadline.targets = {"127.0.0.1:1"};
  deadline.default_deadline_ms = 0;
  cases.push_back({deadline, "default_deadline_ms is 0"});
  ClientOptions attempts = deadline;
  attempts.default_deadline_ms = 1000;
  attempts.retry_attempts_max = -1;
  cases.push_back({attempts, "retry_attempts_max is -1"});
  ClientOptions backoff = attempts;
  backoff.retry_attempts_max = 3;
  backoff.retry_backoff_initial_ms = 100;
  backoff.retry_backoff_max_ms = 50;
  cases.push_back({backoff, "retry_backoff_max_ms is 50"});
  ClientOptions message = attempts;
  message.retry_attempts_max = 3;
  message.max_message_bytes = 0;
  cases.push_back({message, "max_message_bytes is 0"});

  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(c.options);
    ASSERT_FALSE(client.ok()) << c.expected_substring;
    EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(client.status().message(), c.expected_substring))
        << client.status() << " lacks " << c.expected_substring;
  }
}

TEST(ClientCreate, AcceptsHostPortIpv6AndGrpcUris) {
  EXPECT_NE(MakeClient({"127.0.0.1:8080", "[::1]:8080", "localhost:1", "dns:///kv.local:8080",
                        "unix:gryadka.sock"}),
            nullptr);
}

TEST(ClientCalls, EveryTypedCallAgainstAFakeServer) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});

  absl::StatusOr<GetResult> absent = client->Get("k");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->found);
  EXPECT_EQ(absent->record.version, 0u);

  absl::StatusOr<ChangeResult> put = client->Put("k", std::string("v\0x", 3));
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(put->applied);
  EXPECT_EQ(put->record.value, std::string("v\0x", 3));
  EXPECT_EQ(put->record.version, 1u);

  absl::StatusOr<GetResult> got = client->Get("k");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->found);
  EXPECT_EQ(got->record.value, std::string("v\0x", 3));
  EXPECT_EQ(got->record.version, 1u);

  absl::StatusOr<ChangeResult> cas = client->CompareAndSet("k", 1, "w");
  ASSERT_TRUE(cas.ok()) << cas.status();
  EXPECT_TRUE(cas->applied);
  EXPECT_EQ(cas->record.value, "w");
  EXPECT_EQ(cas->record.version, 2u);

  absl::StatusOr<ChangeResult> stale = client->CompareAndSet("k", 1, "z");
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_FALSE(stale->applied);
  EXPECT_EQ(stale->record.value, "w");
  EXPECT_EQ(stale->record.version, 2u);

  absl::StatusOr<IncrementResult> not_a_number = client->Increment("k", 1);
  ASSERT_TRUE(not_a_number.ok()) << not_a_number.status();
  EXPECT_FALSE(not_a_number->applied);
  EXPECT_EQ(not_a_number->record.value, "w");

  absl::StatusOr<IncrementResult> inc = client->Increment("n", -5);
  ASSERT_TRUE(inc.ok()) << inc.status();
  EXPECT_TRUE(inc->applied);
  EXPECT_EQ(inc->value, -5);
  EXPECT_EQ(inc->record.value, "-5");
  EXPECT_EQ(inc->record.version, 1u);

  absl::StatusOr<ChangeResult> del_stale = client->Delete("k", 7);
  ASSERT_TRUE(del_stale.ok()) << del_stale.status();
  EXPECT_FALSE(del_stale->applied);
  EXPECT_EQ(del_stale->record.version, 2u);

  absl::StatusOr<ChangeResult> del = client->Delete("k", 2);
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_TRUE(del->applied);
  EXPECT_EQ(del->record.version, 0u);

  absl::StatusOr<ChangeResult> del_any = client->Delete("n");
  ASSERT_TRUE(del_any.ok()) << del_any.status();
  EXPECT_TRUE(del_any->applied);
  EXPECT_EQ(server->Stored("n").version(), 0u);
  EXPECT_FALSE(client->Get("k")->found);
}

TEST(ClientCalls, ChangeQueryPassesOpsAndReturnsWhatTheQueryAsked) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});
  v1::ChangeOp put_if_absent;
  put_if_absent.mutable_put_if_absent()->set_value("first");
  v1::QueryOp record_query;
  record_query.mutable_record();
  v1::QueryOp version_query;
  version_query.mutable_version();
  v1::QueryOp none_query;
  none_query.mutable_none();

  absl::StatusOr<ChangeQueryResult> first = client->ChangeQuery("q", put_if_absent, record_query);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->applied);
  ASSERT_TRUE(first->record.has_value());
  EXPECT_EQ(first->record->value, "first");
  EXPECT_EQ(first->record->version, 1u);
  EXPECT_FALSE(first->version.has_value());

  absl::StatusOr<ChangeQueryResult> second =
      client->ChangeQuery("q", put_if_absent, version_query);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->applied);
  EXPECT_FALSE(second->decline_reason.empty());
  EXPECT_FALSE(second->record.has_value());
  ASSERT_TRUE(second->version.has_value());
  EXPECT_EQ(*second->version, 1u);

  v1::ChangeOp append;
  append.mutable_append()->set_suffix("+more");
  absl::StatusOr<ChangeQueryResult> appended = client->ChangeQuery("q", append, none_query);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_TRUE(appended->applied);
  EXPECT_FALSE(appended->record.has_value());
  EXPECT_FALSE(appended->version.has_value());
  EXPECT_EQ(server->Stored("q").value(), "first+more");

  v1::ChangeOp read;
  read.mutable_read();
  absl::StatusOr<ChangeQueryResult> r = client->ChangeQuery("q", read, record_query);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->record->value, "first+more");
  EXPECT_EQ(r->record->version, 2u);

  absl::StatusOr<ChangeQueryResult> unset = client->ChangeQuery("q", v1::ChangeOp(), none_query);
  EXPECT_EQ(unset.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClientCalls, EmptyOrNonUtf8KeyIsRejectedWithoutACall) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});
  EXPECT_EQ(client->Get("").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ChangeResult> bad = client->Put("\xff\xfe", "v");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "not valid UTF-8")) << bad.status();
  EXPECT_EQ(server->TotalCalls(), 0);
}

TEST(ClientDeadline, PerCallDeadlineIsHonouredAndAChangeIsNotResent) {
  auto server = FakeKvServer::Start();
  server->SetDelayMs(3000);
  auto client = MakeClient({server->target()});
  const absl::Time start = absl::Now();
  absl::StatusOr<ChangeResult> put = client->Put("k", "v", CallOptions{200});
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(put.status().code(), absl::StatusCode::kDeadlineExceeded) << put.status();
  EXPECT_GE(elapsed, absl::Milliseconds(190));
  EXPECT_LT(elapsed, absl::Milliseconds(1500));
  EXPECT_EQ(server->Calls("Put"), 1);
}

TEST(ClientDeadline, DefaultDeadlineFromOptionsCoversAllAttemptsOfARead) {
  auto server = FakeKvServer::Start();
  server->SetDelayMs(3000);
  ClientOptions options;
  options.default_deadline_ms = 300;
  auto client = MakeClient({server->target()}, options);
  const absl::Time start = absl::Now();
  absl::StatusOr<GetResult> got = client->Get("k");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded) << got.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
}

TEST(ClientDeadline, NegativeCallDeadlineIsInvalid) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});
  EXPECT_EQ(client->Get("k", CallOptions{-1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server->TotalCalls(), 0);
}

TEST(ClientRetry, UnavailableIsRetriedOnASingleTarget) {
  auto server = FakeKvServer::Start();
  server->FailNext(grpc::StatusCode::UNAVAILABLE, 2);
  auto client = MakeClient({server->target()});
  absl::StatusOr<IncrementResult> inc = client->Increment("k", 1);
  ASSERT_TRUE(inc.ok()) << inc.status();
  EXPECT_EQ(inc->value, 1);
  EXPECT_EQ(server->Calls("Increment"), 3);
}

TEST(ClientRetry, UnavailableFailsOverToTheKeysSecondTarget) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  auto client = MakeClient({a->target(), b->target()});
  const std::string key = KeyRoutedTo(*client, a->target());
  a->FailNext(grpc::StatusCode::UNAVAILABLE, 1);
  absl::StatusOr<ChangeResult> put = client->Put(key, "v");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(a->Calls("Put"), 1);
  EXPECT_EQ(b->Calls("Put"), 1);
  EXPECT_EQ(b->Stored(key).value(), "v");
  EXPECT_EQ(a->Stored(key).version(), 0u);
}

// Regression: gRPC also answers UNAVAILABLE when a connection drops after the request left; a
// retried Increment could then apply twice. Only the proposer's own, marked UNAVAILABLE (or a
// failure to connect at all) lets a change be retried.
TEST(ClientRetry, UnmarkedUnavailableChangeIsNotRetriedButAReadIs) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});
  server->FailNext(grpc::StatusCode::UNAVAILABLE, 1, /*marked=*/false);
  absl::StatusOr<IncrementResult> inc = client->Increment("k", 1);
  EXPECT_EQ(inc.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server->Calls("Increment"), 1);
  server->FailNext(grpc::StatusCode::UNAVAILABLE, 1, /*marked=*/false);
  EXPECT_TRUE(client->Get("k").ok());
  EXPECT_EQ(server->Calls("Get"), 2);
}

TEST(ClientRetry, DeadFirstTargetFailsOverToTheSecond) {
  auto b = FakeKvServer::Start();
  const std::string dead = DeadTarget();
  auto client = MakeClient({dead, b->target()});
  const std::string key = KeyRoutedTo(*client, dead);
  absl::StatusOr<ChangeResult> put = client->Put(key, "v");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(b->Calls("Put"), 1);
  absl::StatusOr<GetResult> got = client->Get(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->record.value, "v");
}

TEST(ClientRetry, AbortedPutIsNotRetried) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  auto client = MakeClient({a->target(), b->target()});
  const std::string key = KeyRoutedTo(*client, a->target());
  a->FailNext(grpc::StatusCode::ABORTED, 1);
  absl::StatusOr<ChangeResult> put = client->Put(key, "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(absl::StrContains(put.status().message(),
                                absl::StrCat("[target ", a->target(), ", attempt 1 of 4]")))
      << put.status();
  EXPECT_EQ(a->Calls("Put"), 1);
  EXPECT_EQ(b->TotalCalls(), 0);
}

TEST(ClientRetry, DeadlineExceededOrAbortedChangesAreNotRetried) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});
  v1::ChangeOp put;
  put.mutable_put()->set_value("v");
  v1::QueryOp none;
  none.mutable_none();
  server->FailNext(grpc::StatusCode::DEADLINE_EXCEEDED, 1);
  EXPECT_EQ(client->Increment("k", 1).status().code(), absl::StatusCode::kDeadlineExceeded);
  server->FailNext(grpc::StatusCode::ABORTED, 1);
  EXPECT_EQ(client->Delete("k").status().code(), absl::StatusCode::kAborted);
  server->FailNext(grpc::StatusCode::ABORTED, 1);
  EXPECT_EQ(client->CompareAndSet("k", 0, "v").status().code(), absl::StatusCode::kAborted);
  server->FailNext(grpc::StatusCode::ABORTED, 1);
  EXPECT_EQ(client->ChangeQuery("k", put, none).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(server->TotalCalls(), 4);
}

TEST(ClientRetry, AbortedOrDeadlineExceededReadsAreRetriedOnTheSameTarget) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  auto client = MakeClient({a->target(), b->target()});
  const std::string key = KeyRoutedTo(*client, a->target());
  a->FailNext(grpc::StatusCode::ABORTED, 1);
  ASSERT_TRUE(client->Get(key).ok());
  EXPECT_EQ(a->Calls("Get"), 2);
  EXPECT_EQ(b->TotalCalls(), 0);

  v1::ChangeOp read;
  read.mutable_read();
  v1::QueryOp version;
  version.mutable_version();
  a->FailNext(grpc::StatusCode::DEADLINE_EXCEEDED, 1);
  ASSERT_TRUE(client->ChangeQuery(key, read, version).ok());
  EXPECT_EQ(a->Calls("ChangeQuery"), 2);
}

TEST(ClientRetry, OtherErrorsAreNotRetried) {
  auto server = FakeKvServer::Start();
  auto client = MakeClient({server->target()});
  for (grpc::StatusCode code :
       {grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::FAILED_PRECONDITION,
        grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::INTERNAL}) {
    server->FailNext(code, 1);
    absl::StatusOr<GetResult> got = client->Get("k");
    EXPECT_EQ(static_cast<int>(got.status().code()), static_cast<int>(code));
  }
  EXPECT_EQ(server->TotalCalls(), 4);
}

TEST(ClientRetry, AttemptsAreBoundedByRetryAttemptsMax) {
  auto server = FakeKvServer::Start();
  server->FailNext(grpc::StatusCode::UNAVAILABLE, 100);
  ClientOptions options;
  options.retry_attempts_max = 2;
  options.retry_backoff_initial_ms = 1;
  options.retry_backoff_max_ms = 2;
  auto client = MakeClient({server->target()}, options);
  absl::StatusOr<ChangeResult> put = client->Put("k", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(put.status().message(), "attempt 3 of 3")) << put.status();
  EXPECT_EQ(server->Calls("Put"), 3);
}

TEST(ClientRetry, NoRetryWhenTheBackoffWouldPassTheDeadline) {
  auto server = FakeKvServer::Start();
  server->FailNext(grpc::StatusCode::UNAVAILABLE, 100);
  ClientOptions options;
  options.retry_backoff_initial_ms = 2000;
  options.retry_backoff_max_ms = 2000;
  auto client = MakeClient({server->target()}, options);
  const absl::Time start = absl::Now();
  absl::StatusOr<GetResult> got = client->Get("k", CallOptions{500});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(400));
  EXPECT_EQ(server->Calls("Get"), 1);
}

TEST(ClientHealth, ServingNotServingAndDeadTargets) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  const std::string dead = DeadTarget();
  auto client = MakeClient({a->target(), b->target()});
  EXPECT_TRUE(client->Health().ok());

  b->SetServing(false);
  absl::Status health = client->Health();
  EXPECT_EQ(health.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(health.message(), b->target())) << health;
  EXPECT_TRUE(absl::StrContains(health.message(), "NOT_SERVING")) << health;

  auto with_dead = MakeClient({a->target(), dead});
  std::vector<TargetHealth> targets = with_dead->CheckTargets(CallOptions{2000});
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].target, a->target());
  EXPECT_TRUE(targets[0].status.ok());
  EXPECT_EQ(targets[0].serving_status, "SERVING");
  EXPECT_EQ(targets[1].target, dead);
  EXPECT_EQ(targets[1].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(targets[1].serving_status, "");
}

TEST(ClientConcurrency, ManyThreadsShareOneClient) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  auto client = MakeClient({a->target(), b->target()});
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrementsPerThread; ++i) {
        if (!client->Increment("counter", 1).ok()) ++failures;
        if (!client->Put(absl::StrCat("t", t, "-", i), "x").ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<GetResult> counter = client->Get("counter");
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(counter->record.value, absl::StrCat(kThreads * kIncrementsPerThread));
  // Keys were spread over both proposers.
  EXPECT_GT(a->Calls("Put"), 0);
  EXPECT_GT(b->Calls("Put"), 0);
}

}  // namespace
}  // namespace gryadka
