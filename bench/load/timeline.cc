#include "bench/load/timeline.h"

#include <algorithm>

namespace gryadka::bench {

const char* FaultWindowName(FaultWindow w) {
  switch (w) {
    case FaultWindow::kHealthy: return "healthy";
    case FaultWindow::kFault: return "fault";
    case FaultWindow::kAfter: return "after";
  }
  return "?";
}

FaultWindow WindowOf(int64_t offset_ms, int64_t fault_at_ms, int64_t fault_end_ms) {
  if (offset_ms < fault_at_ms) return FaultWindow::kHealthy;
  if (offset_ms < fault_end_ms) return FaultWindow::kFault;
  return FaultWindow::kAfter;
}

Timeline::Timeline(int64_t length_ms)
    : counts_(static_cast<size_t>(std::clamp<int64_t>(length_ms, 0, kTimelineMsMax)), 0) {}

void Timeline::Record(int64_t offset_ms) {
  if (offset_ms < 0 || offset_ms >= length_ms()) {
    ++dropped_;
    return;
  }
  ++counts_[static_cast<size_t>(offset_ms)];
}

void Timeline::Merge(const Timeline& other) {
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  dropped_ += other.dropped_;
}

uint64_t Timeline::Ops(int64_t from_ms, int64_t to_ms) const {
  from_ms = std::max<int64_t>(from_ms, 0);
  to_ms = std::min(to_ms, length_ms());
  uint64_t n = 0;
  for (int64_t i = from_ms; i < to_ms; ++i) n += counts_[static_cast<size_t>(i)];
  return n;
}

double Timeline::OpsPerSecond(int64_t from_ms, int64_t to_ms) const {
  from_ms = std::max<int64_t>(from_ms, 0);
  to_ms = std::min(to_ms, length_ms());
  if (to_ms <= from_ms) return 0;
  return static_cast<double>(Ops(from_ms, to_ms)) * 1000.0 / static_cast<double>(to_ms - from_ms);
}

int64_t Timeline::LongestGapMs(int64_t from_ms, int64_t to_ms) const {
  from_ms = std::max<int64_t>(from_ms, 0);
  to_ms = std::min(to_ms, length_ms());
  int64_t longest = 0;
  int64_t run = 0;
  for (int64_t i = from_ms; i < to_ms; ++i) {
    run = counts_[static_cast<size_t>(i)] == 0 ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace gryadka::bench
