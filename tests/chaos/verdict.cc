#include "tests/chaos/verdict.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/shared/json_string.h"
#include "proposer/core/ops.h"
#include "tests/sim/linearizability_checker.h"

namespace gryadka::chaos {
namespace {

using sim::Operation;
using sim::Outcome;

struct Interval {
  int64_t from_us;
  int64_t to_us;
  bool Overlaps(int64_t a, int64_t b) const { return a <= to_us && b >= from_us; }
};

struct Counts {
  int64_t attempted = 0, ok = 0, failed = 0, unknown = 0;
};

constexpr size_t kFailuresShownMax = 5;  // failed calls listed under the success ratio

double Ms(int64_t us) { return us / 1000.0; }

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return Ms(v[i]);
}

bool IsWorkload(const RunRecord& run, const Operation& op) { return op.client < run.workload_clients; }

Counts CountOps(const RunRecord& run) {
  Counts c;
  for (const Operation& op : run.history->ops()) {
    if (!IsWorkload(run, op)) continue;
    c.attempted++;
    if (op.outcome == Outcome::kOk) c.ok++;
    else if (op.outcome == Outcome::kNotApplied) c.failed++;
    else c.unknown++;
  }
  return c;
}

// Return times of every successful workload call, sorted.
std::vector<int64_t> SuccessTimes(const RunRecord& run) {
  std::vector<int64_t> t;
  for (const Operation& op : run.history->ops()) {
    if (IsWorkload(run, op) && op.outcome == Outcome::kOk) t.push_back(op.return_us);
  }
  std::sort(t.begin(), t.end());
  return t;
}

// The longest stretch of [from, to] with no successful call returning.
int64_t LongestGapUs(const std::vector<int64_t>& successes, int64_t from, int64_t to) {
  int64_t prev = from, gap = 0;
  for (auto it = std::lower_bound(successes.begin(), successes.end(), from);
       it != successes.end() && *it <= to; ++it) {
    gap = std::max(gap, *it - prev);
    prev = *it;
  }
  return std::max(gap, to - prev);
}

Interval Window(const FaultRecord& f) { return {f.applied_us, f.healed_us + kRecoveryTailMs * 1000}; }

// Windows in which the serving proposer of client `c` could not reach a quorum or was faulty.
bool ExcludedFromRatio(const RunRecord& run, const Operation& op) {
  for (const FaultRecord& f : run.faults) {
    const Interval w{f.applied_us, f.healed_us + kSettleAfterHealMs * 1000};
    if (!w.Overlaps(op.call_us, op.return_us)) continue;
    if (run.majority_down) return true;
    if (!IsAcceptorFault(f.fault.kind)) {
      const int bound = run.bound_proposers[op.client];
      if (bound < 0 || bound == f.fault.target) return true;
    }
  }
  return false;
}

struct LostWrites {
  int64_t lost = 0;
  int64_t final_reads_failed = 0;
  std::vector<std::string> examples;
};

LostWrites CountLostWrites(const RunRecord& run) {
  LostWrites out;
  std::unordered_map<std::string, uint64_t> final_version;
  for (uint64_t id : run.final_reads) {
    const Operation& op = run.history->op(id);
    if (op.outcome != Outcome::kOk) {
      out.final_reads_failed++;
      continue;
    }
    final_version[op.key] = op.response.result().record().version();
  }
  for (const Operation& op : run.history->ops()) {
    if (!IsWorkload(run, op) || op.outcome != Outcome::kOk || !op.response.applied() ||
        op.change.has_read()) {
      continue;
    }
    auto it = final_version.find(op.key);
    if (it == final_version.end()) continue;  // its final read failed: counted above
    if (op.response.result().record().version() > it->second) {
      out.lost++;
      if (out.examples.size() < 5) {
        out.examples.push_back(absl::StrCat(sim::DescribeOp(op), " but the final read saw version ",
                                            it->second));
      }
    }
  }
  return out;
}

struct KindWindows {
  std::vector<int64_t> gaps_us;
};

// Where a section of the verdict writes: report lines, JSON members, checks.
struct Out {
  std::string* report;
  std::vector<std::string>* json;
  std::vector<Check>* checks;
  void AddCheck(const std::string& name, bool passed, const std::string& detail) const {
    checks->push_back({name, passed, detail});
  }
};

void JudgeCounts(const RunRecord& run, const Out& out) {
  const Counts c = CountOps(run);
  const double seconds = std::max<int64_t>(1, run.workload_end_us - run.workload_start_us) / 1e6;
  absl::StrAppendFormat(out.report, "operations: %d attempted, %d ok, %d failed, %d unknown (%.0f ops/s)\n",
                        c.attempted, c.ok, c.failed, c.unknown, c.attempted / seconds);
  out.json->push_back(absl::StrFormat("\"ops\":{\"attempted\":%d,\"ok\":%d,\"failed\":%d,\"unknown\":%d,"
                                      "\"per_s\":%.1f}",
                                      c.attempted, c.ok, c.failed, c.unknown, c.attempted / seconds));
}

void JudgeLinearizability(const RunRecord& run, const Out& out) {
  const sim::LinearizabilityReport lin = sim::CheckLinearizability(*run.history, core::Limits{}, run.budget);
  int violations = 0, undecided = 0;
  size_t max_key_ops = 0;
  uint64_t max_key_steps = 0;
  for (const auto& k : lin.keys) {
    violations += k.verdict == sim::Verdict::kViolation;
    undecided += k.verdict == sim::Verdict::kUnknown;
    max_key_ops = std::max(max_key_ops, k.ops);
    max_key_steps = std::max(max_key_steps, k.steps);
  }
  absl::StrAppendFormat(out.report, "linearizability: %s over %d keys (%d steps, largest key %d ops / %d steps); "
                                    "%d violations, %d undecided\n",
                        sim::VerdictName(lin.verdict), lin.keys.size(), lin.steps, max_key_ops,
                        max_key_steps, violations, undecided);
  out.json->push_back(absl::StrFormat("\"linearizability\":{\"verdict\":\"%s\",\"keys\":%d,\"steps\":%d,"
                                      "\"max_key_ops\":%d,\"max_key_steps\":%d,\"violations\":%d,\"undecided\":%d}",
                                      sim::VerdictName(lin.verdict), lin.keys.size(), lin.steps, max_key_ops,
                                      max_key_steps, violations, undecided));
  out.AddCheck("history is linearizable (every key decided)", lin.verdict == sim::Verdict::kLinearizable,
               lin.Summary());
}

void JudgeLostWrites(const RunRecord& run, const Out& out) {
  const LostWrites lost = CountLostWrites(run);
  absl::StrAppendFormat(out.report, "acknowledged writes lost: %d (final reads: %d keys, %d failed)\n",
                        lost.lost, run.final_reads.size(), lost.final_reads_failed);
  out.json->push_back(absl::StrFormat("\"acknowledged_writes_lost\":%d,\"final_reads\":%d,\"final_reads_failed\":%d",
                                      lost.lost, run.final_reads.size(), lost.final_reads_failed));
  out.AddCheck("no acknowledged write is lost", lost.lost == 0, absl::StrJoin(lost.examples, "\n"));
  out.AddCheck("every key is readable after healing", lost.final_reads_failed == 0,
               absl::StrCat(lost.final_reads_failed, " final reads failed"));
}

void JudgeQuorumUpRatio(const RunRecord& run, const Out& out) {
  int64_t counted = 0, counted_ok = 0;
  std::vector<std::string> counted_failures;  // the first few, for the report
  for (const Operation& op : run.history->ops()) {
    if (!IsWorkload(run, op) || ExcludedFromRatio(run, op)) continue;
    counted++;
    counted_ok += op.outcome == Outcome::kOk;
    if (op.outcome != Outcome::kOk && counted_failures.size() < kFailuresShownMax) {
      counted_failures.push_back(absl::StrCat("  ", sim::DescribeOp(op), ": ", op.error));
    }
  }
  const double ratio = counted == 0 ? 0 : static_cast<double>(counted_ok) / counted;
  absl::StrAppendFormat(out.report, "success ratio while a quorum is up: %.5f (%d of %d calls)\n", ratio,
                        counted_ok, counted);
  for (const std::string& f : counted_failures) absl::StrAppend(out.report, f, "\n");
  out.json->push_back(absl::StrFormat("\"success_ratio_quorum_up\":{\"ratio\":%.6f,\"ok\":%d,\"counted\":%d}",
                                      ratio, counted_ok, counted));
  out.AddCheck(absl::StrFormat("success ratio while a quorum is up >= %.3f", kSuccessRatioMin),
               counted > 0 && ratio >= kSuccessRatioMin, absl::StrFormat("%.5f over %d calls", ratio, counted));
}

// Faults applied and healed; nothing left pending.
void JudgeHealing(const RunRecord& run, const Out& out) {
  std::vector<std::string> heal_errors;
  for (const FaultRecord& f : run.faults) {
    if (!f.heal_status.ok()) heal_errors.push_back(DescribeFault(f.fault) + ": " + f.heal_status.ToString());
  }
  out.AddCheck("every fault healed (processes back, proposers SERVING)", heal_errors.empty(),
               absl::StrJoin(heal_errors, "\n"));
  out.AddCheck("no call left without an answer when the workload stopped", run.pending_at_close == 0,
               absl::StrCat(run.pending_at_close, " pending"));
}

// Appends the longest window without a successful call per fault kind, and the healthy
// baseline (the same measure over the stretches between fault windows).
void AppendWindows(const RunRecord& run, const std::vector<int64_t>& successes, const Out& out) {
  std::string& r = *out.report;
  std::vector<std::string>& json = *out.json;
  std::map<std::string, KindWindows> windows;
  std::vector<Interval> faulty;
  for (const FaultRecord& f : run.faults) {
    const Interval w = Window(f);
    faulty.push_back(w);
    windows[FaultKindName(f.fault.kind)].gaps_us.push_back(LongestGapUs(successes, w.from_us, w.to_us));
  }
  int64_t baseline_us = 0;
  int64_t healthy_from = run.workload_start_us + 1'000'000;  // after connections warmed up
  std::sort(faulty.begin(), faulty.end(), [](auto& a, auto& b) { return a.from_us < b.from_us; });
  for (const Interval& w : faulty) {
    if (w.from_us > healthy_from) baseline_us = std::max(baseline_us, LongestGapUs(successes, healthy_from, w.from_us));
    healthy_from = std::max(healthy_from, w.to_us);
  }
  if (run.workload_end_us > healthy_from) {
    baseline_us = std::max(baseline_us, LongestGapUs(successes, healthy_from, run.workload_end_us));
  }
  std::vector<std::string> wjson = {absl::StrFormat("\"baseline_ms\":%.1f", Ms(baseline_us))};
  absl::StrAppendFormat(&r, "longest window without a successful call (ms), healthy baseline %.1f:\n",
                        Ms(baseline_us));
  for (const auto& [kind, w] : windows) {
    const double max_ms = Ms(*std::max_element(w.gaps_us.begin(), w.gaps_us.end()));
    std::vector<std::string> each;
    for (int64_t gap : w.gaps_us) each.push_back(absl::StrFormat("%.1f", Ms(gap)));
    absl::StrAppendFormat(&r, "  %-20s max %8.1f  each [%s]\n", kind, max_ms, absl::StrJoin(each, ", "));
    wjson.push_back(absl::StrFormat("\"%s\":{\"events\":%d,\"max_ms\":%.1f,\"each_ms\":[%s]}", kind,
                                    w.gaps_us.size(), max_ms, absl::StrJoin(each, ",")));
  }
  json.push_back(absl::StrCat("\"windows_without_success\":{", absl::StrJoin(wjson, ","), "}"));
}

// Majority-down run: how calls fail while two acceptors are down, and when success resumes.
void JudgeMajorityDown(const RunRecord& run, const std::vector<int64_t>& successes, const Out& out) {
  std::string& r = *out.report;
  std::vector<std::string>& json = *out.json;
  const auto check = [&](const std::string& name, bool passed, const std::string& detail) {
    out.AddCheck(name, passed, detail);
  };
  // Group the faults: each group is one majority-down period, down from its last fault's start
  // until its first heal began (a call that returned after that may succeed: the heal of a killed
  // Redis takes a while to return, and the Redis serves before it does).
  std::map<int, Interval> groups;
  std::map<int, int64_t> healed;  // each group's first heal done: recovery is measured from it
  for (const FaultRecord& f : run.faults) {
    auto [it, fresh] = groups.try_emplace(f.fault.group, Interval{f.applied_us, f.heal_started_us});
    const auto done = healed.try_emplace(f.fault.group, f.healed_us).first;
    if (!fresh) {
      it->second.from_us = std::max(it->second.from_us, f.applied_us);
      it->second.to_us = std::min(it->second.to_us, f.heal_started_us);
      done->second = std::min(done->second, f.healed_us);
    }
  }
  std::vector<int64_t> fail_latency_us;
  int64_t down_calls = 0, down_ok = 0, down_unavailable = 0;
  std::map<std::string, int64_t> other_codes;
  std::vector<int64_t> recovery_us;
  std::string periods;
  for (const auto& [group, g] : groups) {
    std::vector<int64_t> period_latency_us;
    // Down: every proposer's quorum was gone for the whole call.
    for (const Operation& op : run.history->ops()) {
      if (!IsWorkload(run, op) || op.call_us < g.from_us + kDownSettleMs * 1000 || op.return_us > g.to_us) continue;
      down_calls++;
      if (op.outcome == Outcome::kOk) {
        down_ok++;
        continue;
      }
      fail_latency_us.push_back(op.return_us - op.call_us);
      period_latency_us.push_back(op.return_us - op.call_us);
      const absl::StatusCode code = (*run.codes)[op.id];
      if (code == absl::StatusCode::kUnavailable) down_unavailable++;
      else other_codes[absl::StatusCodeToString(code)]++;
    }
    const int64_t healed_us = healed.at(group);
    auto next = std::lower_bound(successes.begin(), successes.end(), healed_us);
    recovery_us.push_back(next == successes.end() ? -1 : *next - healed_us);
    std::vector<std::string> kinds;
    for (const FaultRecord& f : run.faults) {
      if (f.fault.group == group) kinds.push_back(absl::StrCat(FaultKindName(f.fault.kind), " ", f.fault.target));
    }
    absl::StrAppendFormat(&periods, "  period %d [%s]: %d failed calls, latency p50 %.1f ms, p99 %.1f ms; "
                                    "first success %.1f ms after healing\n",
                          group, absl::StrJoin(kinds, ", "), period_latency_us.size(),
                          Percentile(period_latency_us, 0.5), Percentile(period_latency_us, 0.99),
                          Ms(recovery_us.back()));
  }
  std::vector<std::string> others;
  for (const auto& [code, n] : other_codes) others.push_back(absl::StrCat(code, " ", n));
  const bool recovered = std::none_of(recovery_us.begin(), recovery_us.end(), [](int64_t x) { return x < 0; });
  const double recovery_max_ms = recovered && !recovery_us.empty()
                                     ? Ms(*std::max_element(recovery_us.begin(), recovery_us.end()))
                                     : -1;
  absl::StrAppendFormat(&r, "majority down (%d periods): %d calls, %d ok, %d UNAVAILABLE, other [%s]; "
                            "failure latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; first success "
                            "after healing within %.1f ms\n",
                        groups.size(), down_calls, down_ok, down_unavailable, absl::StrJoin(others, ", "),
                        Percentile(fail_latency_us, 0.5), Percentile(fail_latency_us, 0.99),
                        Percentile(fail_latency_us, 1.0), recovery_max_ms);
  r += periods;
  json.push_back(absl::StrFormat(
      "\"majority_down\":{\"periods\":%d,\"calls\":%d,\"ok\":%d,\"unavailable\":%d,\"other\":%d,"
      "\"fail_latency_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},\"recovery_max_ms\":%.1f}",
      groups.size(), down_calls, down_ok, down_unavailable, down_calls - down_ok - down_unavailable,
      Percentile(fail_latency_us, 0.5), Percentile(fail_latency_us, 0.99), Percentile(fail_latency_us, 1.0),
      recovery_max_ms));
  check("calls were made while a majority was down", down_calls > 0, "none");
  check("no call succeeds while a majority is down", down_ok == 0, absl::StrCat(down_ok, " succeeded"));
  check("calls fail with UNAVAILABLE while a majority is down", down_unavailable == down_calls - down_ok,
        absl::StrJoin(others, ", "));
  check("calls succeed again after the majority is back", recovered, "no success after a heal");
}

}  // namespace

int Verdict::passed() const {
  return static_cast<int>(std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.passed; }));
}
int Verdict::failed() const { return static_cast<int>(checks.size()) - passed(); }

Verdict Judge(const RunRecord& run) {
  Verdict v;
  std::vector<std::string> json;
  Out out{&v.report, &json, &v.checks};
  json.push_back(absl::StrFormat("\"seed\":%d,\"duration_s\":%d,\"run\":\"%s\",\"affinity\":%s,"
                                 "\"proposers\":%d,\"clients\":%d",
                                 run.seed, run.duration_s, run.majority_down ? "majority_down" : "safety",
                                 JsonString(run.affinity), run.proposers, run.workload_clients));
  JudgeCounts(run, out);
  JudgeLinearizability(run, out);
  JudgeLostWrites(run, out);
  JudgeQuorumUpRatio(run, out);
  JudgeHealing(run, out);
  const std::vector<int64_t> successes = SuccessTimes(run);
  if (run.majority_down) {
    JudgeMajorityDown(run, successes, out);
  } else {
    AppendWindows(run, successes, out);  // one fault at a time: each window is that fault's
  }
  std::vector<std::string> check_json;
  for (const Check& ch : v.checks) {
    absl::StrAppendFormat(&v.report, "[%s] %s%s\n", ch.passed ? "PASS" : "FAIL", ch.name,
                          ch.passed || ch.detail.empty() ? "" : ": " + ch.detail);
    check_json.push_back(absl::StrCat("{\"name\":", JsonString(ch.name),
                                      ",\"passed\":", ch.passed ? "true" : "false", "}"));
  }
  json.push_back(absl::StrFormat("\"passed\":%d,\"failed\":%d,\"checks\":[%s]", v.passed(), v.failed(),
                                 absl::StrJoin(check_json, ",")));
  v.json = "{" + absl::StrJoin(json, ",") + "}";
  return v;
}

}  // namespace gryadka::chaos
