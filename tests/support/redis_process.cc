#include "tests/support/redis_process.h"

#include <chrono>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gryadka::test_support {

using process::FreeLoopbackPort;
using process::MakeTempDir;
using process::ProcessHandle;
using process::ProcessIdFromInfo;
using process::ProcessSpec;
using process::RedisValue;
using process::RunRedisCommand;
using process::SyncRedis;

namespace {

constexpr int64_t kReadyPollMs = 10;
constexpr int64_t kProbeTimeoutMs = 500;  // per connection attempt while waiting for PONG

}  // namespace

ProcessSpec RedisProcess::Spec(const RedisProcessOptions& options, int port,
                               const std::string& dir) {
  ProcessSpec spec;
  spec.binary = options.binary;
  spec.name = "redis-server";
  spec.args = {"--port", absl::StrCat(port), "--bind", "127.0.0.1", "--dir", dir,
               "--save", "", "--appendonly", "yes", "--appendfsync", "always",
               "--daemonize", "no"};
  if (!options.requirepass.empty()) {
    spec.args.insert(spec.args.end(), {"--requirepass", options.requirepass});
  }
  spec.args.insert(spec.args.end(), options.extra_args.begin(), options.extra_args.end());
  return spec;
}

absl::StatusOr<std::unique_ptr<RedisProcess>> RedisProcess::Start(RedisProcessOptions options) {
  absl::Status last = absl::InternalError("start_attempts_max < 1");
  for (int attempt = 0; attempt < options.start_attempts_max; ++attempt) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    absl::StatusOr<std::string> dir = MakeTempDir("gryadka-redis-");
    if (!dir.ok()) return dir.status();
    absl::StatusOr<std::unique_ptr<ProcessHandle>> process =
        ProcessHandle::Start(Spec(options, *port, *dir), *dir, /*adopt_dir=*/true);
    if (!process.ok()) {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
      return process.status();
    }
    std::unique_ptr<RedisProcess> redis(new RedisProcess(options, *port, *std::move(process)));
    last = redis->WaitReady();
    if (last.ok()) return redis;
    if (!absl::StrContains(redis->LogTail(), "Address already in use")) return last;
  }
  return last;
}

absl::Status RedisProcess::Restart() {
  process_->Stop();
  if (absl::Status s = process_->Restart(); !s.ok()) return s;
  return WaitReady();
}

absl::Status RedisProcess::WaitReady() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.ready_timeout_ms);
  std::string last_answer = "no answer yet";
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) {
      return absl::UnavailableError(absl::StrCat(Describe(), " exited while starting; log tail:\n",
                                                 LogTail()));
    }
    absl::StatusOr<RedisValue> info = RunOnce({"INFO", "server"}, kProbeTimeoutMs);
    if (info.ok() && info->type == RedisValue::Type::kString) {
      if (ProcessIdFromInfo(info->str) != process_->pid()) {
        return absl::UnavailableError(
            absl::StrCat("another redis-server answers on port ", port_, "; ours: ",
                         process_->Describe(), "; log tail:\n", LogTail()));
      }
      absl::StatusOr<RedisValue> pong = RunOnce({"PING"}, kProbeTimeoutMs);
      if (pong.ok() && pong->type == RedisValue::Type::kStatus && pong->str == "PONG") {
        return absl::OkStatus();
      }
      last_answer = pong.ok() ? pong->DebugString() : pong.status().ToString();  // e.g. LOADING
    } else {
      last_answer = info.ok() ? info->DebugString() : info.status().ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kReadyPollMs));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      Describe(), " did not answer PING within ", options_.ready_timeout_ms,
      " ms (last: ", last_answer, "); ", process_->Describe(), "; log tail:\n", LogTail()));
}

std::string RedisProcess::Describe() const { return absl::StrCat("redis 127.0.0.1:", port_); }

absl::StatusOr<SyncRedis> RedisProcess::Connect() const {
  absl::StatusOr<SyncRedis> conn = SyncRedis::Connect("127.0.0.1", port_);
  if (!conn.ok() || options_.requirepass.empty()) return conn;
  absl::StatusOr<RedisValue> ok = conn->Command({"AUTH", options_.requirepass});
  if (!ok.ok()) return ok.status();
  if (ok->IsError()) {
    return absl::UnauthenticatedError(absl::StrCat(Describe(), ": AUTH: ", ok->DebugString()));
  }
  return conn;
}

absl::StatusOr<RedisValue> RedisProcess::RunOnce(const std::vector<std::string>& argv,
                                                 int64_t timeout_ms) const {
  if (options_.requirepass.empty()) return RunRedisCommand(port_, argv, timeout_ms);
  absl::StatusOr<SyncRedis> conn = SyncRedis::Connect("127.0.0.1", port_, timeout_ms);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<RedisValue> ok = conn->Command({"AUTH", options_.requirepass});
  if (!ok.ok() || ok->IsError()) return ok;
  return conn->Command(argv);
}

}  // namespace gryadka::test_support
