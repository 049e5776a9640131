// The result of a gryadka-bench run, as a human table and as one line of JSON (the last line of
// stdout, for scripts). Pure formatting; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/load/driver.h"
#include "bench/load/metrics_scrape.h"
#include "bench/load/options.h"

namespace gryadka::bench {

struct BenchResult {
  RunStats stats;
  double window_s = 0;                // length of the measured window
  std::vector<std::string> targets;   // the proposers the load went to
  std::optional<RoundCounts> rounds;  // rounds run in the window, summed over --metrics_url
  std::string rounds_error;           // why `rounds` is missing, when metrics were asked for
  std::vector<ProcessMemory> rss_start;  // --report_rss: per proposer, once serving
  std::vector<ProcessMemory> rss_end;    // --report_rss: per proposer, after the run
  // --report_cpu: CPU cores each process used over the window (CPU seconds / window seconds),
  // "redis-0".."proposer-N", "gryadka-bench" itself, and "machine" (all CPUs busy, any process).
  std::vector<std::pair<std::string, double>> cpu_cores;
  // CPU microseconds each process (not "machine") spent per successful operation of the window:
  // cores * 1e6 / ops_per_s. Empty without --report_cpu or when the window completed nothing.
  std::vector<std::pair<std::string, double>> CpuMicrosPerOp() const;
  bool interrupted = false;           // SIGINT/SIGTERM ended the run early
  // --fault: when the fault began and ended (ms after the window began; -1 = it did not), and
  // why it could not be applied or undone ("" if it was).
  double fault_started_ms = -1;
  double fault_ended_ms = -1;
  std::string fault_error;

  double ops_per_s() const { return window_s > 0 ? stats.ops / window_s : 0; }
  // one_rtt / (one_rtt + two_rtt) over the window, if known.
  std::optional<double> one_rtt_share() const;
  // Mean time a call spent inside the proposer(s) over the window (arrival to answer), if known.
  std::optional<double> proposer_mean_ms() const;
};

// What a --fault run measured, from the timeline (RunStats::timeline) and the per-window
// histograms. Throughput stretches use the actual fault times (the scheduled ones if the fault
// did not happen); latency stretches the scheduled ones.
struct Availability {
  int64_t fault_start_ms = 0;  // the stretches: [0, start) healthy, [start, end) fault,
  int64_t fault_end_ms = 0;    // [end, window) after
  double ops_per_s[kFaultWindows] = {};  // indexed by FaultWindow
  double p50_ms[kFaultWindows] = {};
  double p99_ms[kFaultWindows] = {};
  double max_ms[kFaultWindows] = {};
  double throughput_ratio = 0;    // fault ops/s / healthy ops/s; 0 if healthy had none
  int64_t longest_gap_ms = 0;     // no successful operation, from the fault start to the end
  int64_t healthy_longest_gap_ms = 0;  // the same before the fault: the noise floor
};
// REQUIRES: o.fault.kind != kNone.
Availability ComputeAvailability(const BenchOptions& o, const BenchResult& r);

std::string FormatTable(const BenchOptions& o, const BenchResult& r);

// One line, no newline. Keys: ops_per_s, ops, window_s, p50_ms, p90_ms, p99_ms, p999_ms,
// max_ms, mean_ms, errors, errors_by_code, conflicts, declined, one_rtt_share (null when
// unknown), rounds_one_rtt, rounds_two_rtt, proposer_mean_ms (null when unknown), warmup_ops, warmup_errors, prefill_ops,
// prefill_errors, interrupted, proposer_rss_kib / proposer_hwm_kib / proposer_rss_start_kib
// (with --report_rss), cpu_cores{name: cores} and cpu_us_per_op{name: us} (with --report_cpu),
// with --fault:
// healthy_ops_per_s, fault_ops_per_s, after_ops_per_s, fault_throughput_ratio, longest_gap_ms,
// healthy_longest_gap_ms, {healthy,fault,after}_{p50,p99,max}_ms, fault{kind, acceptor, at_s,
// duration_s, started_ms, ended_ms, error}; and config{...}.
std::string FormatJson(const BenchOptions& o, const BenchResult& r);

}  // namespace gryadka::bench
