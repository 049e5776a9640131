// Timeline of successful completions for availability runs (gryadka-bench --fault): a counter
// per millisecond of the measured window, and the pure arithmetic the report derives from it —
// operations and throughput in a window, and the longest run of milliseconds with no successful
// operation. Memory is bounded: at most kTimelineMsMax counters (4 bytes each).
//
// Thread-compatible: one Timeline per driver thread, Merge() them afterwards.
#pragma once

#include <cstdint>
#include <vector>

namespace gryadka::bench {

// 10 minutes at 1 ms per counter: 2.4 MB per driver thread.
inline constexpr int64_t kTimelineMsMax = 600000;

// The three stretches of a --fault run's measured window, by completion time.
enum class FaultWindow : int {
  kHealthy = 0,  // [0, fault_at_ms)
  kFault = 1,    // [fault_at_ms, fault_end_ms)
  kAfter = 2,    // [fault_end_ms, end of the window): the recovery
};
inline constexpr int kFaultWindows = 3;
const char* FaultWindowName(FaultWindow w);  // "healthy", "fault", "after"
// Which stretch `offset_ms` falls in. REQUIRES: fault_at_ms <= fault_end_ms.
FaultWindow WindowOf(int64_t offset_ms, int64_t fault_at_ms, int64_t fault_end_ms);

class Timeline {
 public:
  Timeline() = default;
  // `length_ms` counters (clamped to 0..kTimelineMsMax), all zero.
  explicit Timeline(int64_t length_ms);

  // Counts one successful operation completed `offset_ms` after the window began. Offsets
  // outside 0..length_ms()-1 are counted in dropped() only.
  void Record(int64_t offset_ms);
  // Adds `other`'s counts (the longer length wins).
  void Merge(const Timeline& other);

  int64_t length_ms() const { return static_cast<int64_t>(counts_.size()); }
  uint64_t dropped() const { return dropped_; }
  const std::vector<uint32_t>& counts() const { return counts_; }

  // Operations completed in [from_ms, to_ms), clipped to the timeline.
  uint64_t Ops(int64_t from_ms, int64_t to_ms) const;
  // Ops(from_ms, to_ms) per second of the clipped window; 0 for an empty window.
  double OpsPerSecond(int64_t from_ms, int64_t to_ms) const;
  // The longest run of consecutive milliseconds in [from_ms, to_ms) (clipped) with no
  // successful operation, in ms; 0 if every millisecond had one or the window is empty.
  int64_t LongestGapMs(int64_t from_ms, int64_t to_ms) const;

 private:
  std::vector<uint32_t> counts_;
  uint64_t dropped_ = 0;
};

}  // namespace gryadka::bench
