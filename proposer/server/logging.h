// A tiny structured logger: one JSON object per line on stderr. Thread-safe (one write(2) per
// line). Abseil 20220623 has no absl/log, and a JSON line is what log shippers want anyway.
//
//   Log(LogLevel::kInfo, "listening", {{"address", addr}, {"io_threads", "4"}});
#pragma once

#include <atomic>
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

}  // namespace gryadka::server
