// The registered op set: every change op and query op of gryadka.v1, each a pure function of the
// current record. Registered in ONE place (the tables in ops.cc); adding an op = one proto message,
// one row there, and its tests. Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "gryadka/v1/kv.pb.h"

namespace gryadka::core {

// Request size limits, enforced before any round.
struct Limits {
  size_t max_key_bytes = 1024;
  size_t max_value_bytes = 1 << 20;
};

// Checks a request before any round. Returns OK, or INVALID_ARGUMENT whose message names the
// problem: empty key, key over max_key_bytes, a value over max_value_bytes, a change or query op
// that is unset or unknown to this server (a newer client's op number).
absl::Status ValidateRequest(const std::string& key, const v1::ChangeOp& change,
                             const v1::QueryOp& query, const Limits& limits);

struct ChangeOutcome {
  bool applied = false;  // false: the op declined, *record is unchanged
  bool changed = false;  // applied and the op is not the identity
  std::string decline_reason;
};

// Applies `op` to `*record` (the public record; version 0 = absent). REQUIRES: `op` passed
// ValidateRequest. Never fails: a precondition that does not hold is a decline — also a value
// over limits.max_value_bytes (append, increment) and a version that cannot grow (an op that
// sets a value on a record at version 2^64-1).
ChangeOutcome ApplyChange(const v1::ChangeOp& op, const Limits& limits, v1::Record* record);

// Fills `*out` with `op` applied to `record`. REQUIRES: `op` passed ValidateRequest.
void ApplyQuery(const v1::QueryOp& op, const v1::Record& record, v1::QueryResult* out);

// Human name of a change op ("put", "compare_and_set", ...) for logs and metrics.
const char* ChangeOpName(const v1::ChangeOp& op);

}  // namespace gryadka::core
