#include "proposer/server/metrics.h"

#include "absl/strings/str_cat.h"
#include "client/version.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/metric_family.h"
#include "proposer/server/metric_family.h"
#include "proposer/server/process_metrics.h"

namespace gryadka::server {
namespace {

constexpr const char* kMethodNames[] = {"ChangeQuery", "Get", "Put", "CompareAndSet", "Increment", "Delete"};
constexpr const char* kCodeNames[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

}  // namespace

// Reads the shards' snapshots at scrape time.
class Metrics::ShardCollector : public prometheus::Collectable {
 public:
  ShardCollector(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
                 const RunningMembership* membership)
      : options_(options), shards_(shards), membership_(membership) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    core::ProposerStats t;
    size_t in_flight = 0, cache_entries = 0;
    for (const auto& s : shards_) {
      Shard::Snapshot snap = s->TakeSnapshot();
      const core::ProposerStats& st = snap.stats;
      t.requests_submitted += st.requests_submitted;
      t.rounds_one_rtt += st.rounds_one_rtt;
      t.rounds_two_rtt += st.rounds_two_rtt;
      t.rounds_succeeded += st.rounds_succeeded;
      t.rounds_failed += st.rounds_failed;
      t.reads_skipped_accept += st.reads_skipped_accept;
      t.prepare_conflicts += st.prepare_conflicts;
      t.accept_conflicts += st.accept_conflicts;
      t.phase_timeouts += st.phase_timeouts;
      t.straggler_timeouts += st.straggler_timeouts;
      t.accepts_held += st.accepts_held;
      t.accepts_held_sent += st.accepts_held_sent;
      t.retries_resolved_applied += st.retries_resolved_applied;
      t.cache_evictions += st.cache_evictions;
      t.fenced_replies += st.fenced_replies;
      in_flight += snap.requests_in_flight;
      cache_entries += snap.cache_entries;
    }
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    auto rounds = Family("gryadka_rounds_total", "Paxos rounds started, by path (one_rtt skipped prepare).", MetricType::Counter);
    AddValue(&rounds, t.rounds_one_rtt, {{"path", "one_rtt"}});
    AddValue(&rounds, t.rounds_two_rtt, {{"path", "two_rtt"}});
    out.push_back(rounds);
    auto results = Family("gryadka_round_results_total", "Rounds finished, by result.", MetricType::Counter);
    AddValue(&results, t.rounds_succeeded, {{"result", "succeeded"}});
    AddValue(&results, t.rounds_failed, {{"result", "failed"}});
    out.push_back(results);
    auto conflicts = Family("gryadka_conflicts_total", "Conflict replies from acceptors, by phase.", MetricType::Counter);
    AddValue(&conflicts, t.prepare_conflicts, {{"phase", "prepare"}});
    AddValue(&conflicts, t.accept_conflicts, {{"phase", "accept"}});
    out.push_back(conflicts);
    auto simple = [&](const char* name, const char* help, double v, MetricType type) {
      out.push_back(OneValueFamily(name, help, type, v));
    };
    simple("gryadka_requests_submitted_total", "Requests handed to the protocol core.", t.requests_submitted, MetricType::Counter);
    simple("gryadka_reads_skipped_accept_total", "Rounds answered without an accept (value already chosen).", t.reads_skipped_accept, MetricType::Counter);
    simple("gryadka_phase_timeouts_total", "Prepare/accept phases that timed out.", t.phase_timeouts, MetricType::Counter);
    simple("gryadka_straggler_timeouts_total", "Phases given up on acceptors that stayed silent while the others had answered.", t.straggler_timeouts, MetricType::Counter);
    simple("gryadka_accepts_held_total", "Accept messages held back at first (--accept_quorum_first).", t.accepts_held, MetricType::Counter);
    simple("gryadka_accepts_held_sent_total", "Held-back accept messages sent after all: a refusal, an error or the hedge.", t.accepts_held_sent, MetricType::Counter);
    simple("gryadka_retries_resolved_applied_total", "Retries that found a lost accept already applied.", t.retries_resolved_applied, MetricType::Counter);
    simple("gryadka_cache_evictions_total", "1-RTT cache entries evicted by the LRU bound.", t.cache_evictions, MetricType::Counter);
    simple("gryadka_requests_in_flight", "Requests inside the protocol core.", static_cast<double>(in_flight), MetricType::Gauge);
    simple("gryadka_cache_entries", "1-RTT cache entries.", static_cast<double>(cache_entries), MetricType::Gauge);
    simple("gryadka_fenced_replies_total", "Acceptor replies refusing a round of an older membership epoch.", t.fenced_replies, MetricType::Counter);
    std::shared_ptr<const AppliedMembership> m = membership_->Current();
    simple("gryadka_membership_epoch", "Epoch of the membership this proposer runs.", static_cast<double>(m->membership.epoch()), MetricType::Gauge);
    auto up = Family("gryadka_acceptor_up", "1 if the acceptor (of the running membership) is connected and answers health checks.", MetricType::Gauge);
    const std::vector<bool> healthy = shards_.empty() ? std::vector<bool>{} : shards_[0]->TakeSnapshot().healthy;
    for (core::AcceptorId id : m->members) {
      const bool ok = static_cast<size_t>(id) < healthy.size() && healthy[id];
      AddValue(&up, ok ? 1 : 0, {{"acceptor", m->addresses[id]}});
    }
    out.push_back(up);
    return out;
  }

 private:
  const ServerOptions options_;
  const std::vector<std::unique_ptr<Shard>>& shards_;
  const RunningMembership* const membership_;
};

Metrics::Metrics(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
                 const RunningMembership* membership)
    : registry_(std::make_shared<prometheus::Registry>()),
      collector_(std::make_shared<ShardCollector>(options, shards, membership)),
      process_collector_(std::make_shared<ProcessCollector>()) {
  prometheus::BuildGauge()
      .Name("gryadka_build_info")
      .Help("Always 1; the labels say which build of gryadka-proposer this is.")
      .Register(*registry_)
      .Add({{"version", ProjectVersion()},
            {"build_type", BuildType()},
            {"assertions", AssertionsEnabled() ? "on" : "off"}})
      .Set(1);
  auto& rescan = prometheus::BuildCounter()
                     .Name("gryadka_rescan_keys_total")
                     .Help("Keys found by Admin.Rescan, by result (rewritten through the accept set, skipped as not a readable register, failed after retries).")
                     .Register(*registry_);
  rescan_keys_[static_cast<int>(RescanResult::kRewritten)] = &rescan.Add({{"result", "rewritten"}});
  rescan_keys_[static_cast<int>(RescanResult::kSkipped)] = &rescan.Add({{"result", "skipped"}});
  rescan_keys_[static_cast<int>(RescanResult::kFailed)] = &rescan.Add({{"result", "failed"}});
  auto& calls = prometheus::BuildCounter()
                    .Name("gryadka_calls_total")
                    .Help("gRPC calls finished, by method and status code.")
                    .Register(*registry_);
  auto& latency = prometheus::BuildHistogram()
                      .Name("gryadka_call_duration_seconds")
                      .Help("Time from a call's arrival to its answer, by method.")
                      .Register(*registry_);
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  for (int m = 0; m < static_cast<int>(Method::kCount); ++m) {
    for (int c = 0; c < kCodes; ++c) {
      calls_[m][c] = &calls.Add({{"method", kMethodNames[m]}, {"code", kCodeNames[c]}});
    }
    latency_[m] = &latency.Add({{"method", kMethodNames[m]}}, buckets);
  }
}

Metrics::~Metrics() = default;

absl::Status Metrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(collector_);
  exposer_->RegisterCollectable(process_collector_);
  return absl::OkStatus();
}

void Metrics::RecordRescanKeys(RescanResult result, uint64_t keys) {
  rescan_keys_[static_cast<int>(result)]->Increment(static_cast<double>(keys));
}

void Metrics::RecordCall(Method method, absl::StatusCode code, double seconds) {
  const int c = static_cast<int>(code);
  const int m = static_cast<int>(method);
  if (c >= 0 && c < kCodes) calls_[m][c]->Increment();
  latency_[m]->Observe(seconds);
}

}  // namespace gryadka::server
