// grpc.health.v1.Health on gRPC's synchronous API, in place of gRPC's default health service.
// The default one runs on the callback API, whose shared polling threads would then take part
// in every call's network events (the KV calls' too) and nearly double the proposer's CPU per
// call; see docs/performance.md, "One thread per completion queue".
//
// Semantics are the default service's: Check of a service never set is NOT_FOUND; Watch sends
// the status (SERVICE_UNKNOWN for a service never set) at once and again on every change, until
// the caller cancels or the server shuts down. Shutdown() makes every service NOT_SERVING and
// ignores later changes. At most kWatchersMax Watch calls run at once (each holds one of the
// server's synchronous threads); more are RESOURCE_EXHAUSTED. Thread-safe.
#pragma once

#include <grpcpp/health_check_service_interface.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace gryadka::server {

class HealthService final : public grpc::health::v1::Health::Service,
                            public grpc::HealthCheckServiceInterface {
 public:
  static constexpr size_t kWatchersMax = 64;
  // How often a Watch call waiting for a change checks whether it was cancelled.
  static constexpr int64_t kWatchCancelCheckMs = 200;

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

  void SetServingStatus(const std::string& service_name, bool serving) override;
  // Every service set so far.
  void SetServingStatus(bool serving) override;
  void Shutdown() override;

 private:
  grpc::health::v1::HealthCheckResponse::ServingStatus StatusOf(const std::string& service) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, bool> serving_;  // guarded by mu_
  bool shut_down_ = false;               // guarded by mu_
  uint64_t changes_ = 0;                 // guarded by mu_
  size_t watchers_ = 0;                  // guarded by mu_
};

}  // namespace gryadka::server
