// Which failed calls the client sends again, and how long it waits in between.
//
// The rule follows the API contract in proto/gryadka/v1/kv.proto:
//   UNAVAILABLE        from the proposer itself (trailing metadata gryadka-nothing-written, see
//                      proto/gryadka/v1/wire.h) or before the request left (no connection):
//                      nothing was written, any call may be retried (on the key's next target).
//                      Any other UNAVAILABLE (a connection lost mid-call) leaves a change's
//                      outcome unknown: only reads are retried.
//   DEADLINE_EXCEEDED, ABORTED
//                      the outcome of a change is unknown: a change is NEVER retried (it could
//                      apply twice, e.g. an Increment); a pure read (Get, ChangeQuery with the
//                      read op) may be, since reading again cannot change anything.
//   anything else      returned to the caller as is.
//
// Thread-safety: the functions are pure; Jitter is internally synchronized.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace gryadka::client {

enum class CallKind {
  kRead,    // changes nothing (Get, ChangeQuery with ReadOp)
  kChange,  // may change the key
};

// True when a call of `kind` that failed with `code` may be sent again. `nothing_written`:
// the failure is known to have written nothing (see above); it matters for UNAVAILABLE only.
bool IsRetryable(absl::StatusCode code, CallKind kind, bool nothing_written);

// The pause before retry number `retry_index` (0 = the first retry), in milliseconds:
// "equal jitter" exponential backoff — cap = min(backoff_max_ms, backoff_initial_ms * 2^retry),
// result uniform in [cap/2, cap] chosen by `random`.
// REQUIRES: 0 < backoff_initial_ms <= backoff_max_ms, retry_index >= 0.
int64_t BackoffMs(int retry_index, int64_t backoff_initial_ms, int64_t backoff_max_ms,
                  uint64_t random);

// A thread-safe source of jitter (splitmix64). Not for cryptography.
class Jitter {
 public:
  explicit Jitter(uint64_t seed) : state_(seed) {}
  uint64_t Next();

 private:
  absl::Mutex mu_;
  uint64_t state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gryadka::client
