// The verdict of a chaos run: counts, the per-key linearizability check, acknowledged writes
// lost, the success ratio while a quorum is up, the longest window without a successful call
// after each kind of fault, and (majority-down run) how calls fail without a quorum and how
// soon success resumes. Each criterion is one pass/fail check; docs/chaos.md defines them.
// Pure functions of the recorded run; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/chaos/schedule.h"
#include "tests/sim/history.h"
#include "tests/sim/wgl.h"

namespace gryadka::chaos {

inline constexpr int64_t kSettleAfterHealMs = 1500;  // reconnects after a heal (quorum-up ratio)
inline constexpr int64_t kRecoveryTailMs = 1000;     // a fault's window extends this past its heal
inline constexpr int64_t kDownSettleMs = 1000;       // majority down: calls counted after this
inline constexpr double kSuccessRatioMin = 0.999;

// A fault as it happened: when it was applied and healed (recorder time), and whether the heal
// brought everything back.
struct FaultRecord {
  Fault fault;
  int64_t applied_us = 0;
  // When healing began (restarting a killed Redis takes a while; calls may succeed from here on)
  // and when it was done.
  int64_t heal_started_us = 0;
  int64_t healed_us = 0;
  absl::Status heal_status;
};

struct RunRecord {
  uint64_t seed = 0;
  int64_t duration_s = 0;
  bool majority_down = false;
  std::string affinity;
  int proposers = 0;
  int workload_clients = 0;          // client ids >= this are the final reads
  std::vector<int> bound_proposers;  // per workload client; -1 = affinity routing
  int64_t workload_start_us = 0;
  int64_t workload_end_us = 0;
  std::vector<FaultRecord> faults;
  std::vector<uint64_t> final_reads;  // op ids, one per key
  size_t pending_at_close = 0;
  const sim::History* history = nullptr;
  const std::vector<absl::StatusCode>* codes = nullptr;
  sim::SearchBudget budget;
};

struct Check {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct Verdict {
  std::vector<Check> checks;
  std::string report;  // human-readable lines, one per measurement and check
  std::string json;    // one line
  int passed() const;
  int failed() const;
};

Verdict Judge(const RunRecord& run);

}  // namespace gryadka::chaos
