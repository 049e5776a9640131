// The gryadka.v1.Admin gRPC service (proto/gryadka/v1/admin.proto; docs/membership.md), served
// next to gryadka.v1.KV on the same port. Synchronous handlers (gRPC's thread pool): the calls
// are rare, and FenceAcceptors and Rescan block on Redis admin connections.
//
//   GetMembership   the running membership, its source, this proposer's id, and the rounds still
//                   running under older epochs (summed over shards; a shard that has not applied
//                   the running membership yet counts 1 more).
//   SetMembership   compare-and-set on the epoch (RunningMembership::Adopt, source "admin").
//   FenceAcceptors  fences every acceptor of the membership and of `also` in parallel, each
//                   bounded by --admin_redis_timeout_ms (connect) plus as much per command; one
//                   result per acceptor, the call itself fails only for a bad request.
//   Rescan          proposer/server/rescan.h.
//
// Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "gryadka/v1/admin.grpc.pb.h"
#include "proposer/server/metrics.h"
#include "proposer/server/options.h"
#include "proposer/server/running_membership.h"
#include "proposer/server/shard.h"

namespace gryadka::server {

// Acceptors one FenceAcceptors call may name (membership + also, distinct).
inline constexpr size_t kFenceAcceptorsMax = 256;

class AdminService final : public v1::Admin::Service {
 public:
  // Everything passed must outlive the service; `metrics` may be null.
  AdminService(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
               RunningMembership* membership, Metrics* metrics);

  grpc::Status GetMembership(grpc::ServerContext* ctx, const v1::GetMembershipRequest* req,
                             v1::GetMembershipResponse* resp) override;
  grpc::Status SetMembership(grpc::ServerContext* ctx, const v1::SetMembershipRequest* req,
                             v1::SetMembershipResponse* resp) override;
  grpc::Status FenceAcceptors(grpc::ServerContext* ctx, const v1::FenceAcceptorsRequest* req,
                              v1::FenceAcceptorsResponse* resp) override;
  grpc::Status Rescan(grpc::ServerContext* ctx, const v1::RescanRequest* req,
                      grpc::ServerWriter<v1::RescanProgress>* writer) override;

 private:
  const ServerOptions options_;
  const std::vector<std::unique_ptr<Shard>>& shards_;
  RunningMembership* const membership_;
  Metrics* const metrics_;
};

}  // namespace gryadka::server
