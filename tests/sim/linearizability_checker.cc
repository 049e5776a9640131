#include "tests/sim/linearizability_checker.h"

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/sim/unobserved_values.h"

namespace gryadka::sim {
namespace {

bool SameResult(const v1::QueryResult& a, const v1::QueryResult& b) {
  if (a.result_case() != b.result_case()) return false;
  switch (a.result_case()) {
    case v1::QueryResult::kRecord:
      return a.record().version() == b.record().version() &&
             a.record().value() == b.record().value();
    case v1::QueryResult::kVersion:
      return a.version() == b.version();
    default:
      return true;
  }
}

// The register model's step: the production op registry applied to `before`, with an
// unobservable value in the state after replaced by its stand-in (unobserved_values.h).
bool Step(const Operation& op, const core::Limits& limits, const UnobservedValues& unobserved,
          const ModelState& before, ModelState* after) {
  v1::Record record;
  record.set_value(before.value);
  record.set_version(before.version);
  const core::ChangeOutcome outcome = core::ApplyChange(op.change, limits, &record);
  after->value = record.value();
  after->version = record.version();
  unobserved.Canonicalize(after);
  if (op.outcome != Outcome::kOk) return true;
  if (outcome.applied != op.response.applied()) return false;
  v1::QueryResult result;
  core::ApplyQuery(op.query, record, &result);
  return SameResult(result, op.response.result());
}

std::string DescribeState(const ModelState& s) {
  if (UnobservedValues::IsStandIn(s.value)) {
    return absl::StrFormat("{a value no answer saw, %d bytes, v%d}", s.value.size(), s.version);
  }
  return absl::StrFormat("{\"%s\" v%d}", absl::CEscape(s.value), s.version);
}

std::string Explain(const std::vector<const Operation*>& ops, const SearchResult& r) {
  std::string s = absl::StrFormat(
      "no linearization; the longest consistent prefix has %d ops", r.deepest_prefix.size());
  const size_t shown = std::min<size_t>(r.deepest_prefix.size(), 5);
  if (shown > 0) absl::StrAppend(&s, ", ending with:");
  for (size_t i = r.deepest_prefix.size() - shown; i < r.deepest_prefix.size(); ++i) {
    absl::StrAppend(&s, "\n      ", DescribeOp(*ops[r.deepest_prefix[i]]));
  }
  absl::StrAppend(&s, "\n    state after it: ", DescribeState(r.deepest_state),
                  "\n    cannot place next (no pending op explains the history before its answer):",
                  "\n      ", DescribeOp(*ops[r.blocking_op]));
  return s;
}

KeyVerdict CheckKey(const std::string& key, const std::vector<const Operation*>& ops,
                    const core::Limits& limits, const SearchBudget& budget) {
  std::vector<SearchOp> search_ops;
  search_ops.reserve(ops.size());
  const UnobservedValues unobserved(ops);
  // UnobservedValues::ChangeClass -> interchangeable class.
  std::map<std::string, uint64_t> classes;
  for (const Operation* op : ops) {
    SearchOp s;
    s.call_pos = op->call_pos;
    s.unknown = op->outcome != Outcome::kOk;
    s.return_pos = s.unknown ? 0 : op->return_pos;
    s.resets_state = op->change.has_delete_() && !op->change.delete_().has_expected_version();
    if (s.unknown) {
      s.interchangeable_class =
          classes.try_emplace(unobserved.ChangeClass(op->change), classes.size() + 1).first->second;
    }
    search_ops.push_back(s);
  }
  const SearchResult r = SearchLinearization(
      search_ops, ModelState{},
      [&](const ModelState& before, size_t i, ModelState* after) {
        return Step(*ops[i], limits, unobserved, before, after);
      },
      budget);
  KeyVerdict v;
  v.key = key;
  v.verdict = r.verdict;
  v.ops = ops.size();
  v.steps = r.steps;
  if (r.verdict == Verdict::kViolation) v.explanation = Explain(ops, r);
  if (r.verdict == Verdict::kUnknown) {
    v.explanation = absl::StrFormat("search budget exhausted after %d steps, %d memo entries",
                                    r.steps, r.memo_entries);
  }
  return v;
}

}  // namespace

std::string LinearizabilityReport::Summary() const {
  std::string s;
  for (const KeyVerdict& k : keys) {
    if (k.verdict == Verdict::kLinearizable) continue;
    absl::StrAppendFormat(&s, "  key %s (%d ops): %s: %s\n", k.key, k.ops, VerdictName(k.verdict),
                          k.explanation);
  }
  return s;
}

LinearizabilityReport CheckLinearizability(const History& history, const core::Limits& limits,
                                           const SearchBudget& budget) {
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : history.ops()) {
    if (op.outcome == Outcome::kNotApplied) continue;
    const bool known = op.outcome == Outcome::kOk;
    if (!known && op.change.op_case() == v1::ChangeOp::kRead) continue;
    by_key[op.key].push_back(&op);
  }
  LinearizabilityReport report;
  for (const auto& [key, ops] : by_key) {
    KeyVerdict v = CheckKey(key, ops, limits, budget);
    report.steps += v.steps;
    if (v.verdict == Verdict::kViolation) {
      report.verdict = Verdict::kViolation;
    } else if (v.verdict == Verdict::kUnknown && report.verdict == Verdict::kLinearizable) {
      report.verdict = Verdict::kUnknown;
    }
    report.keys.push_back(std::move(v));
  }
  return report;
}

}  // namespace gryadka::sim
