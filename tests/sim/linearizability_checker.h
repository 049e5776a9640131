// Complete per-key linearizability check of a recorded history against the register model.
//
// The model: each key is a Record{value, version} (version 0 = absent), initially absent. Its
// step function IS the production op registry: core::ApplyChange applies the change op (with the
// decline rules of kv.proto) and core::ApplyQuery computes the answer. A known operation is
// consistent at a point when the model's `applied` flag and query result equal the recorded
// response. Keys are independent registers, so the history is partitioned by key and each part
// is searched on its own (Wing–Gong/Lowe with memoisation, see wgl.h).
//
// Operations with outcome kNotApplied are left out (they took no effect); kUnknown and kPending
// ones may take effect at any point after their invocation, or never; unknown reads are left out
// (the identity has no effect). Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "proposer/core/ops.h"
#include "tests/sim/history.h"
#include "tests/sim/wgl.h"

namespace gryadka::sim {

struct KeyVerdict {
  std::string key;
  Verdict verdict = Verdict::kUnknown;
  size_t ops = 0;  // operations searched (known + unknown)
  uint64_t steps = 0;
  std::string explanation;  // kViolation: the longest consistent prefix and the op that fails
};

struct LinearizabilityReport {
  Verdict verdict = Verdict::kLinearizable;  // the worst over all keys
  std::vector<KeyVerdict> keys;              // in key order
  uint64_t steps = 0;                        // total over keys
  // One line per key that is not linearizable or undecided, with the explanation.
  std::string Summary() const;
};

// Checks every key of `history`. `limits` must be the proposers' limits (append declines past
// max_value_bytes). `budget` applies to each key's search separately.
LinearizabilityReport CheckLinearizability(const History& history, const core::Limits& limits,
                                           const SearchBudget& budget = {});

}  // namespace gryadka::sim
