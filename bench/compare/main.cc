// gryadka-compare: Gryadka, a 3-member etcd, a single Redis and two floors (systems.h), started
// side by side on loopback and driven one after the other by the same asynchronous closed loop
// (closed_loop.h), for every (keys, clients) case; prints each run and the ratios between the
// systems. docs/performance.md ("Gryadka vs etcd") has the method and the numbers;
// bench/compare/run.sh installs what is missing, builds and runs this.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "bench/compare/connections.h"
#include "bench/compare/report.h"
#include "bench/compare/systems.h"
#include "bench/load/local_cluster.h"
#include "bench/load/metrics_scrape.h"
#include "bench/load/stop_signals.h"

ABSL_FLAG(std::string, systems, "gryadka,etcd,redis,fsync-floor,grpc-floor",
          "systems to drive, comma-separated: gryadka, etcd, redis (one Redis, no persistence), "
          "fsync-floor (plain INCR on 2 of 3 Redis with appendfsync always), grpc-floor "
          "(gryadka.v1.KV answered from memory at once by gryadka-grpc-floor)");
ABSL_FLAG(std::string, concurrency, "1,32,128", "concurrent clients (closed-loop slots) per case");
ABSL_FLAG(std::string, keys, "1000,1", "distinct keys per case (1 = one hot key)");
ABSL_FLAG(std::string, workload, "incr", "incr (atomic increment) or read");
ABSL_FLAG(double, duration_s, 5, "measured seconds per run");
ABSL_FLAG(double, warmup_s, 1, "unmeasured seconds before each run");
ABSL_FLAG(int, threads, 1, "load generator threads (each with its own connections)");
ABSL_FLAG(int64_t, deadline_ms, 5000, "deadline of every gRPC call");
ABSL_FLAG(int, proposers, 1, "Gryadka proposers");
ABSL_FLAG(int, proposer_io_threads, 1, "the proposers' --io_threads");
ABSL_FLAG(std::string, proposer_flags, "", "extra flags for every proposer, space-separated");
ABSL_FLAG(std::string, proposer_bin, "", "gryadka-proposer (default: next to this binary)");
ABSL_FLAG(std::string, etcd_bin, "etcd", "etcd server binary (Debian: etcd-server)");
ABSL_FLAG(std::string, etcd_members, "all",
          "all: etcd operations go to the members in turn (as etcd's client balancer does); "
          "leader: all go to the leader (no forwarding from followers)");
ABSL_FLAG(std::string, grpc_floor_bin, "", "gryadka-grpc-floor (default: next to this binary)");
ABSL_FLAG(std::string, redis_server, "redis-server", "redis-server binary");
ABSL_FLAG(bool, require_clean, false,
          "exit 1 if a run had no successful operation, any error or a failed prefill (ctest)");

namespace gryadka::bench::compare {
namespace {

constexpr int kExitUsage = 64;
constexpr int kExitSkipped = 77;  // a requested system is not installed (ctest: skipped)
constexpr int kPrefillConcurrency = 32;
constexpr int kConcurrencyMax = 4096;
constexpr uint64_t kKeysMax = 10000000;
constexpr double kDurationSecondsMax = 3600;
constexpr int kThreadsMax = 16;
constexpr int64_t kWaitStepMs = 20;

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::string> systems;
  std::vector<int> concurrency;
  std::vector<uint64_t> keys;
  Op op = Op::kIncrement;
  double duration_s = 5;
  double warmup_s = 1;
  int threads = 1;
  int64_t deadline_ms = 5000;
  bool etcd_leader_only = false;  // --etcd_members=leader
};

template <typename T>
absl::StatusOr<std::vector<T>> ParseList(const char* flag, const std::string& value, T lo, T hi) {
  std::vector<T> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    T v{};
    if (!absl::SimpleAtoi(part, &v) || v < lo || v > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": '", part, "' is not a number in ", lo, "..", hi));
    }
    out.push_back(v);
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": empty list"));
  return out;
}

absl::StatusOr<Options> OptionsFromFlags() {
  Options o;
  for (absl::string_view s :
       absl::StrSplit(absl::GetFlag(FLAGS_systems), ',', absl::SkipWhitespace())) {
    if (std::find(std::begin(kSystems), std::end(kSystems), s) == std::end(kSystems)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--systems: '", s, "' is not one of ", absl::StrJoin(kSystems, ", ")));
    }
    o.systems.emplace_back(s);
  }
  if (o.systems.empty()) return absl::InvalidArgumentError("--systems: empty list");
  auto c = ParseList<int>("concurrency", absl::GetFlag(FLAGS_concurrency), 1, kConcurrencyMax);
  if (!c.ok()) return c.status();
  o.concurrency = *c;
  auto k = ParseList<uint64_t>("keys", absl::GetFlag(FLAGS_keys), 1, kKeysMax);
  if (!k.ok()) return k.status();
  o.keys = *k;
  const std::string w = absl::GetFlag(FLAGS_workload);
  if (w != "incr" && w != "read") {
    return absl::InvalidArgumentError(absl::StrCat("--workload: '", w, "' is not incr or read"));
  }
  o.op = w == "incr" ? Op::kIncrement : Op::kRead;
  o.duration_s = absl::GetFlag(FLAGS_duration_s);
  o.warmup_s = absl::GetFlag(FLAGS_warmup_s);
  if (!(o.duration_s > 0 && o.duration_s <= kDurationSecondsMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--duration_s: must be in (0, ", kDurationSecondsMax, "]"));
  }
  if (!(o.warmup_s >= 0 && o.warmup_s <= kDurationSecondsMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--warmup_s: must be in [0, ", kDurationSecondsMax, "]"));
  }
  o.threads = absl::GetFlag(FLAGS_threads);
  if (o.threads < 1 || o.threads > kThreadsMax) {
    return absl::InvalidArgumentError(absl::StrCat("--threads: must be in 1..", kThreadsMax));
  }
  const std::string members = absl::GetFlag(FLAGS_etcd_members);
  if (members != "all" && members != "leader") {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd_members: '", members, "' is not all or leader"));
  }
  o.etcd_leader_only = members == "leader";
  o.deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  if (o.deadline_ms < 1) return absl::InvalidArgumentError("--deadline_ms: must be >= 1");
  return o;
}

bool Wants(const Options& o, const char* system) {
  for (const std::string& s : o.systems) {
    if (s == system) return true;
  }
  return false;
}

// True if `bin` is an executable path or found in PATH.
bool Executable(const std::string& bin) {
  if (bin.find('/') != std::string::npos) return access(bin.c_str(), X_OK) == 0;
  const char* path = getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "", ':', absl::SkipEmpty())) {
    if (access(absl::StrCat(dir, "/", bin).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// `name` in this binary's directory (or in PATH, if /proc/self/exe cannot be read).
std::string Sibling(const std::string& name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

// The systems that run, with how to connect to each and which processes are theirs.
struct Started {
  std::unique_ptr<LocalCluster> gryadka;
  std::unique_ptr<EtcdCluster> etcd;
  std::unique_ptr<LocalServer> redis;
  std::vector<std::unique_ptr<LocalServer>> fsync_floor;  // kFsyncFloorServers of them
  std::unique_ptr<LocalServer> grpc_floor;
  std::vector<std::string> etcd_targets;  // the members the load goes to

  void Stop() {
    if (gryadka) gryadka->Stop();
    if (etcd) etcd->Stop();
    if (redis) redis->Stop();
    for (auto& r : fsync_floor) r->Stop();
    if (grpc_floor) grpc_floor->Stop();
  }
  NamedPids Processes(const std::string& system) const {
    if (system == kGryadka) return gryadka->processes();
    if (system == kEtcd) return etcd->processes();
    if (system == kFsyncFloor) {
      NamedPids out;
      for (const auto& r : fsync_floor) {
        for (const auto& p : r->processes()) out.push_back(p);
      }
      return out;
    }
    if (system == kGrpcFloor) return grpc_floor->processes();
    return redis->processes();
  }
  ConnectionFactory Factory(const std::string& system, int64_t deadline_ms) const {
    if (system == kGryadka) {
      return [t = gryadka->proposer_targets(), deadline_ms](int worker, int slots) {
        return NewGryadkaConnection(t, worker, slots, deadline_ms);
      };
    }
    if (system == kEtcd) {
      return [t = etcd_targets, deadline_ms](int worker, int slots) {
        return NewEtcdConnection(t, worker, slots, deadline_ms);
      };
    }
    if (system == kFsyncFloor) {
      std::vector<int> ports;
      for (const auto& r : fsync_floor) ports.push_back(r->port());
      return [ports](int, int slots) { return NewRedisQuorumConnection(ports, slots); };
    }
    if (system == kGrpcFloor) {
      return [t = grpc_floor->target(), deadline_ms](int worker, int slots) {
        return NewGryadkaConnection({t}, worker, slots, deadline_ms);
      };
    }
    return [port = redis->port()](int, int slots) { return NewRedisConnection(port, slots); };
  }
};

absl::Status StartSystems(const Options& o, Started* s) {
  if (Wants(o, kRedis)) {
    auto r = StartFloorRedis(absl::GetFlag(FLAGS_redis_server), Persistence::kNone, "redis-floor");
    if (!r.ok())
      return absl::Status(r.status().code(), absl::StrCat("redis: ", r.status().message()));
    s->redis = *std::move(r);
  }
  if (Wants(o, kFsyncFloor)) {
    for (int i = 0; i < kFsyncFloorServers; ++i) {
      auto r = StartFloorRedis(absl::GetFlag(FLAGS_redis_server), Persistence::kFsyncAlways,
                               absl::StrCat("fsync-floor-", i));
      if (!r.ok()) {
        return absl::Status(r.status().code(), absl::StrCat("fsync-floor: ", r.status().message()));
      }
      s->fsync_floor.push_back(*std::move(r));
    }
  }
  if (Wants(o, kGrpcFloor)) {
    std::string bin = absl::GetFlag(FLAGS_grpc_floor_bin);
    if (bin.empty()) bin = Sibling("gryadka-grpc-floor");
    auto f = StartGrpcFloor(bin);
    if (!f.ok()) {
      return absl::Status(f.status().code(), absl::StrCat("grpc-floor: ", f.status().message()));
    }
    s->grpc_floor = *std::move(f);
  }
  if (Wants(o, kEtcd)) {
    auto e = EtcdCluster::Start(absl::GetFlag(FLAGS_etcd_bin));
    if (!e.ok())
      return absl::Status(e.status().code(), absl::StrCat("etcd: ", e.status().message()));
    s->etcd = *std::move(e);
    s->etcd_targets = s->etcd->client_targets();
    if (o.etcd_leader_only) {
      auto leader = s->etcd->LeaderTarget();
      if (!leader.ok()) return leader.status();
      s->etcd_targets = {*leader};
      std::cerr << "gryadka-compare: etcd load goes to the leader, " << *leader << "\n";
    }
  }
  if (Wants(o, kGryadka)) {
    LocalClusterOptions co;
    co.proposers = absl::GetFlag(FLAGS_proposers);
    co.proposer_io_threads = absl::GetFlag(FLAGS_proposer_io_threads);
    for (absl::string_view f :
         absl::StrSplit(absl::GetFlag(FLAGS_proposer_flags), ' ', absl::SkipEmpty())) {
      co.proposer_flags.emplace_back(f);
    }
    co.proposer_bin = absl::GetFlag(FLAGS_proposer_bin);
    if (co.proposer_bin.empty()) co.proposer_bin = Sibling("gryadka-proposer");
    co.redis_server = absl::GetFlag(FLAGS_redis_server);
    auto g = LocalCluster::Start(co);
    if (!g.ok())
      return absl::Status(g.status().code(), absl::StrCat("gryadka: ", g.status().message()));
    s->gryadka = *std::move(g);
  }
  return absl::OkStatus();
}

// CPU seconds of every process (unreadable ones count as 0); pid 0 = the whole machine.
std::vector<double> ReadCpu(const NamedPids& processes) {
  std::vector<double> out;
  for (const auto& [name, pid] : processes) {
    auto s = pid == 0 ? ReadMachineBusySeconds() : ReadProcessCpuSeconds(pid);
    out.push_back(s.ok() ? *s : 0.0);
  }
  return out;
}

void SleepUntil(Clock::time_point until, const ClosedLoop& loop) {
  while (Clock::now() < until && !loop.Finished() && !StopRequested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kWaitStepMs));
  }
}

Clock::time_point After(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::string KeyPrefix(uint64_t keys) { return absl::StrCat("compare:k", keys, ":"); }

// Writes "0" to every key of the case.
LoopStats Prefill(const ConnectionFactory& factory, uint64_t keys) {
  ClosedLoop loop(factory);
  LoopSpec spec;
  spec.concurrency = static_cast<int>(std::min<uint64_t>(kPrefillConcurrency, keys));
  spec.keys = keys;
  spec.key_prefix = KeyPrefix(keys);
  spec.sequential_once = true;
  loop.Start(spec, Phase::kPrefill);
  SleepUntil(Clock::time_point::max(), loop);
  return loop.StopAndJoin();
}

// One measured run of `system`, with the CPU of every started process around the window.
RunResult Measure(const Options& o, const Started& s, const std::string& system, uint64_t keys,
                  int clients) {
  RunResult r;
  r.system = system;
  r.keys = keys;
  r.clients = clients;
  ClosedLoop loop(s.Factory(system, o.deadline_ms));
  LoopSpec spec;
  spec.op = o.op;
  spec.concurrency = clients;
  spec.threads = o.threads;
  spec.keys = keys;
  spec.key_prefix = KeyPrefix(keys);
  loop.Start(spec, o.warmup_s > 0 ? Phase::kWarmup : Phase::kMeasure);
  if (o.warmup_s > 0) SleepUntil(After(o.warmup_s), loop);
  NamedPids all;  // the measured system first, then the others, this process, the machine
  const NamedPids own = s.Processes(system);
  all = own;
  for (const char* other : kSystems) {
    if (other != system && Wants(o, other)) {
      for (const auto& p : s.Processes(other)) all.push_back(p);
    }
  }
  all.emplace_back("gryadka-compare", getpid());
  all.emplace_back("machine", 0);
  const std::vector<double> before = ReadCpu(all);
  const auto t0 = Clock::now();
  loop.SetPhase(Phase::kMeasure);
  SleepUntil(After(o.duration_s), loop);
  loop.SetPhase(Phase::kDrain);
  r.window_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::vector<double> after = ReadCpu(all);
  r.stats = loop.StopAndJoin();
  double ours = 0;
  for (size_t i = 0; i + 1 < all.size(); ++i) {
    const double cores = (after[i] - before[i]) / r.window_s;
    ours += cores;
    if (i < own.size()) {
      r.system_cores += cores;
    } else if (i + 2 < all.size()) {
      r.idle_systems_cores += cores;
    }
  }
  r.bench_cores = (after[all.size() - 2] - before[all.size() - 2]) / r.window_s;
  r.others_cores = std::max(0.0, (after.back() - before.back()) / r.window_s - ours);
  return r;
}

// --require_clean: every run had operations and no error, every prefill succeeded.
bool Clean(const std::vector<RunResult>& runs, uint64_t prefill_errors) {
  bool clean = prefill_errors == 0;
  if (!clean) std::cerr << "gryadka-compare: " << prefill_errors << " prefill writes failed\n";
  for (const RunResult& r : runs) {
    if (r.stats.ops == 0 || r.stats.errors > 0) {
      std::cerr << "gryadka-compare: " << r.system << " (" << r.keys << " keys, " << r.clients
                << " clients): " << r.stats.ops << " operations, " << r.stats.errors
                << " errors (first: " << r.stats.first_error << ")\n";
      clean = false;
    }
  }
  return clean;
}

int Run(const Options& o) {
  if (Wants(o, kEtcd) && !Executable(absl::GetFlag(FLAGS_etcd_bin))) {
    std::cerr << "gryadka-compare: SKIPPED: etcd server '" << absl::GetFlag(FLAGS_etcd_bin)
              << "' not found (Debian package etcd-server; bench/compare/run.sh installs it, or "
                 "pass --systems without etcd)\n";
    return kExitSkipped;
  }
  const std::string load_before = LoadAverage();
  std::cerr << "gryadka-compare: load average before: " << load_before << "\n";
  Started s;
  if (absl::Status st = StartSystems(o, &s); !st.ok()) {
    std::cerr << "gryadka-compare: " << st.message() << "\n";
    s.Stop();
    return 1;
  }
  std::vector<RunResult> runs;
  uint64_t prefill_errors = 0;
  for (uint64_t keys : o.keys) {
    for (const std::string& system : o.systems) {
      const LoopStats p = Prefill(s.Factory(system, o.deadline_ms), keys);
      prefill_errors += p.prefill_errors;
      std::cerr << absl::StrFormat("gryadka-compare: %s: prefilled %d keys (%d errors%s%s)\n",
                                   system, p.prefill_ops, p.prefill_errors,
                                   p.first_error.empty() ? "" : ": ", p.first_error);
    }
    for (int clients : o.concurrency) {
      for (const std::string& system : o.systems) {
        if (StopRequested()) break;
        runs.push_back(Measure(o, s, system, keys, clients));
        std::cerr << "gryadka-compare: " << FormatJsonLine(runs.back()) << "\n";
      }
    }
  }
  s.Stop();
  const std::string load_after = LoadAverage();
  std::cout << "Load average (1, 5, 15 min) before: " << load_before << "; after: " << load_after
            << "\n\n"
            << FormatTables(runs,
                            static_cast<int>(std::max(1u, std::thread::hardware_concurrency())))
            << "\n";
  for (const RunResult& r : runs) std::cout << FormatJsonLine(r) << "\n";
  if (StopRequested()) return 130;
  return absl::GetFlag(FLAGS_require_clean) && !Clean(runs, prefill_errors) ? 1 : 0;
}

int Main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "gryadka-compare [--systems=gryadka,etcd,redis,fsync-floor,grpc-floor]\n"
      "  [--concurrency=1,32,128] [--keys=1000,1] [--workload=incr|read] [--duration_s=S] [flags]\n"
      "Starts Gryadka (3 Redis, appendfsync always + proposers), a 3-member etcd, one Redis, "
      "the fsync floor (3 Redis as Gryadka's, plain INCR on 2 of them) and the gRPC floor "
      "(gryadka.v1.KV answered from memory) on loopback, drives each with the same closed loop, "
      "prints the runs and their ratios.");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "gryadka-compare: unexpected argument '" << rest[1] << "'\n";
    return kExitUsage;
  }
  auto o = OptionsFromFlags();
  if (!o.ok()) {
    std::cerr << "gryadka-compare: " << o.status().message() << "\n";
    return kExitUsage;
  }
  if (!InstallStopSignalHandlers()) {
    std::cerr << "gryadka-compare: cannot install the SIGINT/SIGTERM handlers\n";
    return 1;
  }
  return Run(*o);
}

}  // namespace
}  // namespace gryadka::bench::compare

int main(int argc, char** argv) { return gryadka::bench::compare::Main(argc, argv); }
