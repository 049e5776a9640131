// A tiny structured logger: one JSON object per line on stderr. Thread-safe (one write(2) per
// line). Abseil 20220623 has no absl/log, and a JSON line is what log shippers want anyway.
//
//   Log(LogLevel::kInfo, "listening", {{"address", addr}, {"io_threads", "4"}});
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace gryadka::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below `level` are dropped. Call from main before starting threads.
void SetLogLevel(LogLevel level);
// Parses "debug|info|warning|error"; returns false on anything else.
bool ParseLogLevel(std::string_view s, LogLevel* out);

// Routes the log lines of protobuf (google::protobuf::SetLogHandler) and gRPC
// (gpr_set_log_function) through Log(), with "source" ("protobuf" or "grpc") and "file" fields,
// so that stderr carries JSON lines only. Call from main before starting threads.
void RouteLibraryLogsThroughLog();

// Makes every line written to file descriptor 2 by anyone but Log() a JSON line too: fd 2
// becomes a pipe read by a thread that logs each line (cut at kCapturedLineBytesMax) as
// {"level":"error" or "warning","msg":LINE,"source":"stderr"} ("error" when the line looks like
// one: ERROR, FATAL, "Check failed", or glog's E/F prefix); Log() writes to the original
// stderr. Catches Abseil's flag errors and raw logging, std::cerr and fprintf(stderr). At exit
// (std::exit or return from main) fd 2 is given back to the original stderr and the lines still
// in the pipe are logged (waiting at most kStderrFlushWaitMs); what is written after that (a
// leak checker's report) is plain text. A FATAL Abseil raw log is also logged directly by an
// abort hook. Best effort after a crash: a process killed by a signal or _exit()ing (e.g. a
// sanitizer report without log_path) may lose its last captured lines. Call first in main, before starting threads;
// does nothing (stderr stays as it is) if the pipe or the thread cannot be made.
inline constexpr size_t kCapturedLineBytesMax = 16384;
inline constexpr int64_t kStderrFlushWaitMs = 1000;
void CaptureStderrAsJson();

// True when a line at `level` would be written (to skip building one that would be dropped).
bool LogEnabled(LogLevel level);

// `key` for a log field: its first `bytes_max` bytes in gryadkactl's display form (EscapeBytes,
// client/shared/json_string.h: printable UTF-8 kept, \" \\ \n \r \t, every other byte as \xHH),
// with "...(N bytes)" appended when cut, N the key's full size. The result is at most
// 4 * bytes_max + 32 bytes.
std::string KeyForLog(std::string_view key, size_t bytes_max);

void Log(LogLevel level, std::string_view msg,
         std::initializer_list<std::pair<std::string_view, std::string>> fields = {});

// Rate limit for one repetitive log site: Allow() is true at most once per period_ms (the
// first call is allowed). Thread-safe.
class LogLimiter {
 public:
  explicit LogLimiter(int64_t period_ms) : period_ms_(period_ms) {}
  bool Allow();

 private:
  const int64_t period_ms_;
  std::atomic<int64_t> next_ms_{0};
};

// A LogLimiter that counts what it refuses: Allow() returns true at most once per period_ms
// (the first call is allowed) and then sets *suppressed to the number of calls refused since
// the previous allowed one. Thread-safe.
class CountingLogLimiter {
 public:
  explicit CountingLogLimiter(int64_t period_ms) : limiter_(period_ms) {}
  bool Allow(uint64_t* suppressed);

 private:
  LogLimiter limiter_;
  std::atomic<uint64_t> refused_{0};
};

}  // namespace gryadka::server
