// Values of one key's history that no recorded answer can ever reveal, and the smaller model the
// linearizability search runs on because of them (a sound abstraction; see docs/testing.md,
// "Budget").
//
// Every write of the simulator's workloads carries a unique value, and most writes whose outcome
// is unknown were never seen by anyone. To the rest of the history such a value is a blob of some
// length: no answer of a known operation can equal it or anything appended to it, an increment of
// it declines, and an append to it applies or declines by length only. So the register states
// {x, v} and {y, v} with unobservable values x, y of the same length have exactly the same
// futures, and the search may merge them: Canonicalize() replaces an unobservable value by a
// stand-in of the same length (kStandIn bytes), which memoises them as one configuration, and
// ChangeClass() gives every unknown write of an unobservable value (or append of an unobservable
// suffix) of the same length the same class, which lets the search take interchangeable ones in
// invocation order only (wgl.h).
//
// A value x is unobservable when (a) it contains a byte that is not a digit, '+' or '-' (so
// core's increment declines on x and on everything appended to it), and (b) it is not a prefix of
// any value that a known answer recorded (so neither x nor any append to it is ever answered). An
// append's suffix s is unobservable when (a) holds for s and s occurs in no recorded value (then
// whatever it is appended to is unobservable). The abstraction is disabled (both functions are
// the identity) when a recorded value starts with the stand-in byte.
//
// Thread-compatible; immutable after construction.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gryadka/v1/kv.pb.h"
#include "tests/sim/history.h"
#include "tests/sim/wgl.h"

namespace gryadka::sim {

class UnobservedValues {
 public:
  static constexpr char kStandIn = '\x01';

  // `ops`: every operation of one key that the search sees (known ones with their answers).
  explicit UnobservedValues(const std::vector<const Operation*>& ops);

  bool enabled() const { return enabled_; }
  // Replaces s->value by kStandIn bytes of the same length if it is unobservable.
  void Canonicalize(ModelState* s) const;
  // A key such that unknown change ops with equal keys have the same step from every canonical
  // state: for a put, put_if_absent or compare_and_set of an unobservable value, or an append of
  // an unobservable suffix, the op kind, its precondition and the length; otherwise "exact "
  // and the serialized op.
  std::string ChangeClass(const v1::ChangeOp& change) const;
  // True if `value` is the stand-in of an unobservable value.
  static bool IsStandIn(const std::string& value) {
    return !value.empty() && value[0] == kStandIn;
  }

 private:
  bool Unobservable(const std::string& value) const;
  bool UnobservableSuffix(const std::string& suffix) const;

  bool enabled_ = true;
  std::vector<std::string> recorded_;             // distinct recorded values
  absl::flat_hash_set<std::string> prefixes_;     // every prefix of a recorded value
};

}  // namespace gryadka::sim
