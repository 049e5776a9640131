// The gryadka.v1.KV gRPC service (callback API). Every RPC becomes one core request handed to
// the shard that owns its key; the reaction never blocks: the shard finishes the call when the
// round completes. The caller's deadline (cut to --max_deadline_ms; --default_deadline_ms when
// absent) bounds all work done for the call. A request that cannot be decoded, or fails
// core::ValidateRequest, is answered INVALID_ARGUMENT before any round. At --log_level=debug
// every failed call (a non-OK status; a decline is not a failure) is logged as "request failed"
// with its method, key (KeyForLog, kLogKeyBytesMax), gRPC code, message and duration, at most
// one line per kFailedRequestLogPeriodMs; each line counts the failures suppressed since the
// previous one. Thread-safe.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "proposer/server/logging.h"
#include "proposer/server/metrics.h"
#include "proposer/server/options.h"
#include "proposer/server/shard.h"

namespace gryadka::server {

// Every method is registered "raw" (grpc::ByteBuffer in and out) so that a request gRPC could
// not parse still gets a clear INVALID_ARGUMENT (proposer/server/request_wire.h); reflection
// still describes the methods with their gryadka.v1 message types.
using KvRawService = v1::KV::WithRawCallbackMethod_ChangeQuery<
    v1::KV::WithRawCallbackMethod_Get<v1::KV::WithRawCallbackMethod_Put<
        v1::KV::WithRawCallbackMethod_CompareAndSet<v1::KV::WithRawCallbackMethod_Increment<
            v1::KV::WithRawCallbackMethod_Delete<v1::KV::Service>>>>>>;

class KvService final : public KvRawService {
 public:
  static constexpr int64_t kFailedRequestLogPeriodMs = 1000;
  static constexpr size_t kLogKeyBytesMax = 64;  // key bytes shown in a "request failed" line

  // `shards` and `metrics` (may be null) must outlive the service.
  KvService(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
            Metrics* metrics);

  grpc::ServerUnaryReactor* ChangeQuery(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* req,
                                        grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* CompareAndSet(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* req,
                                          grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* Increment(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                   grpc::ByteBuffer* resp) override;

  // The shard that owns `key` (stable hash; exposed for tests).
  size_t ShardOf(const std::string& key) const;

  // Serves a call of `method` here like the method itself, but finishes `reactor` instead of
  // the call's default reactor: for a call the forwarder (proposer/server/forwarder.h) already
  // took and could not hand to its key's owner. The reactor is handed to the method through a
  // thread-local that the method consumes before it returns. REQUIRES: nothing has finished
  // `reactor` yet.
  void ServeWith(grpc::ServerUnaryReactor* reactor, Method method,
                 grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                 grpc::ByteBuffer* resp);

 private:
  // The reactor of the call: the one ServeWith() passes on this thread, else ctx's default.
  static grpc::ServerUnaryReactor* ReactorFor(grpc::CallbackServerContext* ctx);
  // Answers INVALID_ARGUMENT `status` at once (a request that could not be decoded).
  grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, Method method,
                                   const absl::Status& status);
  // Submits (key, change, query) and, on success, lets `fill` translate the core's response
  // into `*out` (serialized into the call's response buffer).
  template <typename Response>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, Method method,
                                const std::string& key, v1::ChangeOp change, v1::QueryOp query,
                                grpc::ByteBuffer* out,
                                void (*fill)(const v1::ChangeQueryResponse&, Response*));

  // Logs a failed call at debug, rate-limited (see the file comment).
  void LogFailure(Method method, const std::string& key, const absl::Status& status,
                  double seconds);

  const ServerOptions options_;
  const std::vector<std::unique_ptr<Shard>>& shards_;
  Metrics* const metrics_;
  CountingLogLimiter failure_log_limiter_{kFailedRequestLogPeriodMs};
};

}  // namespace gryadka::server
