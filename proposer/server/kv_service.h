// The gryadka.v1.KV gRPC service (callback API). Every RPC becomes one core request handed to
// the shard that owns its key; the reaction never blocks: the shard finishes the call when the
// round completes. The caller's deadline (cut to --max_deadline_ms; --default_deadline_ms when
// absent) bounds all work done for the call. Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "gryadka/v1/kv.grpc.pb.h"
#include "proposer/server/metrics.h"
#include "proposer/server/options.h"
#include "proposer/server/shard.h"

namespace gryadka::server {

class KvService final : public v1::KV::CallbackService {
 public:
  // `shards` and `metrics` (may be null) must outlive the service.
  KvService(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
            Metrics* metrics);

  grpc::ServerUnaryReactor* ChangeQuery(grpc::CallbackServerContext* ctx,
                                        const v1::ChangeQueryRequest* req,
                                        v1::ChangeQueryResponse* resp) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::GetResponse* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const v1::PutRequest* req,
                                v1::PutResponse* resp) override;
  grpc::ServerUnaryReactor* CompareAndSet(grpc::CallbackServerContext* ctx,
                                          const v1::CompareAndSetRequest* req,
                                          v1::CompareAndSetResponse* resp) override;
  grpc::ServerUnaryReactor* Increment(grpc::CallbackServerContext* ctx,
                                      const v1::IncrementRequest* req,
                                      v1::IncrementResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override;

  // The shard that owns `key` (stable hash; exposed for tests).
  size_t ShardOf(const std::string& key) const;

 private:
  // Submits (key, change, query) and, on success, lets `fill` translate the core's response.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, Method method,
                                const std::string& key,
                                v1::ChangeOp change, v1::QueryOp query,
                                std::function<void(const v1::ChangeQueryResponse&)> fill);

  const ServerOptions options_;
  const std::vector<std::unique_ptr<Shard>>& shards_;
  Metrics* const metrics_;
};

}  // namespace gryadka::server
