// The systems gryadka-compare starts side by side on loopback, each in its own temp dir, and
// stops by PID (then removes the dir):
//   Gryadka  bench/load/local_cluster.h: 3 redis-server (appendonly, appendfsync always) and
//            N gryadka-proposer.
//   etcd     EtcdCluster: a 3-member etcd (Debian's etcd-server), each member with its own
//            data dir and etcd's default fsync (every raft entry is fsynced before it is
//            acknowledged), peers and clients on free loopback ports.
//   Redis    StartFloorRedis: one redis-server, no persistence, no replication: the floor.
//   fsync floor  3 StartFloorRedis with Gryadka's acceptor settings (appendonly, appendfsync
//            always), written to 2 at a time with plain INCR (connections.h): what the
//            acceptors' disk allows with no proposer, no gRPC and no script in the way.
//   gRPC floor  StartGrpcFloor: one gryadka-grpc-floor (bench/compare/grpc_floor.cc),
//            gryadka.v1.KV answered from memory on one completion-queue thread: what one gRPC
//            call per operation costs with nothing else in the way.
// Children get SIGKILL if the starting thread dies (client/shared/process_handle.h): start
// them from the main thread.
//
// Thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/options.h"  // kSpawnedAcceptors

namespace gryadka::process {
class ProcessHandle;
}  // namespace gryadka::process

namespace gryadka::bench::compare {

inline constexpr int kEtcdMembers = 3;
inline constexpr int kFsyncFloorServers = kSpawnedAcceptors;  // as Gryadka's acceptors
// Fresh ports (and a fresh dir) tried when another process took a port before a server bound it.
inline constexpr int kSystemStartAttemptsMax = 3;
inline constexpr int64_t kEtcdReadyTimeoutMs = 30000;   // until every member answers a Range
inline constexpr int64_t kRedisReadyTimeoutMs = 10000;  // until PING answers
inline constexpr int64_t kGrpcFloorReadyTimeoutMs = 10000;  // until its channel connects
inline constexpr int64_t kSystemStopGraceMs = 5000;     // SIGTERM, then SIGKILL

// Named processes ("etcd-0", ...) for CPU accounting.
using NamedPids = std::vector<std::pair<std::string, pid_t>>;

class EtcdCluster {
 public:
  // Starts the members and waits until each answers a linearizable Range (again on fresh ports,
  // up to kSystemStartAttemptsMax times, if a port was taken). On failure whatever was started is
  // stopped and the status carries the members' log tails.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(const std::string& etcd_bin);
  ~EtcdCluster();  // Stop()
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  void Stop();  // by PID; removes the dir. Idempotent.
  const std::vector<std::string>& client_targets() const {
    return client_targets_;
  }  // "127.0.0.1:P"
  // The client target of the current leader (asked of every member with Maintenance.Status);
  // UNAVAILABLE if no member names a leader that is one of them.
  absl::StatusOr<std::string> LeaderTarget() const;
  NamedPids processes() const;

 private:
  explicit EtcdCluster(std::string dir) : dir_(std::move(dir)) {}
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> StartOnce(const std::string& etcd_bin);
  std::string Logs() const;

  const std::string dir_;
  std::vector<std::string> client_targets_;
  std::vector<std::unique_ptr<process::ProcessHandle>> members_;
};

enum class Persistence {
  kNone,         // --appendonly no
  kFsyncAlways,  // AcceptorRedisPersistenceArgs("always"), as Gryadka's acceptors
};

// One server process on a free loopback port, in a temp dir of its own: a floor Redis or the gRPC
// floor (the functions below start each).
class LocalServer {
 public:
  // The arguments of the server for `port`, with `dir` its own temp dir.
  using ArgsFn = std::function<std::vector<std::string>(int port, const std::string& dir)>;
  // Waits until the server at `port` serves; an error when it exited or did not in time.
  using ReadyFn = std::function<absl::Status(process::ProcessHandle& p, int port)>;

  // Starts `binary` (named `name` in the CPU accounting and in errors) and waits until `ready`
  // (again on fresh ports, up to kSystemStartAttemptsMax times, if a port was taken). On failure
  // the status carries the server's log tail.
  static absl::StatusOr<std::unique_ptr<LocalServer>> Start(const std::string& binary,
                                                            const std::string& name,
                                                            const ArgsFn& args,
                                                            const ReadyFn& ready);
  ~LocalServer();  // Stop()
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  void Stop();  // by PID; removes the dir. Idempotent.
  int port() const { return port_; }
  std::string target() const;  // "127.0.0.1:P"
  NamedPids processes() const;

 private:
  LocalServer(std::string dir, int port, std::string name)
      : dir_(std::move(dir)), port_(port), name_(std::move(name)) {}
  static absl::StatusOr<std::unique_ptr<LocalServer>> StartOnce(const std::string& binary,
                                                                const std::string& name,
                                                                const ArgsFn& args,
                                                                const ReadyFn& ready);
  const std::string dir_;
  const int port_;
  const std::string name_;
  std::unique_ptr<process::ProcessHandle> process_;
};

// A redis-server that answers PING (fresh ports on a taken one, as EtcdCluster).
absl::StatusOr<std::unique_ptr<LocalServer>> StartFloorRedis(const std::string& redis_server,
                                                             Persistence persistence,
                                                             const std::string& name);
// gryadka-grpc-floor (`bin`), named "grpc-floor", once a channel to it connects.
absl::StatusOr<std::unique_ptr<LocalServer>> StartGrpcFloor(const std::string& bin);

}  // namespace gryadka::bench::compare
