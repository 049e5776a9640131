// The proposer's grpc.health.v1 services and the optional plaintext health-only port
// (--health_listen; docs/security.md, "The health port").
//
// Service names, served on the --listen port and on the health port alike:
//   "" and kReadinessService  SERVING while a prepare and an accept quorum of acceptors answer
//                             and the proposer is not draining (the readiness probe).
//   kLivenessService          SERVING from start until the process exits, whatever Redis does
//                             (the liveness probe: losing the acceptor quorum must not make an
//                             orchestrator restart a proposer that can do nothing about it).
//                             What it detects: the process is up and its gRPC server answers
//                             (a crashed or wedged gRPC server fails the probe by timing out).
//                             What it does NOT detect: a stuck shard event loop or anything
//                             about the acceptors; it is a constant SERVING otherwise.
//
// Thread-safety: SetReadiness() may be called from any thread (HealthService locks).
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proposer/server/health_service.h"

namespace gryadka::server {

inline constexpr char kReadinessService[] = "gryadka.v1.KV";
inline constexpr char kLivenessService[] = "gryadka.v1.KV.liveness";

// Sets the readiness statuses ("" and kReadinessService) on every service in `services`.
void SetReadiness(const std::vector<grpc::HealthCheckServiceInterface*>& services, bool serving);

// Initial statuses of a freshly started server's health service: not ready, alive.
void InitHealthStatuses(grpc::HealthCheckServiceInterface* service);

// A plaintext gRPC server that serves ONLY grpc.health.v1 (a HealthService): no other service
// and no server plugin (so no reflection); every other method is UNIMPLEMENTED.
class HealthServer {
 public:
  // Starts it on `address` (HOST:PORT). Returns UNAVAILABLE naming the address when it cannot
  // listen there. Statuses start as InitHealthStatuses() sets them.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& address);

  grpc::HealthCheckServiceInterface* health() { return &health_; }
  // Stops accepting calls and waits for those in flight until `deadline`, then cancels them.
  void Shutdown(std::chrono::system_clock::time_point deadline);

 private:
  HealthServer() = default;
  HealthService health_;
  std::unique_ptr<grpc::Server> server_;  // after health_: destroyed first
};

}  // namespace gryadka::server
