#include "bench/load/report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/shared/json_string.h"

namespace gryadka::bench {
namespace {

constexpr double kNsPerMs = 1e6;

double Ms(uint64_t ns) { return static_cast<double>(ns) / kNsPerMs; }

std::string JsonStringArray(const std::vector<std::string>& v) {
  std::vector<std::string> parts;
  for (const auto& s : v) parts.push_back(JsonString(s));
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

std::string KibArray(const std::vector<ProcessMemory>& v, bool hwm) {
  std::vector<std::string> parts;
  for (const auto& m : v) parts.push_back(absl::StrCat(hwm ? m.hwm_kib : m.rss_kib));
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

}  // namespace

std::optional<double> BenchResult::one_rtt_share() const {
  if (!rounds) return std::nullopt;
  const double total = rounds->one_rtt + rounds->two_rtt;
  if (total <= 0) return std::nullopt;
  return rounds->one_rtt / total;
}

std::optional<double> BenchResult::proposer_mean_ms() const {
  if (!rounds || rounds->calls <= 0) return std::nullopt;
  return rounds->call_seconds * 1000 / rounds->calls;
}

Availability ComputeAvailability(const BenchOptions& o, const BenchResult& r) {
  Availability a;
  const bool happened = r.fault_started_ms >= 0 && r.fault_ended_ms >= r.fault_started_ms;
  a.fault_start_ms = happened ? static_cast<int64_t>(r.fault_started_ms)
                              : static_cast<int64_t>(o.fault.at_s * 1000);
  a.fault_end_ms = happened ? static_cast<int64_t>(r.fault_ended_ms)
                            : static_cast<int64_t>((o.fault.at_s + o.fault.duration_s) * 1000);
  const Timeline& t = r.stats.timeline;
  // The window may have been cut short (interrupted): the timeline ends with it.
  const int64_t end_ms = std::min(t.length_ms(), static_cast<int64_t>(r.window_s * 1000));
  const int64_t bounds[kFaultWindows + 1] = {0, std::min(a.fault_start_ms, end_ms),
                                             std::min(a.fault_end_ms, end_ms), end_ms};
  for (int w = 0; w < kFaultWindows; ++w) {
    a.ops_per_s[w] = t.OpsPerSecond(bounds[w], bounds[w + 1]);
    const LatencyHistogram& h = r.stats.window_latency[w];
    a.p50_ms[w] = Ms(h.QuantileNs(0.5));
    a.p99_ms[w] = Ms(h.QuantileNs(0.99));
    a.max_ms[w] = Ms(h.max_ns());
  }
  const double healthy = a.ops_per_s[static_cast<int>(FaultWindow::kHealthy)];
  a.throughput_ratio = healthy > 0 ? a.ops_per_s[static_cast<int>(FaultWindow::kFault)] / healthy : 0;
  a.longest_gap_ms = t.LongestGapMs(bounds[1], end_ms);
  a.healthy_longest_gap_ms = t.LongestGapMs(0, bounds[1]);
  return a;
}

namespace {

void AppendAvailabilityTable(const BenchOptions& o, const BenchResult& r, std::string* out) {
  const Availability a = ComputeAvailability(o, r);
  absl::StrAppendFormat(out, "  %-26s %s redis-%d at %.0f ms, back at %.0f ms (scheduled %g s for %g s)%s\n",
                        "fault", FaultKindName(o.fault.kind), o.fault.acceptor, r.fault_started_ms,
                        r.fault_ended_ms, o.fault.at_s, o.fault.duration_s,
                        r.fault_error.empty() ? "" : absl::StrCat(" FAILED: ", r.fault_error));
  absl::StrAppendFormat(out, "  %-26s %10s %9s %9s %9s\n", "by stretch", "ops/s", "p50 ms", "p99 ms",
                        "max ms");
  for (int w = 0; w < kFaultWindows; ++w) {
    absl::StrAppendFormat(out, "    %-24s %10.1f %9.3f %9.3f %9.3f\n",
                          FaultWindowName(static_cast<FaultWindow>(w)), a.ops_per_s[w], a.p50_ms[w],
                          a.p99_ms[w], a.max_ms[w]);
  }
  absl::StrAppendFormat(out, "  %-26s %.3f\n", "fault/healthy throughput", a.throughput_ratio);
  absl::StrAppendFormat(out, "  %-26s %d ms from the fault on (%d ms before it)\n",
                        "longest gap (no success)", a.longest_gap_ms, a.healthy_longest_gap_ms);
}

void AppendAvailabilityJson(const BenchOptions& o, const BenchResult& r, std::string* out) {
  const Availability a = ComputeAvailability(o, r);
  for (int w = 0; w < kFaultWindows; ++w) {
    const char* name = FaultWindowName(static_cast<FaultWindow>(w));
    absl::StrAppendFormat(out, "\"%s_ops_per_s\":%.1f,\"%s_p50_ms\":%.4f,\"%s_p99_ms\":%.4f,\"%s_max_ms\":%.4f,",
                          name, a.ops_per_s[w], name, a.p50_ms[w], name, a.p99_ms[w], name, a.max_ms[w]);
  }
  absl::StrAppendFormat(out, "\"fault_throughput_ratio\":%.4f,\"longest_gap_ms\":%d,\"healthy_longest_gap_ms\":%d,",
                        a.throughput_ratio, a.longest_gap_ms, a.healthy_longest_gap_ms);
  absl::StrAppendFormat(out, "\"fault\":{\"kind\":%s,\"acceptor\":%d,\"at_s\":%g,\"duration_s\":%g,\"started_ms\":%.1f,\"ended_ms\":%.1f,\"error\":%s},",
                        JsonString(FaultKindName(o.fault.kind)), o.fault.acceptor, o.fault.at_s,
                        o.fault.duration_s, r.fault_started_ms, r.fault_ended_ms, JsonString(r.fault_error));
}

}  // namespace

std::vector<std::pair<std::string, double>> BenchResult::CpuMicrosPerOp() const {
  std::vector<std::pair<std::string, double>> out;
  const double ops_s = ops_per_s();
  if (ops_s <= 0) return out;
  for (const auto& [name, cores] : cpu_cores) {
    if (name != "machine") out.emplace_back(name, cores * 1e6 / ops_s);
  }
  return out;
}

std::string FormatTable(const BenchOptions& o, const BenchResult& r) {
  const RunStats& s = r.stats;
  const LatencyHistogram& h = s.latency;
  std::string out;
  absl::StrAppendFormat(&out, "gryadka-bench  workload=%s concurrency=%d keys=%d key_order=%s value_bytes=%d routing=%s\n",
                        o.workload.ToString(), o.concurrency, o.keys, KeyOrderName(o.key_order),
                        o.value_bytes, RoutingName(o.routing));
  absl::StrAppendFormat(
      &out, "               targets=%s channels=%d threads=%d%s\n", absl::StrJoin(r.targets, ","),
      o.channels, o.threads,
      o.spawn
          ? absl::StrFormat(" (spawned: 3 redis, appendfsync %s, %d proposer(s), io_threads=%d)",
                            o.redis_appendfsync, o.proposers, o.proposer_io_threads)
          : "");
  absl::StrAppendFormat(&out, "  %-26s %.2f s%s\n", "measured window", r.window_s,
                        r.interrupted ? " (interrupted)" : "");
  absl::StrAppendFormat(&out, "  %-26s %d\n", "operations", s.ops);
  absl::StrAppendFormat(&out, "  %-26s %.1f\n", "ops/s", r.ops_per_s());
  absl::StrAppendFormat(&out, "  %-26s %8s %8s %8s %8s %8s %8s\n", "latency (ms)", "p50", "p90",
                        "p99", "p99.9", "max", "mean");
  absl::StrAppendFormat(&out, "  %-26s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n", "",
                        Ms(h.QuantileNs(0.5)), Ms(h.QuantileNs(0.9)), Ms(h.QuantileNs(0.99)),
                        Ms(h.QuantileNs(0.999)), Ms(h.max_ns()), h.mean_ns() / kNsPerMs);
  if (auto in_proposer = r.proposer_mean_ms(); in_proposer && s.ops > 0) {
    // A CAS is two calls: compare per operation.
    const double calls_per_op = r.rounds->calls / static_cast<double>(s.ops);
    const double inside_per_op = *in_proposer * calls_per_op;
    absl::StrAppendFormat(&out, "  %-26s %.3f ms of the %.3f ms mean inside the proposer(s) (%.2f calls per op, %.3f ms each), %.3f ms in client + transport\n",
                          "where the time goes", inside_per_op, h.mean_ns() / kNsPerMs, calls_per_op,
                          *in_proposer, h.mean_ns() / kNsPerMs - inside_per_op);
  }
  if (o.fault.kind != FaultKind::kNone) AppendAvailabilityTable(o, r, &out);
  absl::StrAppendFormat(&out, "  %-26s %d\n", "errors", s.errors());
  for (int c = 1; c < kGrpcCodes; ++c) {
    if (s.errors_by_code[c] > 0) {
      absl::StrAppendFormat(&out, "    %-24s %d\n", GrpcCodeName(c), s.errors_by_code[c]);
    }
  }
  absl::StrAppendFormat(&out, "  %-26s %d\n", "CAS conflicts (declined)", s.conflicts);
  if (s.declined > 0) absl::StrAppendFormat(&out, "  %-26s %d\n", "increments declined", s.declined);
  if (auto share = r.one_rtt_share()) {
    absl::StrAppendFormat(&out, "  %-26s %.4f (rounds: %.0f one_rtt, %.0f two_rtt)\n",
                          "1-RTT share", *share, r.rounds->one_rtt, r.rounds->two_rtt);
  } else {
    absl::StrAppendFormat(&out, "  %-26s unknown%s\n", "1-RTT share",
                          r.rounds_error.empty() ? " (no --metrics_url)"
                                                 : absl::StrCat(" (", r.rounds_error, ")"));
  }
  absl::StrAppendFormat(&out, "  %-26s %d ops, %d errors\n", "outside window: warm-up",
                        s.warmup_ops, s.warmup_errors);
  if (o.prefill) {
    absl::StrAppendFormat(&out, "  %-26s %d ops, %d errors\n", "outside window: prefill",
                          s.prefill_ops, s.prefill_errors);
  }
  if (!r.cpu_cores.empty()) {
    std::vector<std::string> parts;
    double total = 0;
    double machine = -1;
    for (const auto& [name, cores] : r.cpu_cores) {
      if (name == "machine") {
        machine = cores;
        continue;
      }
      parts.push_back(absl::StrFormat("%s %.2f", name, cores));
      total += cores;
    }
    absl::StrAppendFormat(&out, "  %-26s %s (total %.2f)\n", "CPU cores used", absl::StrJoin(parts, ", "),
                          total);
    if (machine >= 0) {
      absl::StrAppendFormat(&out, "  %-26s %.2f busy, %.2f of it by other processes\n",
                            "CPU cores, whole machine", machine, std::max(0.0, machine - total));
    }
    std::vector<std::string> per_op;
    double per_op_total = 0;
    for (const auto& [name, us] : r.CpuMicrosPerOp()) {
      per_op.push_back(absl::StrFormat("%s %.1f", name, us));
      per_op_total += us;
    }
    if (!per_op.empty()) {
      absl::StrAppendFormat(&out, "  %-26s %s (total %.1f)\n", "CPU us per operation",
                            absl::StrJoin(per_op, ", "), per_op_total);
    }
  }
  for (size_t i = 0; i < r.rss_end.size(); ++i) {
    absl::StrAppendFormat(&out, "  proposer %d memory         VmRSS %.1f MiB (at start %.1f MiB), VmHWM %.1f MiB%s\n",
                          i, r.rss_end[i].rss_kib / 1024.0,
                          i < r.rss_start.size() ? r.rss_start[i].rss_kib / 1024.0 : 0.0,
                          r.rss_end[i].hwm_kib / 1024.0,
                          r.rounds ? absl::StrFormat(", cache entries %.0f (all proposers)",
                                                     r.rounds->cache_entries)
                                   : "");
  }
  return out;
}

std::string FormatJson(const BenchOptions& o, const BenchResult& r) {
  const RunStats& s = r.stats;
  const LatencyHistogram& h = s.latency;
  std::vector<std::string> codes;
  for (int c = 1; c < kGrpcCodes; ++c) {
    if (s.errors_by_code[c] > 0) codes.push_back(absl::StrCat(JsonString(GrpcCodeName(c)), ":", s.errors_by_code[c]));
  }
  std::string out = "{";
  absl::StrAppendFormat(&out, "\"ops_per_s\":%.1f,\"ops\":%d,\"window_s\":%.3f,", r.ops_per_s(), s.ops,
                        r.window_s);
  absl::StrAppendFormat(&out,
                        "\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"p99_ms\":%.4f,\"p999_ms\":%.4f,"
                        "\"max_ms\":%.4f,\"mean_ms\":%.4f,",
                        Ms(h.QuantileNs(0.5)), Ms(h.QuantileNs(0.9)), Ms(h.QuantileNs(0.99)),
                        Ms(h.QuantileNs(0.999)), Ms(h.max_ns()), h.mean_ns() / kNsPerMs);
  absl::StrAppend(&out, "\"errors\":", s.errors(), ",\"errors_by_code\":{", absl::StrJoin(codes, ","),
                  "},\"conflicts\":", s.conflicts, ",\"declined\":", s.declined, ",");
  if (auto share = r.one_rtt_share()) {
    absl::StrAppendFormat(&out, "\"one_rtt_share\":%.4f,\"rounds_one_rtt\":%.0f,\"rounds_two_rtt\":%.0f,",
                          *share, r.rounds->one_rtt, r.rounds->two_rtt);
  } else {
    absl::StrAppend(&out, "\"one_rtt_share\":null,");
  }
  if (auto in_proposer = r.proposer_mean_ms()) {
    absl::StrAppendFormat(&out, "\"proposer_mean_ms\":%.4f,", *in_proposer);
  } else {
    absl::StrAppend(&out, "\"proposer_mean_ms\":null,");
  }
  absl::StrAppend(&out, "\"warmup_ops\":", s.warmup_ops, ",\"warmup_errors\":", s.warmup_errors,
                  ",\"prefill_ops\":", s.prefill_ops, ",\"prefill_errors\":", s.prefill_errors,
                  ",\"interrupted\":", r.interrupted ? "true" : "false", ",");
  if (!r.rss_end.empty()) {
    absl::StrAppend(&out, "\"proposer_rss_kib\":", KibArray(r.rss_end, false),
                    ",\"proposer_hwm_kib\":", KibArray(r.rss_end, true),
                    ",\"proposer_rss_start_kib\":", KibArray(r.rss_start, false), ",");
    if (r.rounds) absl::StrAppendFormat(&out, "\"cache_entries\":%.0f,", r.rounds->cache_entries);
  }
  if (!r.cpu_cores.empty()) {
    std::vector<std::string> parts;
    for (const auto& [name, cores] : r.cpu_cores) {
      parts.push_back(absl::StrFormat("%s:%.3f", JsonString(name), cores));
    }
    absl::StrAppend(&out, "\"cpu_cores\":{", absl::StrJoin(parts, ","), "},");
    std::vector<std::string> per_op;
    for (const auto& [name, us] : r.CpuMicrosPerOp()) {
      per_op.push_back(absl::StrFormat("%s:%.2f", JsonString(name), us));
    }
    absl::StrAppend(&out, "\"cpu_us_per_op\":{", absl::StrJoin(per_op, ","), "},");
  }
  if (o.fault.kind != FaultKind::kNone) AppendAvailabilityJson(o, r, &out);
  std::vector<std::string> metrics;
  for (const auto& u : o.metrics_urls) metrics.push_back(u.ToString());
  absl::StrAppend(&out, "\"config\":{");
  absl::StrAppend(&out, "\"workload\":", JsonString(o.workload.ToString()),
                  ",\"concurrency\":", o.concurrency, ",\"keys\":", o.keys,
                  ",\"key_order\":", JsonString(KeyOrderName(o.key_order)),
                  ",\"routing\":", JsonString(RoutingName(o.routing)),
                  ",\"key_prefix\":", JsonString(EffectiveKeyPrefix(o)),
                  ",\"value_bytes\":", o.value_bytes, ",\"prefill\":", o.prefill ? "true" : "false");
  absl::StrAppendFormat(&out, ",\"duration_s\":%g,\"warmup_s\":%g", o.duration_s, o.warmup_s);
  absl::StrAppend(&out, ",\"max_ops\":", o.max_ops, ",\"deadline_ms\":", o.deadline_ms,
                  ",\"threads\":", o.threads, ",\"channels\":", o.channels, ",\"seed\":", o.seed,
                  ",\"targets\":", JsonStringArray(r.targets),
                  ",\"metrics_urls\":", JsonStringArray(metrics),
                  ",\"spawn\":", o.spawn ? "true" : "false");
  if (o.spawn) {
    absl::StrAppend(
        &out, ",\"acceptors\":3,\"redis_appendfsync\":", JsonString(o.redis_appendfsync),
        ",\"proposers\":", o.proposers, ",\"proposer_io_threads\":", o.proposer_io_threads,
        ",\"proposer_flags\":", JsonStringArray(o.proposer_flags));
  }
  absl::StrAppend(&out, "}}");
  return out;
}

}  // namespace gryadka::bench
