// Forwarding between real proposers (proposer/server/forwarder.h): three gryadka-proposer
// processes started with --peers naming all three over three Redis acceptors. A call sent to a
// proposer that does not own its key is served by the owner (seen in both proposers' metrics)
// with the same answer the owner gives directly; a call marked as forwarded is served where it
// arrives; concurrent forwards to one owner share one stream and each applies once; an owner
// that drains hands the calls on its streams back (none lost, none applied twice); with the
// owner killed, calls for its keys are still served. Each test starts 3 Redis and 3 proposers:
// 5-12 s of wall time per test on a busy 2-core machine.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/rendezvous.h"
#include "client/shared/process_handle.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "tests/integration/cluster.h"

namespace gryadka::integration {
namespace {

constexpr int kProposers = 3;
constexpr int64_t kWaitMs = 10000;  // bound on waiting for a peer channel or a metric
constexpr char kForwardedMarker[] = "gryadka-forwarded-by";

const char kAnswered[] = "gryadka_forward_calls_total{result=\"answered\"}";
const char kServedLocally[] = "gryadka_forward_calls_total{result=\"served_locally\"}";
const char kNotConnected[] = "gryadka_forward_skipped_total{reason=\"owner_not_connected\"}";
const char kReceived[] = "gryadka_forward_received_total";
const char kLargeRequest[] = "gryadka_forward_skipped_total{reason=\"large_request\"}";
const char kOutcomeUnknown[] = "gryadka_forward_calls_total{result=\"outcome_unknown\"}";
const char kStreams[] = "gryadka_forward_streams";

class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterOptions o;
    o.proposers = 0;  // started here: every proposer needs every port in --peers
    auto c = Cluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
    ASSERT_TRUE(StartProposers().ok()) << Logs();
  }
  void TearDown() override {
    for (auto& p : proposers_) p->Stop();
  }

  absl::Status StartProposers() {
    for (int attempt = 0; attempt < 5; ++attempt) {
      ports_.clear();
      metrics_ports_.clear();
      targets_.clear();
      for (int i = 0; i < kProposers; ++i) {
        auto port = process::FreeLoopbackPort();
        auto metrics = process::FreeLoopbackPort();
        if (!port.ok() || !metrics.ok()) return absl::UnavailableError("no free port");
        ports_.push_back(*port);
        metrics_ports_.push_back(*metrics);
        targets_.push_back(absl::StrCat("127.0.0.1:", *port));
      }
      bool started = true;
      for (int i = 0; i < kProposers && started; ++i) {
        process::ProcessSpec spec;
        spec.binary = GRYADKA_PROPOSER_BIN;
        spec.name = absl::StrCat("proposer", i);
        spec.args = {"--listen=" + targets_[i],
                     "--acceptors=" + cluster_->acceptor_list(),
                     absl::StrCat("--metrics_listen=127.0.0.1:", metrics_ports_[i]),
                     "--peers=" + absl::StrJoin(targets_, ","),
                     "--advertise=" + targets_[i],
                     "--acceptor_timeout_ms=300",
                     "--drain_timeout_ms=2000"};
        auto p = process::ProcessHandle::Start(spec);
        if (!p.ok()) return p.status();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        started = (*p)->Running();
        proposers_.push_back(*std::move(p));
      }
      if (started) return WaitServing();
      for (auto& p : proposers_) p->Stop();  // a port was taken: all again on fresh ports
      proposers_.clear();
    }
    return absl::UnavailableError("could not start the proposers on free ports");
  }

  absl::Status WaitServing() {
    for (int i = 0; i < kProposers; ++i) {
      auto stub = Stub(i);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
      grpc::Status s;
      do {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        v1::GetRequest req;
        req.set_key("ready-probe");
        v1::GetResponse resp;
        s = stub->Get(&ctx, req, &resp);
        if (s.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      } while (std::chrono::steady_clock::now() < deadline);
      if (!s.ok()) return absl::UnavailableError(absl::StrCat("proposer ", i, " does not serve"));
    }
    return absl::OkStatus();
  }

  std::unique_ptr<v1::KV::Stub> Stub(int i) const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return v1::KV::NewStub(
        grpc::CreateCustomChannel(targets_[i], grpc::InsecureChannelCredentials(), args));
  }

  // A key whose owner (by rendezvous hashing over the peers, as clients route) is proposer i.
  std::string KeyOwnedBy(int i, const std::string& prefix) const {
    const client::Rendezvous ring(targets_);
    for (int n = 0;; ++n) {
      std::string key = absl::StrCat(prefix, n);
      if (ring.Pick(key) == static_cast<size_t>(i)) return key;
    }
  }

  double Metric(int i, const std::string& series) const {
    return MetricSample(FetchMetrics(metrics_ports_[i]), series);
  }

  grpc::Status Increment(int via, const std::string& key, int64_t* value, bool marked = false) {
    auto stub = Stub(via);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (marked) ctx.AddMetadata(kForwardedMarker, "test");
    v1::IncrementRequest req;
    req.set_key(key);
    req.set_delta(1);
    v1::IncrementResponse resp;
    grpc::Status s = stub->Increment(&ctx, req, &resp);
    *value = resp.value();
    return s;
  }

  // Sends increments of `key` to proposer `via` until one is answered by a forward (its channel
  // to the owner is connected once the first call asked for it); returns the key's value.
  int64_t WarmUpForward(int via, const std::string& key) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    int64_t value = 0;
    const double before = Metric(via, kAnswered);
    while (std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(Increment(via, key, &value).ok());
      if (Metric(via, kAnswered) > before) return value;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "proposer " << via << " never forwarded\n" << Logs();
    return value;
  }

  std::string Logs() const {
    std::string out = cluster_ ? cluster_->Logs() : "";
    for (const auto& p : proposers_)
      absl::StrAppend(&out, "--- ", p->Describe(), "\n", p->LogTail(3000), "\n");
    return out;
  }

  std::unique_ptr<Cluster> cluster_;
  std::vector<std::unique_ptr<process::ProcessHandle>> proposers_;
  std::vector<int> ports_, metrics_ports_;
  std::vector<std::string> targets_;
};

TEST_F(ForwardTest, CallSentToANonOwnerIsServedByTheOwner) {
  const std::string key = KeyOwnedBy(1, "owned-by-1-");
  int64_t value = WarmUpForward(0, key);
  const double answered = Metric(0, kAnswered), received = Metric(1, kReceived);
  const double received_at_0 = Metric(0, kReceived);
  constexpr int kCalls = 20;
  for (int n = 0; n < kCalls; ++n) {
    int64_t next = 0;
    ASSERT_TRUE(Increment(0, key, &next).ok());
    EXPECT_EQ(next, value + 1);  // every increment applied exactly once, in order
    value = next;
  }
  EXPECT_EQ(Metric(0, kAnswered) - answered, kCalls);
  EXPECT_EQ(Metric(1, kReceived) - received, kCalls);
  EXPECT_EQ(Metric(0, kReceived), received_at_0);  // nothing came back: one hop, no loop
  // Proposer 1 owns the key, so proposer 0's calls for it never reached its own rounds.
  int64_t direct = 0;
  ASSERT_TRUE(Increment(1, key, &direct).ok());
  EXPECT_EQ(direct, value + 1);
}

TEST_F(ForwardTest, OwnerAnswerPassesUnchangedIncludingDeclinesAndErrors) {
  const std::string key = KeyOwnedBy(1, "cas-");
  WarmUpForward(0, key);
  // A CAS with a wrong version: declined with a reason, the same via the owner and via a peer.
  auto via_peer = Stub(0), via_owner = Stub(1);
  v1::CompareAndSetRequest cas;
  cas.set_key(key);
  cas.set_expected_version(999);
  cas.set_value("x");
  v1::CompareAndSetResponse a, b;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(via_peer->CompareAndSet(&ctx, cas, &a).ok());
  }
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(via_owner->CompareAndSet(&ctx, cas, &b).ok());
  }
  EXPECT_FALSE(a.applied());
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  // A value over the limit: the same INVALID_ARGUMENT message either way.
  v1::PutRequest put;
  put.set_key(key);
  put.set_value(std::string((1 << 20) + 1, 'v'));
  v1::PutResponse ignored;
  grpc::ClientContext c1, c2;
  const double large = Metric(0, kLargeRequest);
  const grpc::Status sa = via_peer->Put(&c1, put, &ignored);
  const grpc::Status sb = via_owner->Put(&c2, put, &ignored);
  EXPECT_EQ(sa.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(sa.error_code(), sb.error_code());
  EXPECT_EQ(sa.error_message(), sb.error_message());
  // Over the forwarding bound (64 KiB): answered by the proposer it was sent to.
  EXPECT_EQ(Metric(0, kLargeRequest) - large, 1);
}

TEST_F(ForwardTest, ConcurrentForwardsShareOneStreamAndEachAppliesOnce) {
  const std::string key = KeyOwnedBy(1, "shared-stream-");
  const int64_t start = WarmUpForward(0, key);
  const double answered = Metric(0, kAnswered);
  constexpr int kThreads = 8, kCallsPerThread = 8;
  std::mutex mu;
  std::set<int64_t> values;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < kCallsPerThread; ++n) {
        int64_t v = 0;
        const grpc::Status s = Increment(0, key, &v);
        std::lock_guard<std::mutex> lock(mu);
        if (!s.ok()) failures.push_back(s.error_message());
        values.insert(v);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.empty()) << failures.front();
  // Every increment applied exactly once: the answers are start+1 .. start+64, each once.
  ASSERT_EQ(values.size(), static_cast<size_t>(kThreads * kCallsPerThread));
  EXPECT_EQ(*values.begin(), start + 1);
  EXPECT_EQ(*values.rbegin(), start + kThreads * kCallsPerThread);
  EXPECT_EQ(Metric(0, kAnswered) - answered, kThreads * kCallsPerThread);
  // One I/O thread, one owner: all of them went over one stream.
  EXPECT_EQ(Metric(0, kStreams), 1);
}

TEST_F(ForwardTest, DrainingOwnerHandsTheCallsOnItsStreamsBackAndLosesNone) {
  const std::string key = KeyOwnedBy(1, "draining-owner-");
  int64_t value = WarmUpForward(0, key);
  const double unknown = Metric(0, kOutcomeUnknown);
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    proposers_[1]->Stop();  // SIGTERM: the owner drains and exits
    stopped = true;
  });
  // Increments through proposer 0 all along, and 20 more after the owner is gone: every one
  // succeeds and applies exactly once (forwarded, handed back and served here, or served here).
  int after = 0, calls = 0;
  std::string failure;  // checked after the stopper thread is joined
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (after < 20 && std::chrono::steady_clock::now() < deadline) {
    if (stopped) ++after;
    int64_t next = 0;
    const grpc::Status s = Increment(0, key, &next);
    if (!s.ok()) {
      failure = absl::StrCat("call ", calls, ": ", s.error_code(), " ", s.error_message());
      break;
    }
    if (next != value + 1) {
      failure = absl::StrCat("call ", calls, ": ", next, " after ", value);
      break;
    }
    value = next;
    ++calls;
  }
  stopper.join();
  ASSERT_TRUE(failure.empty()) << failure << "\n" << Logs();
  EXPECT_EQ(after, 20);
  EXPECT_EQ(Metric(0, kOutcomeUnknown), unknown);
  EXPECT_EQ(Metric(0, kStreams), 0);  // the owner's stream ended with it
  // The stream did not hold the owner's drain until --drain_timeout_ms: it ended as soon as the
  // calls it carried were answered.
  EXPECT_EQ(proposers_[1]->LogTail(100000).find("drain timeout passed"), std::string::npos)
      << Logs();
}

TEST_F(ForwardTest, CallMarkedAsForwardedIsNotForwardedAgain) {
  const std::string key = KeyOwnedBy(1, "marked-");
  int64_t value = WarmUpForward(0, key);
  const double answered = Metric(0, kAnswered), received0 = Metric(0, kReceived);
  const double received1 = Metric(1, kReceived);
  int64_t next = 0;
  ASSERT_TRUE(Increment(0, key, &next, /*marked=*/true).ok());
  EXPECT_EQ(next, value + 1);
  EXPECT_EQ(Metric(0, kReceived) - received0, 1);  // taken as a forwarded call...
  EXPECT_EQ(Metric(0, kAnswered), answered);       // ...served by proposer 0 itself
  EXPECT_EQ(Metric(1, kReceived), received1);      // and never reached the owner
}

TEST_F(ForwardTest, KeysOfAKilledOwnerAreStillServedLocally) {
  const std::string key = KeyOwnedBy(2, "orphan-");
  int64_t value = WarmUpForward(0, key);
  proposers_[2]->Kill();
  // Reads of the owner's keys until proposer 0 sees the connection gone (a read whose forward
  // broke is served locally anyway); a change sent while the connection was breaking could
  // fail "outcome unknown", one sent after never does.
  const double not_connected = Metric(0, kNotConnected);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (Metric(0, kNotConnected) == not_connected && std::chrono::steady_clock::now() < deadline) {
    auto stub = Stub(0);
    grpc::ClientContext ctx;
    v1::GetRequest get;
    get.set_key(key);
    v1::GetResponse resp;
    ASSERT_TRUE(stub->Get(&ctx, get, &resp).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(Metric(0, kNotConnected), not_connected) << Logs();
  const double local_before = Metric(0, kServedLocally) + Metric(0, kNotConnected);
  constexpr int kCalls = 10;
  int succeeded = 0;
  for (int n = 0; n < kCalls; ++n) {
    int64_t next = 0;
    const grpc::Status s = Increment(0, key, &next);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    EXPECT_EQ(next, value + 1);
    value = next;
    ++succeeded;
  }
  EXPECT_EQ(succeeded, kCalls);
  EXPECT_GE(Metric(0, kServedLocally) + Metric(0, kNotConnected) - local_before, kCalls);
}

}  // namespace
}  // namespace gryadka::integration
