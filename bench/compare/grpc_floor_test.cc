// gryadka-grpc-floor as gryadka-compare uses it: a real process on a free loopback port, called
// through the generated gryadka.v1.KV stub; and as docs/performance.md drives it at a server's
// rate, with --answer_delay_us and gryadka-bench --report_cpu --cpu_pids.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/shared/process_handle.h"
#include "gryadka/v1/kv.grpc.pb.h"

namespace gryadka::bench::compare {
namespace {

constexpr int64_t kReadyTimeoutMs = 10000;
constexpr int64_t kBenchTimeoutMs = 60000;  // gryadka-bench's 1 s run, with room for a slow CI

class GrpcFloorTest : public ::testing::Test {
 protected:
  // Starts the floor with `extra` flags and waits until it answers.
  void Start(std::vector<std::string> extra = {}) {
    auto port = process::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    process::ProcessSpec spec;
    spec.binary = GRYADKA_GRPC_FLOOR_BIN;
    spec.args = {absl::StrCat("--port=", *port)};
    spec.args.insert(spec.args.end(), extra.begin(), extra.end());
    auto p = process::ProcessHandle::Start(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    process_ = *std::move(p);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                          std::chrono::milliseconds(kReadyTimeoutMs)))
        << process_->LogTail(2048);
    stub_ = v1::KV::NewStub(channel);
  }
  void TearDown() override {
    if (process_) process_->Stop();
  }

  grpc::Status Increment(const std::string& key, int64_t delta, v1::IncrementResponse* resp) {
    grpc::ClientContext ctx;
    v1::IncrementRequest req;
    req.set_key(key);
    req.set_delta(delta);
    return stub_->Increment(&ctx, req, resp);
  }

  grpc::Status Get(const std::string& key, v1::GetResponse* resp) {
    grpc::ClientContext ctx;
    v1::GetRequest req;
    req.set_key(key);
    return stub_->Get(&ctx, req, resp);
  }
  grpc::Status Put(const std::string& key, const std::string& value, v1::PutResponse* resp) {
    grpc::ClientContext ctx;
    v1::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    return stub_->Put(&ctx, req, resp);
  }

  std::unique_ptr<process::ProcessHandle> process_;
  std::unique_ptr<v1::KV::Stub> stub_;
  int port_ = 0;
};

TEST_F(GrpcFloorTest, PutIncrementGet) {
  Start();
  v1::PutResponse put;
  ASSERT_TRUE(Put("k", "40", &put).ok());
  EXPECT_EQ(put.record().version(), 1u);
  v1::IncrementResponse inc;
  ASSERT_TRUE(Increment("k", 2, &inc).ok());
  EXPECT_TRUE(inc.applied());
  EXPECT_EQ(inc.value(), 42);
  EXPECT_EQ(inc.record().version(), 2u);
  ASSERT_TRUE(Increment("fresh", 5, &inc).ok());
  EXPECT_EQ(inc.value(), 5);  // an absent key counts from 0
  v1::GetResponse got;
  ASSERT_TRUE(Get("k", &got).ok());
  EXPECT_TRUE(got.found());
  EXPECT_EQ(got.record().value(), "42");
  got.Clear();
  ASSERT_TRUE(Get("absent", &got).ok());
  EXPECT_FALSE(got.found());
}

TEST_F(GrpcFloorTest, NonNumberDeclinesAndOtherMethodsAreUnimplemented) {
  Start();
  v1::PutResponse put;
  ASSERT_TRUE(Put("text", "abc", &put).ok());
  v1::IncrementResponse inc;
  ASSERT_TRUE(Increment("text", 1, &inc).ok());
  EXPECT_FALSE(inc.applied());
  EXPECT_NE(inc.decline_reason(), "");

  grpc::ClientContext ctx;
  v1::DeleteRequest del;
  del.set_key("text");
  v1::DeleteResponse del_resp;
  const grpc::Status s = stub_->Delete(&ctx, del, &del_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("Get, Put and Increment"), std::string::npos);
}

TEST_F(GrpcFloorTest, KeysBeyondTheLimitAreRefusedAndNothingIsStored) {
  Start({"--keys_max=2"});
  v1::IncrementResponse inc;
  ASSERT_TRUE(Increment("a", 1, &inc).ok());
  ASSERT_TRUE(Increment("b", 1, &inc).ok());
  const grpc::Status s = Increment("c", 1, &inc);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("--keys_max=2"), std::string::npos);
  ASSERT_TRUE(Increment("a", 1, &inc).ok());  // held keys still work
  EXPECT_EQ(inc.value(), 2);
  v1::GetResponse got;
  ASSERT_TRUE(Get("c", &got).ok());
  EXPECT_FALSE(got.found());
}

TEST_F(GrpcFloorTest, AnswerDelayHoldsEveryAnswerAndLosesNone) {
  constexpr int64_t kDelayMs = 200;
  constexpr int kCalls = 8;
  Start({absl::StrCat("--answer_delay_us=", kDelayMs * 1000)});
  // Concurrent calls are all held, each at least the delay, and each answered.
  std::vector<std::thread> callers;
  std::vector<int64_t> took_ms(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      const auto t0 = std::chrono::steady_clock::now();
      v1::IncrementResponse inc;
      statuses[i] = Increment("shared", 1, &inc);
      took_ms[i] = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
    });
  }
  for (std::thread& t : callers) t.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_GE(took_ms[i], kDelayMs) << "call " << i;
  }
  v1::GetResponse got;
  ASSERT_TRUE(Get("shared", &got).ok());
  EXPECT_EQ(got.record().value(), absl::StrCat(kCalls));
}

// gryadka-bench --target at the floor, reading the floor's CPU with --cpu_pids: the command
// docs/performance.md uses to measure an empty gRPC server at the proposer's rate.
TEST_F(GrpcFloorTest, BenchReportsTheCpuOfAProcessGivenWithCpuPids) {
  Start({"--answer_delay_us=300"});
  process::ProcessSpec spec;
  spec.binary = GRYADKA_BENCH_BIN;
  spec.args = {absl::StrCat("--target=127.0.0.1:", port_),
               "--workload=incr",
               "--keys=100",
               "--concurrency=8",
               "--duration_s=1",
               "--warmup_s=0.2",
               "--report_cpu",
               absl::StrCat("--cpu_pids=grpc-floor=", process_->pid())};
  auto bench = process::ProcessHandle::Start(spec);
  ASSERT_TRUE(bench.ok()) << bench.status();
  ASSERT_TRUE((*bench)->WaitExit(kBenchTimeoutMs)) << (*bench)->LogTail();
  ASSERT_EQ((*bench)->exit_status(), 0) << (*bench)->LogTail();
  std::ifstream log((*bench)->log_path());
  std::stringstream text;
  text << log.rdbuf();
  std::smatch m;
  const std::string all = text.str();
  ASSERT_TRUE(
      std::regex_search(all, m, std::regex(R"re("cpu_us_per_op":\{[^}]*"grpc-floor":([0-9.]+))re")))
      << (*bench)->LogTail();
  EXPECT_GT(std::stod(m[1].str()), 0.0) << (*bench)->LogTail();
  EXPECT_NE(all.find("\"errors\":0,"), std::string::npos) << (*bench)->LogTail();
}

}  // namespace
}  // namespace gryadka::bench::compare
