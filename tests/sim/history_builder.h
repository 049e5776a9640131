// Test-only helpers for writing small kv-register histories by hand: makers for change ops
// (Read, Put, Cas, Append, Increment, Delete), query ops (RecordQ, VersionQ) and answers (Rec,
// Ver), and a Builder that records Call/Ok/Fail/Unknown events into a sim::History in the order
// of the calls, with increasing timestamps, and runs the checkers on it. Used by the checker
// tests and the simulator regressions; nothing in the simulator itself depends on it.
// Thread-compatible (a Builder belongs to one test).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gryadka/v1/kv.pb.h"
#include "tests/sim/history.h"
#include "tests/sim/linearizability_checker.h"
#include "tests/sim/rumor_checker.h"

namespace gryadka::sim {

inline v1::ChangeOp Read() {
  v1::ChangeOp c;
  c.mutable_read();
  return c;
}
inline v1::ChangeOp Put(const std::string& v) {
  v1::ChangeOp c;
  c.mutable_put()->set_value(v);
  return c;
}
inline v1::ChangeOp Cas(uint64_t expected, const std::string& v) {
  v1::ChangeOp c;
  c.mutable_compare_and_set()->set_expected_version(expected);
  c.mutable_compare_and_set()->set_value(v);
  return c;
}
inline v1::ChangeOp Append(const std::string& s) {
  v1::ChangeOp c;
  c.mutable_append()->set_suffix(s);
  return c;
}
inline v1::ChangeOp Increment(int64_t delta) {
  v1::ChangeOp c;
  c.mutable_increment()->set_delta(delta);
  return c;
}
// Unconditional unless `expected` (the version the delete requires) is given.
inline v1::ChangeOp Delete(std::optional<uint64_t> expected = std::nullopt) {
  v1::ChangeOp c;
  c.mutable_delete_();
  if (expected.has_value()) c.mutable_delete_()->set_expected_version(*expected);
  return c;
}
inline v1::QueryOp RecordQ() {
  v1::QueryOp q;
  q.mutable_record();
  return q;
}
inline v1::QueryOp VersionQ() {
  v1::QueryOp q;
  q.mutable_version();
  return q;
}
// An answer to a record query.
inline v1::ChangeQueryResponse Rec(bool applied, const std::string& value, uint64_t version) {
  v1::ChangeQueryResponse r;
  r.set_applied(applied);
  r.mutable_result()->mutable_record()->set_value(value);
  r.mutable_result()->mutable_record()->set_version(version);
  return r;
}
// An answer to a version query.
inline v1::ChangeQueryResponse Ver(bool applied, uint64_t version) {
  v1::ChangeQueryResponse r;
  r.set_applied(applied);
  r.mutable_result()->set_version(version);
  return r;
}

// Builds one history; every Call/Ok/Fail/Unknown is one event, in the order of the calls.
// Ok/Fail/Unknown REQUIRE an id returned by Call that has not been completed yet.
class Builder {
 public:
  // Invokes `c` with query `q` on `key`; returns the operation's id.
  uint64_t Call(int client, const v1::ChangeOp& c, const std::string& key = "k",
                const v1::QueryOp& q = RecordQ()) {
    return h_.Invoke(client, key, c, q, ++t_);
  }
  void Ok(uint64_t id, const v1::ChangeQueryResponse& r) {
    h_.Complete(id, Outcome::kOk, r, "", ++t_);
  }
  void Fail(uint64_t id, Outcome o) { h_.Complete(id, o, {}, "failed", ++t_); }
  // A client timeout: the outcome is unknown.
  void Unknown(uint64_t id) { h_.Complete(id, Outcome::kUnknown, {}, "timed out", ++t_); }
  // Call and answer with nothing in between; the query is the one `r` answers.
  uint64_t Op(int client, const v1::ChangeOp& c, const v1::ChangeQueryResponse& r,
              const std::string& key = "k") {
    const uint64_t id = Call(client, c, key, r.result().has_record() ? RecordQ() : VersionQ());
    Ok(id, r);
    return id;
  }
  // Call and time out with nothing in between.
  uint64_t UnknownOp(int client, const v1::ChangeOp& c, const std::string& key = "k") {
    const uint64_t id = Call(client, c, key);
    Unknown(id);
    return id;
  }

  const History& history() const { return h_; }
  // Pointers into history(); valid while this Builder lives and records nothing more.
  std::vector<const Operation*> ops() const {
    std::vector<const Operation*> v;
    for (const Operation& op : h_.ops()) v.push_back(&op);
    return v;
  }
  Verdict Linearizability(const core::Limits& limits = {}, const SearchBudget& budget = {}) const {
    return CheckLinearizability(h_, limits, budget).verdict;
  }
  bool RumorOk() const { return CheckRumors(h_).ok; }

 private:
  History h_;
  int64_t t_ = 0;
};

}  // namespace gryadka::sim
