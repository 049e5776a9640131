// Prometheus metrics of a proposer process, served at http://<--metrics_listen>/metrics.
//
// Per-call metrics (requests by method and status code, latency histogram) are recorded by the
// gRPC service as calls finish; protocol counters (rounds by path, conflicts, timeouts, cache)
// and acceptor health are read from the shards' snapshots at scrape time; the membership epoch
// from the running membership; rescan progress is recorded by the Admin service; the standard
// process_* metrics (CPU, memory, descriptors) are read from /proc at scrape time.
// Thread-safe: RecordCall() and RecordRescanKeys() may be called from any thread.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proposer/server/options.h"
#include "proposer/server/running_membership.h"
#include "proposer/server/shard.h"

namespace prometheus {
class Exposer;
}

namespace gryadka::server {

enum class Method { kChangeQuery = 0, kGet, kPut, kCompareAndSet, kIncrement, kDelete, kCount };
// What became of a key a rescan found (gryadka_rescan_keys_total{result}).
enum class RescanResult { kRewritten = 0, kSkipped, kFailed, kCount };

class Metrics {
 public:
  // `shards` and `membership` must outlive the Metrics.
  Metrics(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
          const RunningMembership* membership);
  ~Metrics();

  // Starts serving /metrics on `address` (HOST:PORT). Errors name the address.
  absl::Status Serve(const std::string& address);

  void RecordCall(Method method, absl::StatusCode code, double seconds);
  void RecordRescanKeys(RescanResult result, uint64_t keys);
  // The registry behind /metrics, for components that keep their own metrics (the forwarder).
  prometheus::Registry* registry() { return registry_.get(); }

 private:
  class ShardCollector;
  static constexpr int kCodes = 17;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ShardCollector> collector_;
  std::shared_ptr<prometheus::Collectable> process_collector_;  // process_* (process_metrics.h)
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::array<std::array<prometheus::Counter*, kCodes>, static_cast<int>(Method::kCount)> calls_{};
  std::array<prometheus::Histogram*, static_cast<int>(Method::kCount)> latency_{};
  std::array<prometheus::Counter*, static_cast<int>(RescanResult::kCount)> rescan_keys_{};
};

}  // namespace gryadka::server
