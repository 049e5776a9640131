// LatencyHistogram: an HDR-style log-linear histogram of durations in nanoseconds, with bounded
// memory (kBuckets counters, ~18 KiB) and a bounded relative error.
//
// Values below 2^kSubBucketBits ns are counted exactly; above, every power-of-two range
// [2^m, 2^(m+1)) is split into kSubBuckets/2 equal sub-buckets, so a bucket is at most 1/64 of
// its value wide (quantiles are within ~1.6%, reported as the bucket's upper edge and never
// above the exact maximum). Values at or above kMaxTrackableNs are counted in the last bucket;
// the exact maximum is kept separately.
//
// Thread-compatible: one histogram per thread, Merge() them afterwards.
#pragma once

#include <array>
#include <cstdint>

namespace gryadka::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;                      // 128 exact values, then
  static constexpr int kSubBuckets = 1 << kSubBucketBits;        // 64 per power of two
  static constexpr int kMaxValueBits = 40;                      // 2^40 ns ~ 18 minutes
  static constexpr uint64_t kMaxTrackableNs = (uint64_t{1} << kMaxValueBits) - 1;
  static constexpr int kBuckets =
      (kMaxValueBits - kSubBucketBits + 2) * (kSubBuckets / 2);  // 2240 counters

  // Counts one duration; negative values count as 0.
  void Record(int64_t ns);
  // Adds every count of `other`.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  uint64_t min_ns() const { return count_ == 0 ? 0 : min_ns_; }
  double mean_ns() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / count_; }

  // The value at quantile q (0 < q <= 1): the upper edge of the bucket holding the
  // ceil(q * count)-th smallest value, capped at max_ns(). Returns 0 when empty.
  uint64_t QuantileNs(double q) const;

  // Bucket arithmetic (exposed for tests).
  static int BucketOf(uint64_t ns);
  static uint64_t BucketLowNs(int bucket);
  static uint64_t BucketHighNs(int bucket);  // inclusive

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

}  // namespace gryadka::bench
