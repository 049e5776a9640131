#include "tests/sim/history.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gryadka::sim {
namespace {

// The words by which an error promises that the change was certainly not applied.
constexpr char kNothingWritten[] = "nothing was written";

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kOk:
      return "ok";
    case Outcome::kNotApplied:
      return "not-applied";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

Outcome OutcomeOfStatus(const absl::Status& status) {
  if (status.ok()) return Outcome::kOk;
  if (absl::IsUnavailable(status) || absl::IsInvalidArgument(status)) return Outcome::kNotApplied;
  if (absl::StrContains(status.message(), kNothingWritten)) return Outcome::kNotApplied;
  return Outcome::kUnknown;
}

uint64_t History::Invoke(int client, const std::string& key, const v1::ChangeOp& change,
                         const v1::QueryOp& query, int64_t now_us) {
  Operation op;
  op.id = ops_.size();
  op.client = client;
  op.key = key;
  op.change = change;
  op.query = query;
  op.call_pos = next_pos_++;
  op.call_us = now_us;
  ops_.push_back(std::move(op));
  ++pending_;
  return ops_.back().id;
}

void History::Complete(uint64_t id, Outcome outcome, const v1::ChangeQueryResponse& response,
                       const std::string& error, int64_t now_us) {
  Operation& op = ops_[id];
  op.outcome = outcome;
  op.return_pos = next_pos_++;
  op.return_us = now_us;
  if (outcome == Outcome::kOk) op.response = response;
  op.error = error;
  --pending_;
}

void History::ClosePending(int64_t now_us) {
  for (Operation& op : ops_) {
    if (op.outcome != Outcome::kPending) continue;
    Complete(op.id, Outcome::kUnknown, {}, "still pending at the end of the run", now_us);
  }
}

std::string DescribeChange(const v1::ChangeOp& c) {
  switch (c.op_case()) {
    case v1::ChangeOp::kRead:
      return "read";
    case v1::ChangeOp::kPut:
      return absl::StrFormat("put(\"%s\")", absl::CEscape(c.put().value()));
    case v1::ChangeOp::kPutIfAbsent:
      return absl::StrFormat("put_if_absent(\"%s\")", absl::CEscape(c.put_if_absent().value()));
    case v1::ChangeOp::kCompareAndSet:
      return absl::StrFormat("cas(v%d, \"%s\")", c.compare_and_set().expected_version(),
                             absl::CEscape(c.compare_and_set().value()));
    case v1::ChangeOp::kIncrement:
      return absl::StrFormat("increment(%d)", c.increment().delta());
    case v1::ChangeOp::kAppend:
      return absl::StrFormat("append(\"%s\")", absl::CEscape(c.append().suffix()));
    case v1::ChangeOp::kDelete:
      return c.delete_().has_expected_version()
                 ? absl::StrFormat("delete(v%d)", c.delete_().expected_version())
                 : std::string("delete");
    case v1::ChangeOp::OP_NOT_SET:
      return "unset";
  }
  return "?";
}

std::string DescribeResult(const v1::QueryResult& r) {
  switch (r.result_case()) {
    case v1::QueryResult::kRecord:
      return absl::StrFormat("{\"%s\" v%d}", absl::CEscape(r.record().value()),
                             r.record().version());
    case v1::QueryResult::kVersion:
      return absl::StrFormat("{v%d}", r.version());
    case v1::QueryResult::kNone:
      return "{}";
    case v1::QueryResult::RESULT_NOT_SET:
      return "{unset}";
  }
  return "?";
}

std::string DescribeOp(const Operation& op) {
  std::string s = absl::StrFormat("#%d c%d %s %s", op.id, op.client, op.key,
                                  DescribeChange(op.change));
  switch (op.outcome) {
    case Outcome::kOk:
      absl::StrAppend(&s, " -> ", op.response.applied() ? "applied " : "declined ",
                      DescribeResult(op.response.result()));
      break;
    case Outcome::kPending:
      absl::StrAppend(&s, " -> pending");
      break;
    default:
      absl::StrAppend(&s, " -> ", OutcomeName(op.outcome), " (", op.error, ")");
  }
  absl::StrAppendFormat(&s, " [%.3fms..%.3fms]", op.call_us / 1000.0,
                        op.outcome == Outcome::kPending ? -1.0 : op.return_us / 1000.0);
  return s;
}

}  // namespace gryadka::sim
