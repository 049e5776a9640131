// The standard Prometheus process metrics of this process, read from /proc at scrape time:
//
//   process_cpu_seconds_total      counter  user + system CPU time
//   process_resident_memory_bytes  gauge    resident set size
//   process_virtual_memory_bytes   gauge    virtual memory size
//   process_open_fds               gauge    open file descriptors
//   process_max_fds                gauge    the soft limit on open file descriptors
//   process_start_time_seconds     gauge    start time, seconds since the Unix epoch
//   process_threads                gauge    OS threads
//
// The names and meanings are those of the official Prometheus client libraries, so existing
// dashboards and alerts work unchanged (docs/operations.md lists them with what to do).
// The parsers are pure functions (tested on captured /proc text); ProcessCollector reads the
// files of the calling process, each bounded by kProcFileBytesMax. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace gryadka::server {

// /proc/self/stat and /proc/self/limits are a few hundred bytes; /proc/stat grows with the
// number of CPUs (about 150 bytes each), so this allows thousands.
inline constexpr size_t kProcFileBytesMax = 1 << 20;
// Open descriptors are counted by listing /proc/self/fd, at most this many entries per scrape
// (a process past it has bigger problems; the gauge then reads this value).
inline constexpr int64_t kOpenFdsCountedMax = 1 << 20;

// The fields of /proc/<pid>/stat that the process metrics use, in the kernel's units.
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  int64_t threads = 0;
  uint64_t start_ticks_after_boot = 0;
  uint64_t virtual_bytes = 0;
  int64_t resident_pages = 0;
};

// Parses one /proc/<pid>/stat line. The command name (field 2) may hold spaces and ')' so the
// fields are counted from the LAST ')'. INVALID_ARGUMENT names the field that is missing or not
// a number.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// The soft limit of "Max open files" in /proc/<pid>/limits; -1 for "unlimited".
absl::StatusOr<int64_t> ParseMaxOpenFiles(absl::string_view limits_text);

// The "btime" line of /proc/stat: boot time, seconds since the Unix epoch.
absl::StatusOr<int64_t> ParseBootTimeSeconds(absl::string_view proc_stat_text);

// One sample of the process metrics, in Prometheus units (seconds, bytes).
struct ProcessSample {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;  // -1 when unlimited
  double start_time_seconds = 0;
  double threads = 0;
};

// The families for a sample, named and typed as in the header comment.
std::vector<prometheus::MetricFamily> ProcessFamilies(const ProcessSample& sample);

// Reads the calling process's sample from /proc. Errors name the file that could not be read or
// parsed.
absl::StatusOr<ProcessSample> ReadSelfSample();

// Collectable for an Exposer: the process families at every scrape. A scrape that cannot read
// /proc (not Linux, /proc not mounted) exports no process families rather than wrong values.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace gryadka::server
