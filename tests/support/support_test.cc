// Tests of the test helpers themselves: processes are signalled by PID with the promised
// semantics, logs are captured, and RedisProcess keeps port and data across Restart().
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/shared/process_handle.h"
#include "client/shared/sync_redis.h"
#include "tests/support/redis_process.h"

namespace gryadka::test_support {

using process::ProcessHandle;
using process::ProcessSpec;
using process::RedisValue;
using process::RunRedisCommand;

namespace {

// The state letter of /proc/<pid>/stat ('S' sleeping, 'T' stopped, ...), or '?'.
char ProcState(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat;
  std::getline(in, stat);
  const size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

ProcessSpec Spec(std::string binary, std::vector<std::string> args, std::string name = "") {
  ProcessSpec spec;
  spec.binary = std::move(binary);
  spec.args = std::move(args);
  spec.name = std::move(name);
  return spec;
}

std::unique_ptr<ProcessHandle> StartOrDie(ProcessSpec spec) {
  absl::StatusOr<std::unique_ptr<ProcessHandle>> p = ProcessHandle::Start(std::move(spec));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

TEST(ProcessHandleTest, StopSendsSigtermToTheSpawnedPid) {
  std::unique_ptr<ProcessHandle> p = StartOrDie(Spec("sleep", {"30"}));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->Running());
  EXPECT_GT(p->pid(), 0);
  p->Stop();
  EXPECT_FALSE(p->Running());
  EXPECT_EQ(p->pid(), -1);
  ASSERT_TRUE(p->exit_status().has_value());
  EXPECT_TRUE(WIFSIGNALED(*p->exit_status()));
  EXPECT_EQ(WTERMSIG(*p->exit_status()), SIGTERM);
}

TEST(ProcessHandleTest, StopEscalatesToSigkillWhenSigtermIsIgnored) {
  std::unique_ptr<ProcessHandle> p =
      StartOrDie(Spec("sh", {"-c", "trap '' TERM; echo ready; exec sleep 30"}));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 1000 && !absl::StrContains(p->LogTail(), "ready"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(p->LogTail(), "ready\n");
  const auto start = std::chrono::steady_clock::now();
  p->Stop(/*grace_ms=*/300);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(p->exit_status().has_value());
  EXPECT_EQ(WTERMSIG(*p->exit_status()), SIGKILL);
}

TEST(ProcessHandleTest, PauseStopsAndResumeContinues) {
  std::unique_ptr<ProcessHandle> p = StartOrDie(Spec("sleep", {"30"}));
  ASSERT_NE(p, nullptr);
  p->Pause();
  EXPECT_EQ(ProcState(p->pid()), 'T');
  p->Resume();
  EXPECT_NE(ProcState(p->pid()), 'T');
  p->Pause();
  p->Kill();  // a paused process still dies on SIGKILL
  EXPECT_FALSE(p->Running());
  EXPECT_EQ(WTERMSIG(*p->exit_status()), SIGKILL);
}

TEST(ProcessHandleTest, LogCapturesStdoutAndStderrAndRestartAppends) {
  std::unique_ptr<ProcessHandle> p =
      StartOrDie(Spec("sh", {"-c", "echo to-out; echo to-err >&2"}, "echo"));
  ASSERT_NE(p, nullptr);
  while (p->Running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(WIFEXITED(*p->exit_status()));
  EXPECT_EQ(p->log_path(), p->dir() + "/echo.log");
  ASSERT_TRUE(p->Restart().ok());
  while (p->Running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(p->LogTail(), "to-out\nto-err\nto-out\nto-err\n");
}

TEST(ProcessHandleTest, DestructorRemovesItsTempDir) {
  std::string dir;
  {
    std::unique_ptr<ProcessHandle> p = StartOrDie(Spec("sleep", {"30"}));
    ASSERT_NE(p, nullptr);
    dir = p->dir();
    EXPECT_TRUE(std::filesystem::is_directory(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(ProcessHandleTest, MissingBinaryIsAnError) {
  absl::StatusOr<std::unique_ptr<ProcessHandle>> p =
      ProcessHandle::Start(Spec("gryadka-no-such-binary", {}));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound) << p.status();
}

TEST(RedisProcessTest, RestartKeepsPortDirAndData) {
  absl::StatusOr<std::unique_ptr<RedisProcess>> started = RedisProcess::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisProcess& redis = **started;
  const int port = redis.port();
  const std::string dir = redis.dir();
  absl::StatusOr<RedisValue> set = RunRedisCommand(port, {"SET", "k", std::string("v\0v", 3)});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->str, "OK");
  redis.Kill();
  EXPECT_FALSE(RunRedisCommand(port, {"PING"}).ok());
  const absl::Status restarted = redis.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(redis.port(), port);
  EXPECT_EQ(redis.dir(), dir);
  absl::StatusOr<RedisValue> get = RunRedisCommand(port, {"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, std::string("v\0v", 3));
  started->reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(RedisProcessTest, TwoServersGetDistinctPortsAndDirs) {
  absl::StatusOr<std::unique_ptr<RedisProcess>> a = RedisProcess::Start();
  absl::StatusOr<std::unique_ptr<RedisProcess>> b = RedisProcess::Start();
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " " << b.status();
  EXPECT_NE((*a)->port(), (*b)->port());
  EXPECT_NE((*a)->dir(), (*b)->dir());
}

TEST(RedisProcessTest, BadArgumentsFailWithTheServerLog) {
  RedisProcessOptions options;
  options.extra_args = {"--no-such-option", "1"};
  absl::StatusOr<std::unique_ptr<RedisProcess>> r = RedisProcess::Start(options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "no-such-option")) << r.status();
}

}  // namespace
}  // namespace gryadka::test_support
