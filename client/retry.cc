#include "client/retry.h"

#include <algorithm>

namespace gryadka::client {

bool IsRetryable(absl::StatusCode code, CallKind kind, bool nothing_written) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
      return nothing_written || kind == CallKind::kRead;
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return kind == CallKind::kRead;
    default:
      return false;
  }
}

int64_t BackoffMs(int retry_index, int64_t backoff_initial_ms, int64_t backoff_max_ms,
                  uint64_t random) {
  int64_t cap_ms = backoff_initial_ms;
  for (int i = 0; i < retry_index && cap_ms < backoff_max_ms; ++i) cap_ms *= 2;
  cap_ms = std::min(cap_ms, backoff_max_ms);
  const int64_t floor_ms = cap_ms / 2;
  const uint64_t span = static_cast<uint64_t>(cap_ms - floor_ms) + 1;
  return floor_ms + static_cast<int64_t>(random % span);
}

uint64_t Jitter::Next() {
  absl::MutexLock lock(&mu_);
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace gryadka::client
