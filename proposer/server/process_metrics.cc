#include "proposer/server/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/bounded_file.h"
#include "proposer/server/metric_family.h"

namespace gryadka::server {
namespace {

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("/proc parse: ", what));
}

template <typename T>
absl::Status Field(const std::vector<absl::string_view>& fields, size_t stat_index,
                   const char* name, T* out) {
  // stat_index is the 1-based field number of proc(5); fields[] starts at field 3 (state).
  const size_t i = stat_index - 3;
  if (i >= fields.size()) return Bad(absl::StrCat("stat has no field ", stat_index, " (", name, ")"));
  if (!absl::SimpleAtoi(fields[i], out)) {
    return Bad(absl::StrCat("stat field ", stat_index, " (", name, ") is not a number: \"",
                            fields[i], "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return absl::UnavailableError("cannot list /proc/self/fd");
  int64_t n = 0;
  while (n < kOpenFdsCountedMax) {
    const dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // the directory stream's own descriptor is not the process's
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  const size_t close = text.rfind(')');
  if (close == absl::string_view::npos) return Bad("stat has no ')' after the command name");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(text.substr(close + 1)), ' ', absl::SkipEmpty());
  ProcStat s;
  absl::Status st;
  if (!(st = Field(fields, 14, "utime", &s.utime_ticks)).ok()) return st;
  if (!(st = Field(fields, 15, "stime", &s.stime_ticks)).ok()) return st;
  if (!(st = Field(fields, 20, "num_threads", &s.threads)).ok()) return st;
  if (!(st = Field(fields, 22, "starttime", &s.start_ticks_after_boot)).ok()) return st;
  if (!(st = Field(fields, 23, "vsize", &s.virtual_bytes)).ok()) return st;
  if (!(st = Field(fields, 24, "rss", &s.resident_pages)).ok()) return st;
  return s;
}

absl::StatusOr<int64_t> ParseMaxOpenFiles(absl::string_view limits_text) {
  for (absl::string_view line : absl::StrSplit(limits_text, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max open files")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.empty()) return Bad("limits: \"Max open files\" has no soft limit");
    if (parts[0] == "unlimited") return -1;
    int64_t v;
    if (!absl::SimpleAtoi(parts[0], &v)) {
      return Bad(absl::StrCat("limits: \"Max open files\" soft limit is not a number: \"",
                              parts[0], "\""));
    }
    return v;
  }
  return Bad("limits has no \"Max open files\" line");
}

absl::StatusOr<int64_t> ParseBootTimeSeconds(absl::string_view proc_stat_text) {
  for (absl::string_view line : absl::StrSplit(proc_stat_text, '\n')) {
    if (!absl::ConsumePrefix(&line, "btime ")) continue;
    int64_t v;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &v)) {
      return Bad(absl::StrCat("stat: btime is not a number: \"", line, "\""));
    }
    return v;
  }
  return Bad("/proc/stat has no btime line");
}

std::vector<prometheus::MetricFamily> ProcessFamilies(const ProcessSample& s) {
  using prometheus::MetricType;
  return {
      OneValueFamily("process_cpu_seconds_total",
                     "Total user and system CPU time spent in seconds.", MetricType::Counter,
                     s.cpu_seconds),
      OneValueFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                     MetricType::Gauge, s.resident_bytes),
      OneValueFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                     MetricType::Gauge, s.virtual_bytes),
      OneValueFamily("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                     s.open_fds),
      OneValueFamily("process_max_fds", "Maximum number of open file descriptors (-1: unlimited).",
                     MetricType::Gauge, s.max_fds),
      OneValueFamily("process_start_time_seconds",
                     "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                     s.start_time_seconds),
      OneValueFamily("process_threads", "Number of OS threads in the process.", MetricType::Gauge,
                     s.threads),
  };
}

absl::StatusOr<ProcessSample> ReadSelfSample() {
  absl::StatusOr<std::string> stat_text = ReadFileBounded("/proc/self/stat", kProcFileBytesMax);
  if (!stat_text.ok()) return stat_text.status();
  absl::StatusOr<ProcStat> stat = ParseProcStat(*stat_text);
  if (!stat.ok()) return stat.status();
  absl::StatusOr<std::string> limits = ReadFileBounded("/proc/self/limits", kProcFileBytesMax);
  if (!limits.ok()) return limits.status();
  absl::StatusOr<int64_t> max_fds = ParseMaxOpenFiles(*limits);
  if (!max_fds.ok()) return max_fds.status();
  absl::StatusOr<std::string> system = ReadFileBounded("/proc/stat", kProcFileBytesMax);
  if (!system.ok()) return system.status();
  absl::StatusOr<int64_t> boot = ParseBootTimeSeconds(*system);
  if (!boot.ok()) return boot.status();
  absl::StatusOr<int64_t> fds = CountOpenFds();
  if (!fds.ok()) return fds.status();

  const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page_bytes = static_cast<double>(::sysconf(_SC_PAGESIZE));
  ProcessSample s;
  s.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks_per_s;
  s.resident_bytes = static_cast<double>(stat->resident_pages) * page_bytes;
  s.virtual_bytes = static_cast<double>(stat->virtual_bytes);
  s.open_fds = static_cast<double>(*fds);
  s.max_fds = static_cast<double>(*max_fds);
  s.start_time_seconds =
      static_cast<double>(*boot) + static_cast<double>(stat->start_ticks_after_boot) / ticks_per_s;
  s.threads = static_cast<double>(stat->threads);
  return s;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  absl::StatusOr<ProcessSample> s = ReadSelfSample();
  if (!s.ok()) return {};
  return ProcessFamilies(*s);
}

}  // namespace gryadka::server
