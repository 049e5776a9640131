// HealthService (proposer/server/health_service.h) served by a real in-process gRPC server on a
// free loopback port, called through the generated grpc.health.v1 stub: Check and Watch answer
// as gRPC's default health service does.
#include "proposer/server/health_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace gryadka::server {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = Health::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }

  // The status Check answers for `service`, or -1 - the gRPC code when the call fails.
  int Check(const std::string& service) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status s = stub_->Check(&ctx, request, &response);
    return s.ok() ? response.status() : -1 - s.error_code();
  }

  using WatchReader = std::unique_ptr<grpc::ClientReader<HealthCheckResponse>>;

  // Starts Watch(service) on `ctx` (10 s deadline).
  WatchReader Watch(const std::string& service, grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Watch(ctx, request);
  }
  // The next status the watch sends, or -1 when the stream ended.
  static int Next(const WatchReader& reader) {
    HealthCheckResponse r;
    return reader->Read(&r) ? r.status() : -1;
  }
  // Cancels the watch, drains it, and returns how it ended.
  static grpc::Status Cancel(grpc::ClientContext* ctx, const WatchReader& reader) {
    ctx->TryCancel();
    while (Next(reader) != -1) {
    }
    return reader->Finish();
  }

  HealthService health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckAnswersTheStatusSetAndNotFoundForAServiceNeverSet) {
  health_.SetServingStatus("gryadka.v1.KV", true);
  health_.SetServingStatus("other", false);
  EXPECT_EQ(Check("gryadka.v1.KV"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("other"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check("never.set"), -1 - grpc::StatusCode::NOT_FOUND);
  health_.SetServingStatus(false);  // every service set so far
  EXPECT_EQ(Check("gryadka.v1.KV"), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, ShutdownMakesEveryServiceNotServingAndIgnoresLaterChanges) {
  health_.SetServingStatus("gryadka.v1.KV", true);
  health_.Shutdown();
  EXPECT_EQ(Check("gryadka.v1.KV"), HealthCheckResponse::NOT_SERVING);
  health_.SetServingStatus("gryadka.v1.KV", true);
  EXPECT_EQ(Check("gryadka.v1.KV"), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, WatchSendsTheStatusAtOnceAndOnEveryChangeUntilCancelled) {
  health_.SetServingStatus("gryadka.v1.KV", false);
  grpc::ClientContext ctx;
  const WatchReader reader = Watch("gryadka.v1.KV", &ctx);
  EXPECT_EQ(Next(reader), HealthCheckResponse::NOT_SERVING);
  health_.SetServingStatus("other", true);  // another service: nothing is sent
  health_.SetServingStatus("gryadka.v1.KV", true);
  EXPECT_EQ(Next(reader), HealthCheckResponse::SERVING);
  health_.SetServingStatus("gryadka.v1.KV", false);
  EXPECT_EQ(Next(reader), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Cancel(&ctx, reader).error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(HealthServiceTest, WatchOfAServiceNeverSetSendsServiceUnknownThenItsFirstStatus) {
  grpc::ClientContext ctx;
  const WatchReader reader = Watch("later", &ctx);
  EXPECT_EQ(Next(reader), HealthCheckResponse::SERVICE_UNKNOWN);
  health_.SetServingStatus("later", true);
  EXPECT_EQ(Next(reader), HealthCheckResponse::SERVING);
  Cancel(&ctx, reader);
}

}  // namespace
}  // namespace gryadka::server
