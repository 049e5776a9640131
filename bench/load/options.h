// Options of gryadka-bench and their validation. Flags are declared and read in main.cc only;
// this file turns their values into checked options. Every error is INVALID_ARGUMENT and names
// the flag at fault. Thread-compatible (plain values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gryadka::bench {

// Bounds of the options (checked by ValidateOptions), named with their units.
inline constexpr int kConcurrencyMax = 65536;             // outstanding requests
inline constexpr uint64_t kKeysMax = 1000000000;          // distinct keys
inline constexpr size_t kValueBytesMax = 1 << 20;         // the proposer's default limit
inline constexpr double kDurationSecondsMax = 86400;      // one day
inline constexpr int64_t kDeadlineMsMax = 600000;         // ten minutes
inline constexpr int kThreadsMax = 64;                    // completion-queue threads
inline constexpr int kChannelsPerTargetMax = 64;
inline constexpr int kTargetsMax = 64;
inline constexpr int kProposersMax = 16;                  // --spawn
inline constexpr int kProposerIoThreadsMax = 256;         // the proposer's own bound
inline constexpr size_t kKeyPrefixBytesMax = 256;
inline constexpr int kSpawnedAcceptors = 3;               // --spawn: redis-server processes
// --fault runs keep a per-millisecond timeline of the window: their --duration_s is bounded by
// it (timeline.h: kTimelineMsMax).
inline constexpr double kFaultRunSecondsMax = 600;

// What each closed-loop slot does per operation.
struct Workload {
  enum class Kind {
    kIncr,   // Increment(key, 1)
    kCas,    // Get(key), then CompareAndSet(key, observed version): one op, applied or declined
    kRead,   // Get(key)
    kPut,    // Put(key, value of --value_bytes)
    kMixed,  // read_percent% Get, write_percent% Put
  };
  Kind kind = Kind::kIncr;
  int read_percent = 0;   // kMixed only
  int write_percent = 0;  // kMixed only

  // "incr", "cas", "read", "put" or "mixed:R/W" (parses back with ParseWorkload).
  std::string ToString() const;
  // "incr", "cas", "read", "put", "mixed": for key prefixes.
  const char* KindName() const;
};

// Parses --workload: incr | cas | read | put | mixed:R/W with R + W = 100.
absl::StatusOr<Workload> ParseWorkload(absl::string_view s);

enum class KeyOrder {
  kRandom,      // uniform over --keys, per slot
  kSequential,  // key i for the i-th operation (mod --keys): touches every key once per cycle
};
absl::StatusOr<KeyOrder> ParseKeyOrder(absl::string_view s);
const char* KeyOrderName(KeyOrder order);

// Which proposer an operation goes to (with several targets).
enum class Routing {
  kAffine,  // rendezvous hashing of the key: one proposer per key, as gryadka::Client routes
  kRandom,  // a proposer chosen at random per operation (clients behind a load balancer):
            // proposers contend for the same keys
};
absl::StatusOr<Routing> ParseRouting(absl::string_view s);
const char* RoutingName(Routing routing);

// What --fault does to a spawned acceptor during the measured window.
enum class FaultKind {
  kNone,
  kFreezeAcceptor,  // SIGSTOP the redis-server at fault_at_s, SIGCONT after fault_duration_s
  kKillAcceptor,    // SIGKILL it at fault_at_s, restart it (same port, AOF replayed) after
                    // fault_duration_s
};
absl::StatusOr<FaultKind> ParseFaultKind(absl::string_view s);
const char* FaultKindName(FaultKind kind);

struct FaultSchedule {
  FaultKind kind = FaultKind::kNone;
  int acceptor = 0;           // index of the spawned redis-server, 0..kSpawnedAcceptors-1
  double at_s = 3;            // seconds after the measured window begins
  double duration_s = 4;      // seconds the fault lasts (defaults fit --duration_s=10)
};

// A parsed http://HOST:PORT/PATH.
struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path = "/";
  std::string ToString() const;
};
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view s);

struct BenchOptions {
  // Where the load goes: proposers as HOST:PORT, or --spawn (a local cluster of our own).
  std::vector<std::string> targets;
  bool spawn = false;
  int proposers = 1;                        // --spawn
  int proposer_io_threads = 1;              // --spawn: the proposers' --io_threads
  std::vector<std::string> proposer_flags;  // --spawn: extra flags for every proposer
  std::string proposer_bin;                 // --spawn: empty = next to gryadka-bench
  std::string redis_server = "redis-server";
  // --spawn: the Redis servers' --appendfsync. "always" is what Gryadka's acceptors need (an
  // accept is on disk before it is acknowledged); "everysec" and "no" lose acknowledged writes
  // on a crash and exist only to measure what the fsyncs cost.
  std::string redis_appendfsync = "always";
  bool keep_dir = false;                    // --spawn: keep logs and data for inspection

  Workload workload;
  int concurrency = 64;
  uint64_t keys = 1000;
  KeyOrder key_order = KeyOrder::kRandom;
  Routing routing = Routing::kAffine;
  FaultSchedule fault;     // --spawn only
  std::string key_prefix;  // empty: "bench:<workload kind>:"
  size_t value_bytes = 16;
  bool prefill = true;     // write every key once before the warm-up

  double duration_s = 10;
  double warmup_s = 1;
  uint64_t max_ops = 0;    // 0 = no limit; else the run ends after this many operations
  int64_t deadline_ms = 5000;
  int threads = 1;
  int channels = 1;        // per target
  uint64_t seed = 1;

  std::vector<HttpUrl> metrics_urls;  // --spawn fills them with the spawned proposers'
  bool report_rss = false;            // --spawn only
  bool report_cpu = false;            // --spawn, or --target with --cpu_pids
  // --cpu_pids: processes this bench did not start whose CPU --report_cpu also reads (e.g. a
  // server given with --target), as (name, PID).
  std::vector<std::pair<std::string, int>> cpu_pids;
};

// Checks ranges and combinations. Returns OK or INVALID_ARGUMENT naming the flag.
absl::Status ValidateOptions(const BenchOptions& o);

// Parses --cpu_pids: NAME=PID[,NAME=PID...]; errors name the element. A name is letters, digits,
// '-', '_' or '.', unique, and none of the names --report_cpu gives itself ("machine",
// "gryadka-bench", "redis-N", "proposer-N").
absl::StatusOr<std::vector<std::pair<std::string, int>>> ParseCpuPids(absl::string_view list);

// Parses --target: HOST:PORT[,HOST:PORT...]; errors name the element.
absl::StatusOr<std::vector<std::string>> ParseTargets(absl::string_view list);

// The key prefix in effect ("bench:incr:" unless --key_prefix is set).
std::string EffectiveKeyPrefix(const BenchOptions& o);

}  // namespace gryadka::bench
