// Wing–Gong / Lowe linearizability search for ONE object (one key) with memoisation.
//
// The history of the object is a set of operations, each with the position of its invocation
// and, when the outcome is known, of its response in one global order of events (positions are
// distinct). The search looks for a total order of the operations that respects real time (an
// operation that responded before another was invoked comes first) and in which every
// operation's recorded response is what the sequential model gives. Operations with an unknown
// outcome have no response: they may take effect at any point after their invocation, or never,
// and their output is unconstrained.
//
// Memoisation: a configuration (set of linearized operations, model state) that was already
// explored is not explored again (Lowe, "Testing for linearizability", 2017). An unknown
// operation whose step leaves the state unchanged is not linearized at that point: leaving it
// pending is at least as permissive (its output is unconstrained), which keeps histories with many
// timed-out reads and declined CASes cheap. Unknown operations are tried only after every known
// candidate, a configuration that consumed a superset of the unknown operations of an already
// reached one (same known set and state) is dominated and skipped, and interchangeable unknown
// operations take effect in invocation order only, and no unknown operation takes effect right
// before an operation whose effect and response ignore the state (`resets_state`).
//
// Bounded: the search stops with kUnknown once it has taken `steps_max` steps or its memo holds
// `memo_bytes_max` bytes. Thread-compatible; a search is a pure function of its inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"

namespace gryadka::sim {

// The sequential model's state: the register record (version 0 = absent).
struct ModelState {
  std::string value;
  uint64_t version = 0;
  bool operator==(const ModelState&) const = default;
};

struct SearchOp {
  uint64_t call_pos = 0;
  uint64_t return_pos = 0;  // ignored when unknown
  bool unknown = false;     // outcome unknown: no response, may take effect or not
  // Unknown ops with the same nonzero class are interchangeable (the same change): the search
  // lets them take effect only in invocation order, which loses no linearization (the earlier
  // one can stand in for the later one wherever that one took effect) and spares the search
  // from trying every subset of, say, twenty identical increments.
  uint64_t interchangeable_class = 0;
  // Its state after and its response do not depend on the state before (an unconditional
  // delete). An unknown op linearized just before such an op could be left out of the
  // linearization without changing anything else, so the search never places one there: it
  // places such an op only first or right after a known op (the flag is part of every memoised
  // configuration, which keeps the memo and the dominance check exact).
  bool resets_state = false;
};

enum class Verdict { kLinearizable, kViolation, kUnknown };
const char* VerdictName(Verdict v);

struct SearchBudget {
  uint64_t steps_max = 20'000'000;      // model steps tried
  size_t memo_bytes_max = 256u << 20;   // approximate bytes held by the memo
};

struct SearchResult {
  Verdict verdict = Verdict::kUnknown;
  uint64_t steps = 0;
  size_t memo_entries = 0;
  // kViolation only: the longest real-time-respecting prefix consistent with the model (op
  // indices in linearization order), the state after it, and the operation whose response
  // could not be placed after it (the pending known op that responds first).
  std::vector<size_t> deepest_prefix;
  ModelState deepest_state;
  size_t blocking_op = 0;
};

// Applies operation `op` to `before`: writes the state after into `*after` and returns whether
// the operation's recorded response (if it has one) matches the model. For unknown operations
// it must return true whenever the op can be applied at all.
using StepFn = absl::FunctionRef<bool(const ModelState& before, size_t op, ModelState* after)>;

// Searches for a linearization of `ops` starting from `initial`. Returns kLinearizable when one
// exists, kViolation when none does, kUnknown when the budget ran out first.
SearchResult SearchLinearization(const std::vector<SearchOp>& ops, const ModelState& initial,
                                 StepFn step, const SearchBudget& budget);

}  // namespace gryadka::sim
