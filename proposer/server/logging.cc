#include "proposer/server/logging.h"

#include <fcntl.h>
#include <grpc/support/log.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>

#include "absl/base/internal/raw_logging.h"

#include "client/shared/json_string.h"  // AppendJsonString: every string of a line
#include "google/protobuf/stubs/logging.h"

namespace gryadka::server {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
// Where Log() writes: stderr, or the original stderr once CaptureStderrAsJson() took fd 2.
std::atomic<int> g_out_fd{STDERR_FILENO};

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string FileAndLine(const char* file, int line) {
  return std::string(file != nullptr ? file : "?") + ":" + std::to_string(line);
}

void ProtobufLogHandler(google::protobuf::LogLevel level, const char* file, int line,
                        const std::string& message) {
  const LogLevel ours = level == google::protobuf::LOGLEVEL_INFO      ? LogLevel::kInfo
                        : level == google::protobuf::LOGLEVEL_WARNING ? LogLevel::kWarning
                                                                      : LogLevel::kError;
  Log(ours, message, {{"source", "protobuf"}, {"file", FileAndLine(file, line)}});
}

void GrpcLogHandler(gpr_log_func_args* args) {
  const LogLevel ours = args->severity == GPR_LOG_SEVERITY_DEBUG  ? LogLevel::kDebug
                        : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                  : LogLevel::kError;
  Log(ours, args->message != nullptr ? args->message : "",
      {{"source", "grpc"}, {"file", FileAndLine(args->file, args->line)}});
}

// ---- stderr capture ------------------------------------------------------------------------

struct StderrCapture {
  std::mutex mu;
  std::condition_variable cv;
  bool drained = false;  // the reader saw EOF and logged every line
};
StderrCapture* g_capture = nullptr;  // set once, never freed (used until exit)

bool LooksLikeError(std::string_view line) {
  for (std::string_view marker : {"ERROR", "FATAL", "Check failed", "error:"}) {
    if (line.find(marker) != std::string_view::npos) return true;
  }
  // glog/absl log prefix: E1129 or F1129 (severity letter, month, day).
  return line.size() >= 5 && (line[0] == 'E' || line[0] == 'F') &&
         std::isdigit(static_cast<unsigned char>(line[1])) &&
         std::isdigit(static_cast<unsigned char>(line[4]));
}

void LogCapturedLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  Log(LooksLikeError(line) ? LogLevel::kError : LogLevel::kWarning, line,
      {{"source", "stderr"}});
}

void ReadCapturedStderr(int fd) {
  std::string pending;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      LogCapturedLine(std::string_view(pending).substr(start, nl - start));
    }
    pending.erase(0, start);
    while (pending.size() >= kCapturedLineBytesMax) {
      LogCapturedLine(std::string_view(pending).substr(0, kCapturedLineBytesMax));
      pending.erase(0, kCapturedLineBytesMax);
    }
  }
  LogCapturedLine(pending);
  ::close(fd);
  std::lock_guard<std::mutex> lock(g_capture->mu);
  g_capture->drained = true;
  g_capture->cv.notify_all();
}

// atexit: points fd 2 back at the original stderr (closing the pipe's only write end) and
// waits for the reader to log what was left in the pipe. What is written later in the exit
// (e.g. a leak checker's report) goes to stderr as it is rather than nowhere.
void FlushCapturedStderr() {
  if (::dup2(g_out_fd.load(), STDERR_FILENO) < 0) return;
  std::unique_lock<std::mutex> lock(g_capture->mu);
  g_capture->cv.wait_for(lock, std::chrono::milliseconds(kStderrFlushWaitMs),
                         [] { return g_capture->drained; });
}

void AbseilAbortHook(const char* file, int line, const char* /*buf_start*/,
                     const char* prefix_end, const char* /*buf_end*/) {
  Log(LogLevel::kError, prefix_end != nullptr ? prefix_end : "abseil fatal error",
      {{"source", "abseil"}, {"file", FileAndLine(file, line)}});
}

}  // namespace

void CaptureStderrAsJson() {
  if (g_capture != nullptr) return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  const int original = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (original < 0 || ::dup2(fds[1], STDERR_FILENO) < 0) {
    for (int fd : {fds[0], fds[1], original}) {
      if (fd >= 0) ::close(fd);
    }
    return;
  }
  ::close(fds[1]);
  g_out_fd.store(original);
  g_capture = new StderrCapture();
  std::thread(ReadCapturedStderr, fds[0]).detach();
  std::atexit(FlushCapturedStderr);
  absl::raw_logging_internal::RegisterAbortHook(&AbseilAbortHook);
}

void RouteLibraryLogsThroughLog() {
  google::protobuf::SetLogHandler(&ProtobufLogHandler);
  gpr_set_log_function(&GrpcLogHandler);
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool ParseLogLevel(std::string_view s, LogLevel* out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (s == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void Log(LogLevel level, std::string_view msg,
         std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const long ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  std::string line = "{\"ts\":\"";
  line += ts;
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(&line, msg);
  for (const auto& [k, v] : fields) {
    line.push_back(',');
    AppendJsonString(&line, k);
    line.push_back(':');
    AppendJsonString(&line, v);
  }
  line += "}\n";
  ssize_t unused = ::write(g_out_fd.load(std::memory_order_relaxed), line.data(), line.size());
  (void)unused;
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string KeyForLog(std::string_view key, size_t bytes_max) {
  const size_t shown = std::min(key.size(), bytes_max);
  std::string out = EscapeBytes(absl::string_view(key.data(), shown));
  if (shown < key.size()) out += "...(" + std::to_string(key.size()) + " bytes)";
  return out;
}

bool CountingLogLimiter::Allow(uint64_t* suppressed) {
  if (!limiter_.Allow()) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *suppressed = refused_.exchange(0, std::memory_order_relaxed);
  return true;
}

bool LogLimiter::Allow() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t next = next_ms_.load(std::memory_order_relaxed);
  if (now < next) return false;
  return next_ms_.compare_exchange_strong(next, now + period_ms_, std::memory_order_relaxed);
}

}  // namespace gryadka::server
