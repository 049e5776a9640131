#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace gryadka::bench {
namespace {
constexpr int kHalf = LatencyHistogram::kSubBuckets / 2;
}  // namespace

int LatencyHistogram::BucketOf(uint64_t ns) {
  ns = std::min(ns, kMaxTrackableNs);
  if (ns < static_cast<uint64_t>(kSubBuckets)) return static_cast<int>(ns);
  // ns in [2^(m + kSubBucketBits - 1), 2^(m + kSubBucketBits)): shifted right by m it lands in
  // [kHalf, kSubBuckets).
  const int m = std::bit_width(ns) - kSubBucketBits;
  const int sub = static_cast<int>(ns >> m);
  return m * kHalf + sub;
}

uint64_t LatencyHistogram::BucketLowNs(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  const int m = bucket / kHalf - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket - m * kHalf);
  return sub << m;
}

uint64_t LatencyHistogram::BucketHighNs(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  const int m = bucket / kHalf - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket - m * kHalf);
  return ((sub + 1) << m) - 1;
}

void LatencyHistogram::Record(int64_t ns) {
  const uint64_t v = ns < 0 ? 0 : static_cast<uint64_t>(ns);
  ++counts_[BucketOf(v)];
  ++count_;
  sum_ns_ += v;
  min_ns_ = std::min(min_ns_, v);
  max_ns_ = std::max(max_ns_, v);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  min_ns_ = std::min(min_ns_, other.min_ns_);
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

uint64_t LatencyHistogram::QuantileNs(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighNs(i), max_ns_);
  }
  return max_ns_;
}

}  // namespace gryadka::bench
