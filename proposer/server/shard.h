// A shard: one I/O thread running a libevent loop that owns one core::Proposer and one
// connection per acceptor. Keys are hashed to shards, so a key's state lives in exactly one
// shard and no lock guards the request path: other threads only hand requests over through a
// mutex-protected inbox that the loop drains once per wakeup (so requests arriving together
// leave for Redis together, pipelined).
//
// Thread-safety: Submit(), HealthyMask() and Stats() may be called from any thread; everything
// else happens on the shard's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "acceptor_adapter/acceptor.h"
#include "proposer/core/proposer.h"
#include "proposer/server/options.h"

struct event;
struct event_base;

namespace gryadka::server {

// Milliseconds of the process-wide steady clock: the clock of every deadline_ms and now_ms.
int64_t NowMs();

class Shard {
 public:
  // Called exactly once per submitted request: on the shard's thread, or on the caller's
  // thread when the request is refused at once (inbox full).
  using Done = std::function<void(core::Completion&&)>;

  // Requests handed over but not yet taken by the loop; more are RESOURCE_EXHAUSTED.
  static constexpr size_t kInboxRequestsMax = 100000;

  // REQUIRES: evthread_use_pthreads() was called; config.Validate().ok().
  Shard(int index, const core::ProposerConfig& config, const ServerOptions& options,
        uint64_t ballot_proposer_id, uint64_t seed);
  ~Shard();  // Stop()s if running.
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Starts the loop thread and connects to the acceptors.
  void Start();
  // Fails every request still waiting with ABORTED (outcome unknown), stops the loop and joins
  // the thread. REQUIRES: no Submit() after Stop() begins (stop the gRPC server first).
  void Stop();

  // Hands a request to the shard. Thread-safe. Refuses it (RESOURCE_EXHAUSTED, nothing
  // written) when kInboxRequestsMax requests already wait for the loop.
  void Submit(core::ClientRequest request, Done done);

  // Bit i set = acceptor i healthy as seen by this shard (refreshed every health period).
  uint64_t HealthyMask() const { return healthy_mask_.load(std::memory_order_relaxed); }
  // The core's counters and gauges (refreshed every health period).
  struct Snapshot {
    core::ProposerStats stats;
    size_t requests_in_flight = 0;
    size_t cache_entries = 0;
  };
  Snapshot TakeSnapshot() const;
  uint64_t ballot_proposer_id() const { return core_.proposer_id(); }

 private:
  struct Posted {
    core::ClientRequest request;
    Done done;
  };

  void Run();
  void DrainInbox();
  void OnReply(const core::AcceptorReply& reply);
  void Flush();
  void ArmTimer();
  void OnTimer();
  void OnPeriodic();
  void FailAllPending();

  static void WakeCallback(int, short, void* arg);
  static void TimerCallback(int, short, void* arg);
  static void PeriodicCallback(int, short, void* arg);
  static void StopCallback(int, short, void* arg);

  const int index_;
  const ServerOptions options_;
  event_base* base_ = nullptr;
  event* wake_event_ = nullptr;
  event* timer_event_ = nullptr;
  event* periodic_event_ = nullptr;
  event* stop_event_ = nullptr;
  std::thread thread_;
  bool running_ = false;
  bool stopping_ = false;  // loop thread only: new requests are refused

  std::mutex mu_;
  std::vector<Posted> inbox_ ABSL_GUARDED_BY(mu_);
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  core::Proposer core_;
  std::vector<std::unique_ptr<acceptor::Acceptor>> acceptors_;
  absl::flat_hash_map<uint64_t, Done> pending_;
  uint64_t next_request_id_ = 1;
  bool in_flush_ = false;
  int64_t armed_at_ms_ = -1;

  std::atomic<uint64_t> healthy_mask_{0};
  mutable std::mutex stats_mu_;
  Snapshot snapshot_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace gryadka::server
