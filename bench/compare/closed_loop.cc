#include "bench/compare/closed_loop.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "proposer/core/random.h"

namespace gryadka::bench::compare {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void LoopStats::Merge(const LoopStats& o) {
  latency.Merge(o.latency);
  ops += o.ops;
  errors += o.errors;
  retries += o.retries;
  prefill_ops += o.prefill_ops;
  prefill_errors += o.prefill_errors;
  warmup_ops += o.warmup_ops;
  if (first_error.empty()) first_error = o.first_error;
}

// One thread: its connection's event loop and the slots it serves.
class ClosedLoop::Worker : public SlotListener {
 public:
  Worker(ClosedLoop* loop, std::unique_ptr<Connection> connection, int slots, uint64_t seed)
      : loop_(loop), connection_(std::move(connection)), slots_(slots), rng_(seed) {
    connection_->set_listener(this);
  }

  void Run() {
    active_ = static_cast<int>(slots_.size());
    for (int s = 0; s < static_cast<int>(slots_.size()); ++s) Next(s);
    connection_->Run();
    loop_->workers_done_.fetch_add(1, std::memory_order_release);
  }

  const LoopStats& stats() const { return stats_; }

  void OnDone(int slot, bool ok, const char* error, int retries) override {
    const Phase p = static_cast<Phase>(loop_->phase_.load(std::memory_order_acquire));
    if (!ok) {
      if (stats_.first_error.empty()) stats_.first_error = error;
      switch (p) {
        case Phase::kPrefill:
          ++stats_.prefill_errors;
          break;
        case Phase::kWarmup:
          break;
        case Phase::kMeasure:
        case Phase::kDrain:
          ++stats_.errors;
          break;
      }
      if (loop_->stopping_.load(std::memory_order_relaxed)) return Retire();
      // A prefill write that failed is not retried: it counts as a prefill error.
      return connection_->Backoff(slot, kErrorBackoffMs);
    }
    switch (p) {
      case Phase::kPrefill:
        ++stats_.prefill_ops;
        break;
      case Phase::kWarmup:
        ++stats_.warmup_ops;
        break;
      case Phase::kMeasure:
        ++stats_.ops;
        stats_.retries += static_cast<uint64_t>(retries);
        stats_.latency.Record(NowNs() - slots_[static_cast<size_t>(slot)].start_ns);
        break;
      case Phase::kDrain:
        break;
    }
    Next(slot);
  }

  void OnBackoffDone(int slot) override { Next(slot); }

 private:
  struct Slot {
    std::string key;
    int64_t start_ns = 0;
  };

  void Retire() {
    if (--active_ == 0) connection_->Shutdown();
  }

  void Next(int slot) {
    if (loop_->stopping_.load(std::memory_order_relaxed)) return Retire();
    const LoopSpec& spec = loop_->spec_;
    uint64_t key_index = 0;
    if (spec.sequential_once) {
      key_index = loop_->issued_.fetch_add(1, std::memory_order_relaxed);
      if (key_index >= spec.keys) return Retire();
    } else {
      key_index = rng_.Uniform(spec.keys);
    }
    Slot& s = slots_[static_cast<size_t>(slot)];
    s.key.assign(spec.key_prefix);
    absl::StrAppend(&s.key, key_index);
    s.start_ns = NowNs();
    connection_->Begin(slot, spec.sequential_once ? Op::kPrefill : spec.op, s.key);
  }

  ClosedLoop* const loop_;
  std::unique_ptr<Connection> connection_;
  std::vector<Slot> slots_;
  core::Random rng_;
  int active_ = 0;
  LoopStats stats_;
};

ClosedLoop::ClosedLoop(ConnectionFactory factory) : factory_(std::move(factory)) {}

ClosedLoop::~ClosedLoop() {
  if (!threads_.empty()) StopAndJoin();
}

void ClosedLoop::Start(const LoopSpec& spec, Phase phase) {
  spec_ = spec;
  SetPhase(phase);
  stopping_.store(false);
  issued_.store(0);
  workers_done_.store(0);
  workers_.clear();
  const int threads = std::min(spec.threads, spec.concurrency);
  for (int t = 0; t < threads; ++t) {
    const int slots = spec.concurrency / threads + (t < spec.concurrency % threads ? 1 : 0);
    workers_.push_back(
        std::make_unique<Worker>(this, factory_(t, slots), slots, spec.seed * 1000003 + t));
  }
  for (auto& w : workers_) threads_.emplace_back([w = w.get()] { w->Run(); });
}

bool ClosedLoop::Finished() const {
  return workers_done_.load(std::memory_order_acquire) == static_cast<int>(workers_.size());
}

LoopStats ClosedLoop::StopAndJoin() {
  stopping_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
  LoopStats total;
  for (const auto& w : workers_) total.Merge(w->stats());
  workers_.clear();
  return total;
}

}  // namespace gryadka::bench::compare
