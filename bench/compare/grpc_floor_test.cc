// gryadka-grpc-floor as gryadka-compare uses it: a real process on a free loopback port, called
// through the generated gryadka.v1.KV stub.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/shared/process_handle.h"
#include "gryadka/v1/kv.grpc.pb.h"

namespace gryadka::bench::compare {
namespace {

constexpr int64_t kReadyTimeoutMs = 10000;

class GrpcFloorTest : public ::testing::Test {
 protected:
  // Starts the floor with `extra` flags and waits until it answers.
  void Start(std::vector<std::string> extra = {}) {
    auto port = process::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
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

}  // namespace
}  // namespace gryadka::bench::compare
