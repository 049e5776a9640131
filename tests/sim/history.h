// The recorded history of one simulation run: every client operation with its invocation and its
// answer, in the order the events happened. The input of the checkers. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gryadka/v1/kv.pb.h"

namespace gryadka::sim {

enum class Outcome {
  kPending,     // invoked, not answered yet
  kOk,          // answered: took effect exactly once, somewhere between invocation and answer
  kNotApplied,  // failed with UNAVAILABLE or INVALID_ARGUMENT: certainly took no effect
  kUnknown,     // any other failure, a client timeout, or its proposer crashed: took effect
                // once (at any point after its invocation) or never
};
const char* OutcomeName(Outcome o);

// How a client must treat a completion status (README.md, "Errors"): OK → kOk; UNAVAILABLE and
// INVALID_ARGUMENT → kNotApplied; any other error whose message promises "nothing was written"
// (e.g. a deadline that passed before any accept was sent) → kNotApplied, so the checkers hold
// the proposer to that promise; everything else → kUnknown.
Outcome OutcomeOfStatus(const absl::Status& status);

struct Operation {
  uint64_t id = 0;  // index in History::ops()
  int client = 0;
  std::string key;
  v1::ChangeOp change;
  v1::QueryOp query;
  // Positions in the history's single order of events; return_pos is 0 while pending.
  uint64_t call_pos = 0;
  uint64_t return_pos = 0;
  int64_t call_us = 0;
  int64_t return_us = 0;
  Outcome outcome = Outcome::kPending;
  v1::ChangeQueryResponse response;  // kOk only
  std::string error;                 // failures: the status, in words
};

class History {
 public:
  // Records an invocation; returns its operation id.
  uint64_t Invoke(int client, const std::string& key, const v1::ChangeOp& change,
                  const v1::QueryOp& query, int64_t now_us);
  // Records the answer of a pending operation. REQUIRES: `id` is pending, outcome != kPending.
  void Complete(uint64_t id, Outcome outcome, const v1::ChangeQueryResponse& response,
                const std::string& error, int64_t now_us);
  // Marks every still-pending operation kUnknown (answered "never").
  void ClosePending(int64_t now_us);

  const std::vector<Operation>& ops() const { return ops_; }
  const Operation& op(uint64_t id) const { return ops_[id]; }
  size_t pending() const { return pending_; }

 private:
  std::vector<Operation> ops_;
  uint64_t next_pos_ = 1;
  size_t pending_ = 0;
};

// "#12 c3 put(k1, "c3.7") -> applied {"c3.7" v4} [t=1.203s..1.250s]" for failure reports.
std::string DescribeOp(const Operation& op);
std::string DescribeChange(const v1::ChangeOp& change);
std::string DescribeResult(const v1::QueryResult& result);

}  // namespace gryadka::sim
