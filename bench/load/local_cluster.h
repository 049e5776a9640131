// LocalCluster: gryadka-bench --spawn. Starts 3 redis-server acceptors (appendonly, fsync
// always, no RDB snapshots) and N gryadka-proposer processes on free loopback ports (with N > 1,
// each gets --peers naming all N and --advertise naming itself, the same "127.0.0.1:PORT"
// strings gryadka-bench routes by, so calls reach a key's owner in at most one hop), all in one
// fresh temp dir, waits until every proposer answers a Get, and on Stop() (or destruction) stops
// exactly the processes it started, by PID (proposers first), then removes the temp dir.
// Faults (gryadka-bench --fault) signal one spawned acceptor by its PID: freeze/thaw (SIGSTOP/
// SIGCONT) and kill/restart (SIGKILL, then the same port and dir, so Redis replays its AOF).
// Children get SIGKILL if the starting thread dies (see client/shared/process_handle.h), so
// start it from the main thread.
//
// Thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/load/options.h"  // kSpawnedAcceptors
#include "client/shared/process_handle.h"

namespace gryadka::bench {

inline constexpr int kStartAttemptsMax = 5;          // fresh ports tried per process
inline constexpr int64_t kReadyTimeoutMs = 20000;    // per process, until it answers
inline constexpr int64_t kProposerStopGraceMs = 5000;

// The persistence flags of a spawned acceptor redis-server: no RDB snapshots, the append-only
// file fsynced as `appendfsync` says ("always" is what Gryadka needs; bench/load/options.h).
// gryadka-compare's fsync floor starts its servers with the same flags.
std::vector<std::string> AcceptorRedisPersistenceArgs(const std::string& appendfsync);

struct LocalClusterOptions {
  int proposers = 1;
  int proposer_io_threads = 1;
  std::vector<std::string> proposer_flags;  // appended last, so they override ours
  std::string proposer_bin;                 // REQUIRES: non-empty
  std::string redis_server = "redis-server";
  std::string redis_appendfsync = "always";  // always | everysec | no (bench/load/options.h)
  bool keep_dir = false;                    // leave the temp dir (logs, AOFs) behind
};

class LocalCluster {
 public:
  // Starts everything and waits until it serves. On failure, whatever was started is stopped
  // and the status carries the log tails.
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Stops the proposers (SIGTERM, bounded), then the acceptors; removes the dir unless
  // keep_dir. Idempotent.
  void Stop();

  // Faults on acceptor `index` (0..kSpawnedAcceptors-1); INVALID_ARGUMENT for another index,
  // FAILED_PRECONDITION after Stop(). Freeze returns once the process is stopped.
  absl::Status FreezeAcceptor(int index);
  absl::Status ThawAcceptor(int index);
  absl::Status KillAcceptor(int index);
  // Starts the killed acceptor again on its port and waits (bounded by kReadyTimeoutMs) until
  // it answers PING; UNAVAILABLE with its log tail if it does not.
  absl::Status RestartAcceptor(int index);

  std::vector<std::string> proposer_targets() const;  // "127.0.0.1:P"
  std::vector<std::string> metrics_urls() const;      // "http://127.0.0.1:M/metrics"
  std::vector<pid_t> proposer_pids() const;
  // Every process with a name ("redis-0", "proposer-0", ...), acceptors first.
  std::vector<std::pair<std::string, pid_t>> processes() const;
  const std::string& dir() const { return dir_; }
  std::string Logs() const;

 private:
  explicit LocalCluster(LocalClusterOptions options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}
  absl::Status StartRedis(int index);
  // Picks the ports of every proposer, then starts them all; when one finds its port taken,
  // stops them and starts all again on fresh ports (at most kStartAttemptsMax times).
  absl::Status StartProposers();
  // ALREADY_EXISTS when its port was taken. REQUIRES: the ports are picked.
  absl::Status StartProposer(int index);
  std::string AcceptorList() const;
  absl::Status CheckAcceptorIndex(int index) const;

  const LocalClusterOptions options_;
  const std::string dir_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<process::ProcessHandle>> redis_;
  std::vector<int> redis_ports_;
  std::vector<std::unique_ptr<process::ProcessHandle>> proposers_;
  std::vector<int> proposer_ports_;
  std::vector<int> metrics_ports_;
};

}  // namespace gryadka::bench
