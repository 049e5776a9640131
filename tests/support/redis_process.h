// Test support: a private redis-server acting as a Gryadka acceptor, on a free loopback port in
// its own temp dir, with the acceptor's durability settings:
//   redis-server --port P --bind 127.0.0.1 --dir D --save '' --appendonly yes
//                --appendfsync always --daemonize no
// Restart() keeps port and dir, so Redis replays its AOF. Only the spawned PID is ever signalled
// (see ProcessHandle). Thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/shared/process_handle.h"
#include "client/shared/sync_redis.h"

namespace gryadka::test_support {

struct RedisProcessOptions {
  std::string binary = "redis-server";  // a path or a name looked up in PATH
  int64_t ready_timeout_ms = 10000;     // bound on waiting for PONG after (re)start
  int start_attempts_max = 5;           // fresh ports tried if the chosen one was taken
  std::vector<std::string> extra_args;  // appended to the command line
  // Non-empty: started with `--requirepass` (the default user's password); the helper's own
  // connections (readiness probe, Connect()) AUTH with it first. ACL users can then be added
  // with ACL SETUSER over Connect().
  std::string requirepass;
};

class RedisProcess {
 public:
  // Starts redis-server and waits until it answers PING. On failure the status carries the
  // command line and the tail of the server's log.
  static absl::StatusOr<std::unique_ptr<RedisProcess>> Start(RedisProcessOptions options = {});
  // Stops the server and removes its temp dir (see ProcessHandle).
  ~RedisProcess() = default;

  // SIGTERM, then SIGKILL after a bounded wait.
  void Stop() { process_->Stop(); }
  // SIGKILL: a crash. Everything acknowledged is in the AOF (appendfsync always).
  void Kill() { process_->Kill(); }
  // Stops it if running, starts it on the same port and dir, waits for PING (AOF replayed).
  absl::Status Restart();
  // SIGSTOP / SIGCONT.
  void Pause() { process_->Pause(); }
  void Resume() { process_->Resume(); }
  bool Running() { return process_->Running(); }

  int port() const { return port_; }
  const std::string& dir() const { return process_->dir(); }
  pid_t pid() const { return process_->pid(); }
  std::string LogTail(size_t bytes_max = 4096) const { return process_->LogTail(bytes_max); }
  // "redis 127.0.0.1:P"
  std::string Describe() const;
  // A new blocking client connection to this server (authenticated as the default user when
  // options.requirepass is set).
  absl::StatusOr<process::SyncRedis> Connect() const;

 private:
  RedisProcess(RedisProcessOptions options, int port,
               std::unique_ptr<process::ProcessHandle> process)
      : options_(std::move(options)), port_(port), process_(std::move(process)) {}
  static process::ProcessSpec Spec(const RedisProcessOptions& options, int port,
                                   const std::string& dir);
  // Waits until the server answers PING and reports our PID.
  absl::Status WaitReady();
  // One command on a new connection (authenticated as in Connect()), bounded by timeout_ms.
  absl::StatusOr<process::RedisValue> RunOnce(const std::vector<std::string>& argv,
                                              int64_t timeout_ms) const;

  const RedisProcessOptions options_;
  const int port_;
  std::unique_ptr<process::ProcessHandle> process_;
};

}  // namespace gryadka::test_support
