// A shard: one I/O thread running a libevent loop that owns one core::Proposer and one
// connection per acceptor. Keys are hashed to shards, so a key's state lives in exactly one
// shard and no lock guards the request path: other threads only hand requests over through a
// mutex-protected inbox that the loop drains once per wakeup (so requests arriving together
// leave for Redis together, pipelined).
//
// Membership (docs/membership.md): the shard runs the process's AppliedMembership. A new one is
// handed over with PostMembership() (thread-safe, like Submit's inbox) and applied at the start
// of the loop's next turn: connections to new acceptors are opened, the core is Reconfigure()d
// (rounds in flight keep the configuration they started with), and connections to acceptors
// that left are closed once no round uses them any more (core rounds_in_older_epochs() == 0,
// checked every periodic tick). After each loop turn the core's fence notice, if any, goes to
// the FenceHandler (an acceptor refused a round of an older epoch and returned its membership).
//
// Thread-safety: Submit(), PostMembership(), TakeSnapshot() and ballot_proposer_id() may be
// called from any thread; everything else happens on the shard's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "acceptor_adapter/acceptor.h"
#include "proposer/core/proposer.h"
#include "proposer/server/options.h"
#include "proposer/server/running_membership.h"

struct event;
struct event_base;

namespace gryadka::server {

// Milliseconds of the process-wide steady clock: the clock of every deadline_ms and now_ms.
int64_t NowMs();

// The shard (of `shards`) that owns `key`: a fixed hash (FNV-1a), so the map does not change
// between runs. REQUIRES: shards > 0.
size_t ShardOfKey(const std::string& key, size_t shards);

class Shard {
 public:
  // Called exactly once per submitted request: on the shard's thread, or on the caller's
  // thread when the request is refused at once (inbox full).
  using Done = std::function<void(core::Completion&&)>;
  // Receives a fence notice of the core (on the shard's thread) with the address of the
  // acceptor that sent it. Must not block.
  using FenceHandler =
      std::function<void(const core::FenceNotice& notice, const std::string& acceptor_address)>;

  // Requests handed over but not yet taken by the loop; more are RESOURCE_EXHAUSTED.
  static constexpr size_t kInboxRequestsMax = 100000;

  // REQUIRES: evthread_use_pthreads() was called; membership->config.Validate().ok().
  Shard(int index, std::shared_ptr<const AppliedMembership> membership,
        const ServerOptions& options, uint64_t ballot_proposer_id, uint64_t seed,
        FenceHandler on_fence);
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

  // Hands a newer membership to the shard. Thread-safe; applied on the loop's next turn (a
  // membership whose epoch is not higher than the shard's is ignored).
  void PostMembership(std::shared_ptr<const AppliedMembership> membership);

  // The core's counters and gauges and the acceptors' health (refreshed every periodic tick and
  // when a membership is applied).
  struct Snapshot {
    core::ProposerStats stats;
    size_t requests_in_flight = 0;
    size_t cache_entries = 0;
    uint64_t epoch = 0;                  // of the membership the shard runs
    uint64_t rounds_in_older_epochs = 0;
    std::vector<bool> healthy;           // by AcceptorId; absent/closed = false
    // By AcceptorId: whether healthy[id] is a verdict yet (Acceptor::HealthKnown(); absent or
    // closed = true), and why an unhealthy acceptor is down (Acceptor::HealthError()).
    std::vector<bool> health_known;
    std::vector<std::string> health_errors;
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
  void ApplyMembership(std::shared_ptr<const AppliedMembership> membership);
  // Closes connections to acceptors outside the running membership once no round uses them.
  void CloseRetiredAcceptors(size_t rounds_in_older_epochs);
  // core_.rounds_in_older_epochs() (O(keys in flight)), computed only while it can be non-zero:
  // from a Reconfigure until it is first seen 0 (new rounds always run the current epoch).
  size_t RoundsInOlderEpochs();
  std::unique_ptr<acceptor::Acceptor> NewAcceptor(core::AcceptorId id, const std::string& address);
  // Returns the rounds in older epochs it recorded.
  size_t RefreshSnapshot();
  void PassFenceNotice();
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
  std::shared_ptr<const AppliedMembership> posted_membership_ ABSL_GUARDED_BY(mu_);
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  const FenceHandler on_fence_;
  std::shared_ptr<const AppliedMembership> membership_;
  core::Proposer core_;
  std::vector<std::unique_ptr<acceptor::Acceptor>> acceptors_;  // by AcceptorId; null = closed
  bool older_rounds_possible_ = false;
  absl::flat_hash_map<uint64_t, Done> pending_;
  uint64_t next_request_id_ = 1;
  bool in_flush_ = false;
  int64_t armed_at_ms_ = -1;

  mutable std::mutex stats_mu_;
  Snapshot snapshot_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace gryadka::server
