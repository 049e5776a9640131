// The gryadka.v1.KV methods served by this proposer. Every call becomes one core request
// handed to the shard that owns its key; serving never blocks: the shard finishes the call when
// the round completes. The caller's deadline (cut to --max_deadline_ms; --default_deadline_ms
// when absent) bounds all work done for the call. A request that cannot be decoded, or fails
// core::ValidateRequest, is answered INVALID_ARGUMENT before any round. At --log_level=debug
// every failed call (a non-OK status; a decline is not a failure) is logged as "request failed"
// with its method, key (KeyForLog, kLogKeyBytesMax), gRPC code, message and duration, at most
// one line per kFailedRequestLogPeriodMs; each line counts the failures suppressed since the
// previous one. Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "gryadka/v1/kv.pb.h"
#include "proposer/server/logging.h"
#include "proposer/server/metrics.h"
#include "proposer/server/options.h"
#include "proposer/server/server_call.h"
#include "proposer/server/shard.h"

namespace gryadka::server {

class KvService final {
 public:
  static constexpr int64_t kFailedRequestLogPeriodMs = 1000;
  static constexpr size_t kLogKeyBytesMax = 64;  // key bytes shown in a "request failed" line

  // `shards` and `metrics` (may be null) must outlive the service.
  KvService(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
            Metrics* metrics);

  // Serves `call` (any KV method) here and finishes it. Thread-safe.
  void Serve(ServerCall* call);

  // The shard that owns `key` (stable hash; exposed for tests).
  size_t ShardOf(const std::string& key) const;

 private:
  // Answers INVALID_ARGUMENT `status` at once (a request that could not be decoded).
  void Reject(ServerCall* call, const absl::Status& status);
  // Submits (key, change, query) and, on success, lets `fill` translate the core's response
  // into the call's response (serialized).
  template <typename Response>
  void Run(ServerCall* call, const std::string& key, v1::ChangeOp change, v1::QueryOp query,
           void (*fill)(const v1::ChangeQueryResponse&, Response*));
  void ChangeQuery(ServerCall* call);
  void Get(ServerCall* call);
  void Put(ServerCall* call);
  void CompareAndSet(ServerCall* call);
  void Increment(ServerCall* call);
  void Delete(ServerCall* call);

  // Logs a failed call at debug, rate-limited (see the file comment).
  void LogFailure(Method method, const std::string& key, const absl::Status& status,
                  double seconds);

  const ServerOptions options_;
  const std::vector<std::unique_ptr<Shard>>& shards_;
  Metrics* const metrics_;
  CountingLogLimiter failure_log_limiter_{kFailedRequestLogPeriodMs};
};

}  // namespace gryadka::server
