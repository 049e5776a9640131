// The thread-safe recorder of a chaos run's history: every call of every client thread, with
// real timestamps (microseconds of a monotonic clock since the recorder was made) and its
// outcome, in a sim::History the per-key linearizability checker reads.
//
// Positions respect real time: Invoke() and Complete() take the timestamp and the next position
// under one mutex, so an operation invoked after another's answer has a later call_pos than
// that return_pos.
//
// Thread-safe. TakeHistory() must be called after every thread stopped recording.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "tests/sim/history.h"

namespace gryadka::chaos {

// How the harness treats a call's final status (the client returns its last attempt's):
//   OK                                   -> kOk
//   INVALID_ARGUMENT                     -> kNotApplied
//   a message promising "nothing was written" (the proposer's UNAVAILABLE and early
//   DEADLINE_EXCEEDED answers), or gRPC's "failed to connect to all addresses" (the request
//   never left)                          -> kNotApplied
//   anything else (a connection lost mid-call, a client-side deadline, ABORTED, ...) -> kUnknown
// Stricter than sim::OutcomeOfStatus: a transport UNAVAILABLE is not a promise here.
sim::Outcome ChaosOutcomeOfStatus(const absl::Status& status);

// The wire response a ChangeQueryResult stands for (applied, query result, decline reason).
v1::ChangeQueryResponse ToResponse(const ChangeQueryResult& result);

// About 300 bytes per operation: 3,000,000 operations is ~1 GB. A run stops its workload early
// once the history holds this many (a soak of hours at ~500 calls/s would otherwise grow without
// bound).
inline constexpr size_t kHistoryOpsMax = 3'000'000;

class Recorder {
 public:
  Recorder();
  int64_t NowUs() const;

  // True once the history holds kHistoryOpsMax operations (Invoke() still records).
  bool full() const { return size_.load() >= kHistoryOpsMax; }

  // Records an invocation now; returns its id.
  uint64_t Invoke(int client, const std::string& key, const v1::ChangeOp& change,
                  const v1::QueryOp& query);
  // Records the answer of `id` now.
  void Complete(uint64_t id, const absl::StatusOr<ChangeQueryResult>& result);

  // The history (pending operations closed as unknown) and each operation's status code
  // (kOk for successes), indexed by operation id.
  struct Taken {
    sim::History history;
    std::vector<absl::StatusCode> codes;
    size_t pending_at_close = 0;
  };
  Taken Take();

 private:
  const int64_t start_us_;
  std::mutex mu_;
  sim::History history_;
  std::vector<absl::StatusCode> codes_;
  std::atomic<size_t> size_{0};
};

}  // namespace gryadka::chaos
