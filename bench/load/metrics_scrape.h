// Reading a proposer's Prometheus text exposition (--metrics_url) and a process's memory and CPU
// time (/proc/PID/status, /proc/PID/stat). Blocking, bounded in time and size; thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/load/options.h"

namespace gryadka::bench {

inline constexpr int64_t kScrapeTimeoutMs = 2000;          // connect, send and each read
inline constexpr size_t kScrapeResponseBytesMax = 8 << 20;  // larger answers are an error

// GETs `url` over HTTP/1.0 and returns the body. Errors name the URL (non-200 status, timeout,
// oversized answer, connection refused).
absl::StatusOr<std::string> HttpGet(const HttpUrl& url);

// Parses Prometheus text format: "name{labels} value" -> value, keyed by everything before the
// value exactly as written (e.g. `gryadka_rounds_total{path="one_rtt"}`). Comments and malformed
// lines are skipped.
std::map<std::string, double> ParsePrometheusText(absl::string_view text);

// Counters of a proposer so far: rounds by path (gryadka_rounds_total{path=...}; refreshed by
// the proposer every 200 ms), and calls answered with the time they spent inside the proposer
// (gryadka_call_duration_seconds _count and _sum over every method; live).
struct RoundCounts {
  double one_rtt = 0;
  double two_rtt = 0;
  double calls = 0;
  double call_seconds = 0;
  double cache_entries = 0;  // gryadka_cache_entries (a gauge)
  RoundCounts& operator+=(const RoundCounts& o);
  RoundCounts& operator-=(const RoundCounts& o);  // gauges keep this side's value
};
absl::StatusOr<RoundCounts> ScrapeRounds(const HttpUrl& url);

// CPU time (user + system) `pid` has used so far, in seconds, from /proc/PID/stat.
absl::StatusOr<double> ReadProcessCpuSeconds(pid_t pid);

// CPU time the whole machine has been busy (not idle or waiting for I/O), summed over every
// CPU, in seconds, from /proc/stat.
absl::StatusOr<double> ReadMachineBusySeconds();

// VmRSS and VmHWM of `pid` in KiB, from /proc/PID/status.
struct ProcessMemory {
  int64_t rss_kib = 0;
  int64_t hwm_kib = 0;
};
absl::StatusOr<ProcessMemory> ReadProcessMemory(pid_t pid);

}  // namespace gryadka::bench
