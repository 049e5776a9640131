// Driver: the asynchronous closed loop of gryadka-bench. --concurrency slots each keep exactly
// one operation outstanding; when it completes the slot records it and issues the next. Slots
// are spread over --threads gRPC CompletionQueues, one thread each; a slot lives on one queue
// and is touched only by that queue's thread, so the hot path takes no lock. Raw generated
// stubs (gryadka.v1.KV) over one or more channels per target; with --routing=affine a key is
// routed to its target by rendezvous hashing (client/rendezvous.h), like gryadka::Client does;
// with --routing=random each operation goes to a target chosen at random (a CAS keeps its target
// for both calls).
//
// --fault runs also record, per thread, a per-millisecond timeline of successful completions
// (timeline.h) and a latency histogram per FaultWindow, by offset from BeginMeasure().
//
// Accounting is by phase at completion time: kPrefill and kWarmup completions are counted
// apart; kMeasure completions make the result (latency of successful operations, errors by
// gRPC code, declined CAS); failures completing in kDrain (after the window) still count as
// errors so that none hides in the tail.
//
// Thread-safety: Start/SetPhase/Finished/completed/StopAndJoin are called from one controlling
// thread; the driver's own threads do the rest.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/histogram.h"
#include "bench/load/options.h"
#include "bench/load/timeline.h"
#include "gryadka/v1/kv.grpc.pb.h"

namespace gryadka::client {
class Rendezvous;
}  // namespace gryadka::client

namespace gryadka::bench {

inline constexpr int kGrpcCodes = 17;  // OK .. UNAUTHENTICATED
// A slot whose call failed waits this long before its next operation, so an unreachable
// cluster does not turn the closed loop into a busy loop.
inline constexpr int64_t kErrorBackoffMs = 10;

// gRPC status code name ("UNAVAILABLE"); "UNKNOWN" for codes outside 0..16.
const char* GrpcCodeName(int code);

// One proposer: its channels (several = several TCP connections) and a stub per channel.
struct Endpoint {
  std::string target;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::KV::Stub>> stubs;  // parallel to channels
};

// Creates `channels` independent channels (no shared subchannel, so one connection each) to
// every target, and waits up to `connect_timeout_ms` for each to connect. Errors name the target.
absl::StatusOr<std::vector<std::unique_ptr<Endpoint>>> ConnectEndpoints(
    const std::vector<std::string>& targets, int channels, int64_t connect_timeout_ms);

enum class Phase : int { kPrefill = 0, kWarmup = 1, kMeasure = 2, kDrain = 3 };

struct RunSpec {
  Workload workload;
  KeyOrder key_order = KeyOrder::kRandom;
  uint64_t max_ops = 0;  // operations to issue in total; 0 = until StopAndJoin
  // Prefill: every operation is a Put of the initial value ("0" for incr, --value_bytes bytes
  // otherwise); use with kSequential and max_ops = --keys.
  bool prefill = false;
};

struct RunStats {
  LatencyHistogram latency;  // successful operations completed in kMeasure
  uint64_t ops = 0;          // successful operations completed in kMeasure
  std::array<uint64_t, kGrpcCodes> errors_by_code{};  // failed calls in kMeasure and kDrain
  uint64_t conflicts = 0;     // CAS declined (the version moved between Get and CAS)
  uint64_t declined = 0;      // increments declined (the stored value is not an integer)
  uint64_t prefill_ops = 0;
  uint64_t prefill_errors = 0;
  uint64_t warmup_ops = 0;
  uint64_t warmup_errors = 0;
  // --fault only: successful kMeasure completions per ms, and their latency per FaultWindow
  // (by scheduled fault times).
  Timeline timeline;
  std::array<LatencyHistogram, kFaultWindows> window_latency;

  uint64_t errors() const;
  void Merge(const RunStats& other);
};

class Driver {
 public:
  // `endpoints` (indexed like options.targets, or the spawned cluster's targets) must outlive
  // the driver.
  Driver(const BenchOptions& options, const std::vector<std::unique_ptr<Endpoint>>& endpoints);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Starts the threads and every slot. REQUIRES: not running.
  void Start(const RunSpec& spec, Phase phase);
  void SetPhase(Phase phase) { phase_.store(static_cast<int>(phase), std::memory_order_relaxed); }
  // Starts the measured window now (the origin of the timeline) and returns that instant.
  std::chrono::steady_clock::time_point BeginMeasure();
  // True once every slot has stopped on its own (RunSpec::max_ops issued and answered).
  bool Finished() const;
  // Operations completed so far, in any phase (for progress lines).
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  // Stops issuing, waits for the outstanding calls (each bounded by --deadline_ms), joins the
  // threads and returns the merged counts.
  RunStats StopAndJoin();

 private:
  class Worker;
  friend class Worker;

  const BenchOptions& options_;
  const std::vector<std::unique_ptr<Endpoint>>& endpoints_;
  const std::string key_prefix_;
  const std::string value_;          // --value_bytes bytes
  std::unique_ptr<client::Rendezvous> rendezvous_;  // key -> index into endpoints_

  RunSpec spec_;
  std::atomic<int> phase_{0};
  std::atomic<int64_t> measure_start_ns_{0};  // steady clock, set by BeginMeasure()
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> issued_{0};     // tickets: sequential keys and max_ops
  std::atomic<uint64_t> completed_{0};
  std::atomic<int> workers_done_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace gryadka::bench
