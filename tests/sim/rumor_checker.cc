#include "tests/sim/rumor_checker.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_format.h"

namespace gryadka::sim {
namespace {

struct Observation {
  uint64_t version = 0;
  bool has_value = false;
  std::string value;
  uint64_t op = 0;  // the operation that observed it
};

std::optional<Observation> ObservationOf(const Operation& op) {
  if (op.outcome != Outcome::kOk) return std::nullopt;
  const v1::QueryResult& r = op.response.result();
  Observation o;
  o.op = op.id;
  switch (r.result_case()) {
    case v1::QueryResult::kRecord:
      o.version = r.record().version();
      o.has_value = true;
      o.value = r.record().value();
      return o;
    case v1::QueryResult::kVersion:
      o.version = r.version();
      return o;
    default:
      return std::nullopt;
  }
}

struct KeyRumors {
  std::optional<Observation> newest;  // the newest state observed so far
  bool deleted = false;               // a delete was invoked: versions no longer monotone
};

}  // namespace

RumorReport CheckRumors(const History& history) {
  struct Event {
    uint64_t pos;
    uint64_t op;
    bool is_call;
  };
  std::vector<Event> events;
  for (const Operation& op : history.ops()) {
    events.push_back({op.call_pos, op.id, true});
    if (op.outcome == Outcome::kOk) events.push_back({op.return_pos, op.id, false});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.pos < b.pos; });

  RumorReport report;
  std::map<std::string, KeyRumors> keys;
  std::vector<std::optional<Observation>> known_at_call(history.ops().size());
  for (const Event& ev : events) {
    const Operation& op = history.op(ev.op);
    KeyRumors& k = keys[op.key];
    if (ev.is_call) {
      if (op.change.op_case() == v1::ChangeOp::kDelete) k.deleted = true;
      known_at_call[op.id] = k.newest;
      continue;
    }
    if (k.deleted) continue;
    const std::optional<Observation> seen = ObservationOf(op);
    if (!seen.has_value()) continue;
    ++report.checked;
    const std::optional<Observation>& rumor = known_at_call[op.id];
    if (rumor.has_value() && report.ok) {
      const bool older = seen->version < rumor->version;
      const bool diverged = seen->version == rumor->version && seen->has_value &&
                            rumor->has_value && seen->value != rumor->value;
      if (older || diverged) {
        report.ok = false;
        report.violation = absl::StrFormat(
            "%s: %s\n    observed a state %s the rumor known when it began, from\n    %s",
            older ? "stale read" : "two values under one version", DescribeOp(op),
            older ? "older than" : "different from", DescribeOp(history.op(rumor->op)));
      }
    }
    if (!k.newest.has_value() || seen->version > k.newest->version ||
        (seen->version == k.newest->version && seen->has_value && !k.newest->has_value)) {
      k.newest = seen;
    }
  }
  return report;
}

}  // namespace gryadka::sim
