// The asynchronous closed loop of gryadka-compare, the same for every system it drives
// (Gryadka, etcd, a single Redis). `concurrency` slots each keep exactly one operation
// outstanding; when it completes the slot records it and begins the next on a key drawn
// uniformly from `keys`. Slots are spread over `threads` workers; each worker owns one
// Connection (a system's client: its own event loop, e.g. a gRPC CompletionQueue or a libevent
// base) and is the only thread that touches its slots, so the hot path takes no lock.
//
// Accounting is by phase at completion time, as in gryadka-bench (bench/load/driver.h): only
// kMeasure completions make the result; failures completing in kDrain still count as errors.
// Latencies go to bench/load/histogram.h's LatencyHistogram.
//
// Thread-safety: ClosedLoop's public methods are called from one controlling thread; a
// Connection is used by its worker thread only (constructed on the controlling thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/histogram.h"

namespace gryadka::bench::compare {

// What one operation does (each system maps it to its own calls; see connections.h).
enum class Op {
  kIncrement,  // add 1 to the integer at the key, atomically
  kRead,       // linearizable read of the key
  kPrefill,    // write "0" to the key
};

// A slot whose operation failed waits this long before its next one, so an unreachable system
// does not turn the closed loop into a busy loop.
inline constexpr int64_t kErrorBackoffMs = 10;

// Told by a Connection, on its worker thread, how an operation or a backoff ended.
class SlotListener {
 public:
  virtual ~SlotListener() = default;
  // `ok` false = the operation failed (`error` names why, e.g. a gRPC code); `retries` = extra
  // round trips the system needed (etcd: compares that failed and were retried).
  virtual void OnDone(int slot, bool ok, const char* error, int retries) = 0;
  virtual void OnBackoffDone(int slot) = 0;
};

// One worker's client of a system. Every method runs on the worker's thread.
class Connection {
 public:
  virtual ~Connection() = default;
  // Begins `op` on `key` for `slot`; exactly one listener->OnDone(slot, ...) follows, from Run().
  virtual void Begin(int slot, Op op, const std::string& key) = 0;
  // listener->OnBackoffDone(slot) after `ms`, from Run().
  virtual void Backoff(int slot, int64_t ms) = 0;
  // Runs the event loop until Shutdown() and returns; REQUIRES: set_listener() before.
  virtual void Run() = 0;
  // Called when no slot has an operation outstanding and none will begin again.
  virtual void Shutdown() = 0;
  void set_listener(SlotListener* l) { listener_ = l; }

 protected:
  SlotListener* listener_ = nullptr;
};

// Makes worker `index`'s connection, serving `slots` slots (numbered 0..slots-1 for it).
using ConnectionFactory = std::function<std::unique_ptr<Connection>(int index, int slots)>;

struct LoopStats {
  LatencyHistogram latency;  // successful operations completed in kMeasure
  uint64_t ops = 0;          // successful operations completed in kMeasure
  uint64_t errors = 0;       // failed operations completed in kMeasure or kDrain
  uint64_t retries = 0;      // extra round trips of the kMeasure operations (etcd compares)
  uint64_t prefill_ops = 0;
  uint64_t prefill_errors = 0;
  uint64_t warmup_ops = 0;
  std::string first_error;  // the first failure's reason, "" if none
  void Merge(const LoopStats& other);
};

enum class Phase : int { kPrefill = 0, kWarmup = 1, kMeasure = 2, kDrain = 3 };

struct LoopSpec {
  Op op = Op::kIncrement;
  int concurrency = 1;
  int threads = 1;
  uint64_t keys = 1000;
  std::string key_prefix;  // keys are key_prefix + index
  uint64_t seed = 1;
  // kPrefill: key i for the i-th operation, each key once, then the slots stop by themselves.
  bool sequential_once = false;
};

class ClosedLoop {
 public:
  explicit ClosedLoop(ConnectionFactory factory);
  ~ClosedLoop();
  ClosedLoop(const ClosedLoop&) = delete;
  ClosedLoop& operator=(const ClosedLoop&) = delete;

  // Makes the connections and starts the workers in `phase`. REQUIRES: not running;
  // spec.concurrency >= 1, spec.threads >= 1, spec.keys >= 1.
  void Start(const LoopSpec& spec, Phase phase);
  void SetPhase(Phase phase) { phase_.store(static_cast<int>(phase), std::memory_order_release); }
  // True once every slot stopped by itself (sequential_once: every key written).
  bool Finished() const;
  // Stops beginning operations, waits for the outstanding ones (each bounded by the system
  // client's deadline), joins the workers and returns their merged counts.
  LoopStats StopAndJoin();

 private:
  class Worker;
  friend class Worker;

  const ConnectionFactory factory_;
  LoopSpec spec_;
  std::atomic<int> phase_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> issued_{0};  // sequential_once tickets
  std::atomic<int> workers_done_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace gryadka::bench::compare
