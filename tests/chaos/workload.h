// The client side of a chaos run: `clients` threads calling gryadka::Client::ChangeQuery in a
// closed loop — compare-and-set, increment and read — on a few hot keys and many cold ones,
// every call recorded (tests/chaos/recorder.h).
//
// Routing per thread:
//   affinity  one Client over all proposers shared by the threads: rendezvous routing, a key is
//             served by one proposer (failover on UNAVAILABLE).
//   bound     a Client over ONE proposer picked at random per thread: proposers fight over the
//             hot keys.
// Mode "mixed" makes even threads affinity and odd threads bound. Threads stop on their own once
// the recorder is full (kHistoryOpsMax).
//
// Thread-safety: Start() and Stop() from one controlling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "client/client.h"
#include "tests/chaos/recorder.h"

namespace gryadka::chaos {

enum class Affinity { kAffinity, kBound, kMixed };
// Parses "on" / "off" / "mixed"; INVALID_ARGUMENT otherwise.
absl::Status ParseAffinity(const std::string& text, Affinity* out);
const char* AffinityName(Affinity a);

struct WorkloadOptions {
  uint64_t seed = 1;
  int clients = 12;
  Affinity affinity = Affinity::kMixed;
  int hot_keys = 4;
  int cold_keys = 2000;
  int hot_percent = 30;          // share of calls on the hot keys
  int read_percent = 40;         // the rest split evenly between CAS and increment
  int64_t call_deadline_ms = 5000;
  int64_t reconnect_backoff_max_ms = 300;
};

class Workload {
 public:
  // REQUIRES: targets non-empty, options.clients >= 1.
  Workload(WorkloadOptions options, std::vector<std::string> targets, Recorder* recorder);
  ~Workload();  // Stop()s

  absl::Status Start();
  // Asks every thread to stop after its current call and joins them.
  void Stop();

  // The proposer client thread `c` is bound to, or -1 when it routes by affinity.
  int bound_proposer(int c) const { return bound_[c]; }
  const std::vector<int>& bound_proposers() const { return bound_; }
  // Every key the workload may have touched.
  std::vector<std::string> Keys() const;
  int64_t calls() const { return calls_.load(); }

  // Reads every key once through a Client over all proposers (`threads` in parallel), recorded
  // as client `clients` (one past the workload's threads). Retries a failed read up to
  // `attempts_max` times. Returns the ids of the final reads, one per key, in Keys() order.
  std::vector<uint64_t> ReadAll(int threads, int attempts_max);

  static std::string HotKey(int i);
  static std::string ColdKey(int i);

 private:
  void Run(int c);
  std::unique_ptr<Client> MakeClient(std::vector<std::string> targets) const;

  const WorkloadOptions options_;
  const std::vector<std::string> targets_;
  Recorder* const recorder_;
  std::vector<int> bound_;
  std::vector<std::unique_ptr<Client>> clients_;  // per thread (affinity threads share [shared_])
  std::unique_ptr<Client> shared_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> calls_{0};
  std::vector<std::thread> threads_;
};

}  // namespace gryadka::chaos
