// gryadka-bench: an asynchronous closed-loop load generator for gryadka.v1.KV. Flags and signal
// handling are set up here only; see driver.h for the loop and local_cluster.h for --spawn.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "bench/load/driver.h"
#include "bench/load/local_cluster.h"
#include "bench/load/metrics_scrape.h"
#include "bench/load/options.h"
#include "bench/load/report.h"
#include "bench/load/stop_signals.h"

ABSL_FLAG(std::string, target, "",
          "proposers HOST:PORT[,HOST:PORT...]; keys are routed by rendezvous hashing");
ABSL_FLAG(bool, spawn, false,
          "start a local cluster (3 redis-server with appendfsync always + --proposers "
          "gryadka-proposer) on free loopback ports in a temp dir, run, stop it");
ABSL_FLAG(int, proposers, 1, "--spawn: proposer processes");
ABSL_FLAG(int, proposer_io_threads, 1, "--spawn: --io_threads of each proposer");
ABSL_FLAG(std::string, proposer_flags, "",
          "--spawn: extra flags for every proposer, space-separated, e.g. \"--one_rtt=false\"");
ABSL_FLAG(std::string, proposer_bin, "",
          "--spawn: gryadka-proposer binary (default: the one next to gryadka-bench)");
ABSL_FLAG(std::string, redis_server, "redis-server", "--spawn: redis-server binary");
ABSL_FLAG(std::string, redis_appendfsync, "always",
          "--spawn: the Redis servers' --appendfsync: always (what Gryadka needs) | everysec | no "
          "(these two lose acknowledged writes on a crash: only to measure what the fsyncs cost)");
ABSL_FLAG(bool, keep_dir, false, "--spawn: keep the temp dir (logs, AOF files) and print it");
ABSL_FLAG(std::string, workload, "incr", "incr | cas | read | put | mixed:R/W (R% Get, W% Put)");
ABSL_FLAG(int, concurrency, 64, "requests outstanding at any time (closed loop)");
ABSL_FLAG(uint64_t, keys, 1000, "distinct keys");
ABSL_FLAG(std::string, key_order, "random",
          "random (uniform per operation) | sequential (key i for the i-th operation)");
ABSL_FLAG(std::string, routing, "affine",
          "with several proposers: affine (rendezvous hashing, one proposer per key) | random (a "
          "proposer chosen at random per operation, so proposers contend for keys)");
ABSL_FLAG(std::string, fault, "none",
          "--spawn: none | freeze_acceptor (SIGSTOP one redis-server, SIGCONT later) | "
          "kill_acceptor (SIGKILL it, restart it from its AOF later), during the measured window");
ABSL_FLAG(int, fault_acceptor, 0, "--fault: which spawned redis-server (0..2)");
ABSL_FLAG(double, fault_at_s, 3, "--fault: seconds after the measured window begins");
ABSL_FLAG(double, fault_duration_s, 4,
          "--fault: seconds the fault lasts (it must end before --duration_s)");
ABSL_FLAG(std::string, key_prefix, "", "key prefix (default: bench:<workload>:)");
ABSL_FLAG(uint64_t, value_bytes, 16, "bytes per value written by put, cas and mixed");
ABSL_FLAG(bool, prefill, true,
          "write every key once before the warm-up (\"0\" for incr, --value_bytes otherwise)");
ABSL_FLAG(double, duration_s, 10, "length of the measured window, seconds");
ABSL_FLAG(double, warmup_s, 1, "load before the measured window, seconds (not counted)");
ABSL_FLAG(uint64_t, max_ops, 0, "stop after this many operations in total (0 = no limit)");
ABSL_FLAG(int64_t, deadline_ms, 5000, "deadline of every call, milliseconds");
ABSL_FLAG(int, threads, 1, "client completion-queue threads");
ABSL_FLAG(int, channels, 1, "gRPC channels (TCP connections) per target");
ABSL_FLAG(uint64_t, seed, 1, "seed of the key and op choices");
ABSL_FLAG(std::string, metrics_url, "",
          "http://HOST:PORT/metrics of the proposer(s), comma-separated, to compute the 1-RTT "
          "share (automatic with --spawn)");
ABSL_FLAG(bool, report_rss, false,
          "--spawn: report VmRSS/VmHWM of each proposer (from /proc/PID/status) after the run");
ABSL_FLAG(bool, report_cpu, false,
          "report the CPU cores each spawned process (--spawn), each --cpu_pids process and "
          "gryadka-bench used during the measured window (from /proc/PID/stat)");
ABSL_FLAG(std::string, cpu_pids, "",
          "NAME=PID[,NAME=PID...]: processes not started by this bench (e.g. the server given "
          "with --target) whose CPU --report_cpu also reports, under NAME");

namespace gryadka::bench {
namespace {

constexpr int64_t kConnectTimeoutMs = 10000;      // per channel, before the run
constexpr int64_t kWaitStepMs = 20;               // main thread polling period
constexpr int64_t kProgressEveryMs = 5000;        // progress lines on long phases
constexpr int64_t kProposerSnapshotWaitMs = 300;  // proposers refresh their stats every 200 ms
constexpr int kExitUsage = 64;
constexpr int kExitInterrupted = 130;

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

absl::StatusOr<BenchOptions> OptionsFromFlags() {
  BenchOptions o;
  if (const std::string t = absl::GetFlag(FLAGS_target); !t.empty()) {
    auto targets = ParseTargets(t);
    if (!targets.ok()) return targets.status();
    o.targets = *targets;
  }
  o.spawn = absl::GetFlag(FLAGS_spawn);
  o.proposers = absl::GetFlag(FLAGS_proposers);
  o.proposer_io_threads = absl::GetFlag(FLAGS_proposer_io_threads);
  for (absl::string_view f :
       absl::StrSplit(absl::GetFlag(FLAGS_proposer_flags), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    if (f.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("--proposer_flags: '", f, "' is not a flag (--name=value)"));
    }
    o.proposer_flags.emplace_back(f);
  }
  o.proposer_bin = absl::GetFlag(FLAGS_proposer_bin);
  o.redis_server = absl::GetFlag(FLAGS_redis_server);
  o.redis_appendfsync = absl::GetFlag(FLAGS_redis_appendfsync);
  o.keep_dir = absl::GetFlag(FLAGS_keep_dir);
  auto workload = ParseWorkload(absl::GetFlag(FLAGS_workload));
  if (!workload.ok()) return workload.status();
  o.workload = *workload;
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.keys = absl::GetFlag(FLAGS_keys);
  auto order = ParseKeyOrder(absl::GetFlag(FLAGS_key_order));
  if (!order.ok()) return order.status();
  o.key_order = *order;
  auto routing = ParseRouting(absl::GetFlag(FLAGS_routing));
  if (!routing.ok()) return routing.status();
  o.routing = *routing;
  auto fault = ParseFaultKind(absl::GetFlag(FLAGS_fault));
  if (!fault.ok()) return fault.status();
  o.fault.kind = *fault;
  o.fault.acceptor = absl::GetFlag(FLAGS_fault_acceptor);
  o.fault.at_s = absl::GetFlag(FLAGS_fault_at_s);
  o.fault.duration_s = absl::GetFlag(FLAGS_fault_duration_s);
  o.key_prefix = absl::GetFlag(FLAGS_key_prefix);
  o.value_bytes = absl::GetFlag(FLAGS_value_bytes);
  o.prefill = absl::GetFlag(FLAGS_prefill);
  o.duration_s = absl::GetFlag(FLAGS_duration_s);
  o.warmup_s = absl::GetFlag(FLAGS_warmup_s);
  o.max_ops = absl::GetFlag(FLAGS_max_ops);
  o.deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.channels = absl::GetFlag(FLAGS_channels);
  o.seed = absl::GetFlag(FLAGS_seed);
  for (absl::string_view u : absl::StrSplit(absl::GetFlag(FLAGS_metrics_url), ',', absl::SkipWhitespace())) {
    auto url = ParseHttpUrl(absl::StripAsciiWhitespace(u));
    if (!url.ok()) return url.status();
    o.metrics_urls.push_back(*url);
  }
  if (o.spawn && !o.metrics_urls.empty()) {
    return absl::InvalidArgumentError(
        "--metrics_url: not with --spawn (the spawned proposers' metrics are read automatically)");
  }
  o.report_rss = absl::GetFlag(FLAGS_report_rss);
  o.report_cpu = absl::GetFlag(FLAGS_report_cpu);
  auto cpu_pids = ParseCpuPids(absl::GetFlag(FLAGS_cpu_pids));
  if (!cpu_pids.ok()) return cpu_pids.status();
  o.cpu_pids = *std::move(cpu_pids);
  if (absl::Status s = ValidateOptions(o); !s.ok()) return s;
  for (const auto& [name, pid] : o.cpu_pids) {
    if (auto cpu = ReadProcessCpuSeconds(pid); !cpu.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--cpu_pids: ", name, "=", pid,
                                                     ": cannot read its CPU time (",
                                                     cpu.status().message(), ")"));
    }
  }
  return o;
}

// gryadka-proposer in the directory of this binary.
std::string SiblingProposer() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "gryadka-proposer";
  return (self.parent_path() / "gryadka-proposer").string();
}

// Sleeps until `until`, `done()` or a signal; prints progress on long waits.
void WaitUntil(Clock::time_point until, const Driver& driver, const char* what,
               const std::function<bool()>& done) {
  const auto start = Clock::now();
  auto next_progress = start + std::chrono::milliseconds(kProgressEveryMs);
  uint64_t last_completed = driver.completed();
  while (Clock::now() < until && !done() && !StopRequested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kWaitStepMs));
    if (Clock::now() >= next_progress) {
      const uint64_t c = driver.completed();
      std::cerr << absl::StrFormat("gryadka-bench: %s %.0f s: %d ops (%.0f/s over the last %d s)\n",
                                   what, SecondsSince(start), c,
                                   (c - last_completed) * 1000.0 / kProgressEveryMs,
                                   kProgressEveryMs / 1000);
      last_completed = c;
      next_progress += std::chrono::milliseconds(kProgressEveryMs);
    }
  }
}

// Sums the rounds of every metrics URL; nullopt (and *error) if one cannot be read.
std::optional<RoundCounts> ScrapeAll(const std::vector<HttpUrl>& urls, std::string* error) {
  RoundCounts total;
  for (const HttpUrl& u : urls) {
    auto r = ScrapeRounds(u);
    if (!r.ok()) {
      *error = std::string(r.status().message());
      return std::nullopt;
    }
    total += *r;
  }
  return total;
}

// CPU seconds of every named process (unreadable ones count as 0); pid 0 = the whole machine.
std::vector<double> ReadAllCpu(const std::vector<std::pair<std::string, pid_t>>& processes) {
  std::vector<double> out;
  for (const auto& [name, pid] : processes) {
    auto s = pid == 0 ? ReadMachineBusySeconds() : ReadProcessCpuSeconds(pid);
    out.push_back(s.ok() ? *s : 0.0);
  }
  return out;
}

std::vector<ProcessMemory> ReadAllMemory(const std::vector<pid_t>& pids) {
  std::vector<ProcessMemory> out;
  for (pid_t pid : pids) {
    auto m = ReadProcessMemory(pid);
    if (!m.ok()) {
      std::cerr << "gryadka-bench: --report_rss: " << m.status().message() << "\n";
      out.push_back(ProcessMemory{});
    } else {
      out.push_back(*m);
    }
  }
  return out;
}

Clock::time_point After(Clock::time_point t, double seconds) {
  return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// --spawn: starts the cluster, points `o` at its metrics and reports its processes.
absl::StatusOr<std::unique_ptr<LocalCluster>> SpawnCluster(BenchOptions& o) {
  LocalClusterOptions co;
  co.proposers = o.proposers;
  co.proposer_io_threads = o.proposer_io_threads;
  co.proposer_flags = o.proposer_flags;
  co.proposer_bin = o.proposer_bin.empty() ? SiblingProposer() : o.proposer_bin;
  co.redis_server = o.redis_server;
  co.redis_appendfsync = o.redis_appendfsync;
  co.keep_dir = o.keep_dir;
  if (access(co.proposer_bin.c_str(), X_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--proposer_bin: ", co.proposer_bin, " is not an executable file (build the gryadka-proposer target)"));
  }
  auto cluster = LocalCluster::Start(co);
  if (!cluster.ok()) return absl::Status(cluster.status().code(), absl::StrCat("--spawn: ", cluster.status().message()));
  const std::vector<std::string> targets = (*cluster)->proposer_targets();
  const std::vector<std::string> urls = (*cluster)->metrics_urls();
  for (const std::string& u : urls) o.metrics_urls.push_back(*ParseHttpUrl(u));
  for (const auto& [name, pid] : (*cluster)->processes()) {
    std::cerr << "gryadka-bench: spawned " << name << " pid " << pid << "\n";
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    std::cerr << "gryadka-bench: proposer-" << i << " serves " << targets[i] << ", metrics at "
              << urls[i] << "\n";
  }
  if (o.keep_dir) std::cerr << "gryadka-bench: cluster dir " << (*cluster)->dir() << "\n";
  return cluster;
}

// Writes every key once ("0" for incr) so that reads and CAS find values.
void Prefill(const BenchOptions& o, Driver& driver, BenchResult* result) {
  driver.Start(RunSpec{o.workload, KeyOrder::kSequential, o.keys, /*prefill=*/true}, Phase::kPrefill);
  WaitUntil(Clock::time_point::max(), driver, "prefill", [&] { return driver.Finished(); });
  result->stats.Merge(driver.StopAndJoin());
}

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// --fault: applies the fault to the spawned acceptor at its scheduled time and undoes it after
// its duration, recording when each happened (ms after t0). A failure ends the fault early and
// is reported in result->fault_error.
void RunFault(const BenchOptions& o, Clock::time_point t0, const Driver& driver,
              LocalCluster& cluster, BenchResult* result) {
  const FaultSchedule& f = o.fault;
  auto never = [] { return false; };
  WaitUntil(After(t0, f.at_s), driver, "measure", never);
  if (StopRequested()) return;
  const bool freeze = f.kind == FaultKind::kFreezeAcceptor;
  absl::Status s = freeze ? cluster.FreezeAcceptor(f.acceptor) : cluster.KillAcceptor(f.acceptor);
  result->fault_started_ms = MsSince(t0);
  std::cerr << absl::StrFormat("gryadka-bench: %s redis-%d at %.1f ms\n", FaultKindName(f.kind),
                               f.acceptor, result->fault_started_ms);
  if (s.ok()) {
    WaitUntil(After(t0, f.at_s + f.duration_s), driver, "measure", never);
    // Undone even when interrupted: a frozen acceptor would not stop on SIGTERM.
    s = freeze ? cluster.ThawAcceptor(f.acceptor) : cluster.RestartAcceptor(f.acceptor);
  }
  result->fault_ended_ms = MsSince(t0);
  std::cerr << absl::StrFormat("gryadka-bench: redis-%d back at %.1f ms\n", f.acceptor,
                               result->fault_ended_ms);
  if (!s.ok()) result->fault_error = std::string(s.message());
}

// Warm-up, then the measured window with its metrics and CPU readings around it.
void Measure(const BenchOptions& o, Driver& driver, LocalCluster* cluster, BenchResult* result) {
  auto finished = [&] { return driver.Finished(); };
  driver.Start(RunSpec{o.workload, o.key_order, o.max_ops, /*prefill=*/false},
               o.warmup_s > 0 ? Phase::kWarmup : Phase::kMeasure);
  if (o.warmup_s > 0) WaitUntil(After(Clock::now(), o.warmup_s), driver, "warm-up", finished);

  std::optional<RoundCounts> before;
  if (!o.metrics_urls.empty()) before = ScrapeAll(o.metrics_urls, &result->rounds_error);
  std::vector<std::pair<std::string, pid_t>> watched;
  if (o.report_cpu) {
    if (cluster != nullptr) watched = cluster->processes();
    for (const auto& [name, pid] : o.cpu_pids) watched.emplace_back(name, pid);
    watched.emplace_back("gryadka-bench", getpid());
    watched.emplace_back("machine", 0);  // every process, ours and others'
  }
  const std::vector<double> cpu_before = ReadAllCpu(watched);
  const auto t0 = driver.BeginMeasure();
  if (o.fault.kind != FaultKind::kNone && cluster != nullptr) {
    RunFault(o, t0, driver, *cluster, result);
  }
  WaitUntil(After(t0, o.duration_s), driver, "measure", finished);
  driver.SetPhase(Phase::kDrain);
  result->window_s = SecondsSince(t0);
  const std::vector<double> cpu_after = ReadAllCpu(watched);
  for (size_t i = 0; i < watched.size(); ++i) {
    result->cpu_cores.emplace_back(watched[i].first, (cpu_after[i] - cpu_before[i]) / result->window_s);
  }
  if (before) {
    // Proposers refresh their round counters every 200 ms: when the load has already ended, wait
    // for the last rounds to show (while it runs, the lag is the same at both ends of the window).
    if (driver.Finished()) std::this_thread::sleep_for(std::chrono::milliseconds(kProposerSnapshotWaitMs));
    if (std::optional<RoundCounts> after = ScrapeAll(o.metrics_urls, &result->rounds_error)) {
      result->rounds = *after;
      *result->rounds -= *before;
    }
  }
  result->stats.Merge(driver.StopAndJoin());
}

// --report_rss: the proposers' memory once the load has stopped (and their cache size).
void ReadFinalMemory(const BenchOptions& o, const LocalCluster& cluster, BenchResult* result) {
  std::this_thread::sleep_for(std::chrono::milliseconds(kProposerSnapshotWaitMs));
  std::string ignored;
  if (auto now = ScrapeAll(o.metrics_urls, &ignored); now && result->rounds) {
    result->rounds->cache_entries = now->cache_entries;
  }
  result->rss_end = ReadAllMemory(cluster.proposer_pids());
}

int Run(BenchOptions o) {
  std::unique_ptr<LocalCluster> cluster;
  BenchResult result;
  result.targets = o.targets;
  if (o.spawn) {
    auto c = SpawnCluster(o);
    if (!c.ok()) {
      std::cerr << "gryadka-bench: " << c.status().message() << "\n";
      return c.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : 1;
    }
    cluster = *std::move(c);
    result.targets = cluster->proposer_targets();
    if (o.report_rss) result.rss_start = ReadAllMemory(cluster->proposer_pids());
  }
  auto endpoints = ConnectEndpoints(result.targets, o.channels, kConnectTimeoutMs);
  if (!endpoints.ok()) {
    std::cerr << "gryadka-bench: " << endpoints.status().message() << "\n";
    return 1;
  }
  Driver driver(o, *endpoints);
  if (o.prefill) Prefill(o, driver, &result);
  if (StopRequested()) {
    std::cerr << "gryadka-bench: interrupted during the prefill\n";
    return kExitInterrupted;
  }
  Measure(o, driver, cluster.get(), &result);
  result.interrupted = StopRequested();
  if (o.report_rss && cluster) ReadFinalMemory(o, *cluster, &result);
  if (cluster) cluster->Stop();
  std::cout << FormatTable(o, result) << FormatJson(o, result) << std::endl;
  if (!result.fault_error.empty()) {
    std::cerr << "gryadka-bench: --fault: " << result.fault_error << "\n";
    return 1;
  }
  return result.interrupted ? kExitInterrupted : 0;
}

int Main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex deadlock detection: a
  // lock-order graph update on every lock gRPC takes. A load generator has no use for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "gryadka-bench (--target=HOST:PORT[,...] | --spawn) [--workload=incr|cas|read|put|mixed:R/W]\n"
      "  [--concurrency=N] [--keys=N] [--duration_s=S] [flags]\n"
      "Asynchronous closed-loop load generator for gryadka.v1.KV. Prints a table and, as the "
      "last line, the result as JSON.");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "gryadka-bench: unexpected argument '" << rest[1] << "' (flags are --name=value)\n";
    return kExitUsage;
  }
  auto options = OptionsFromFlags();
  if (!options.ok()) {
    std::cerr << "gryadka-bench: " << options.status().message() << "\n";
    return kExitUsage;
  }
  if (!InstallStopSignalHandlers()) {
    std::cerr << "gryadka-bench: cannot install the SIGINT/SIGTERM handlers\n";
    return 1;
  }
  return Run(*std::move(options));
}

}  // namespace
}  // namespace gryadka::bench

int main(int argc, char** argv) { return gryadka::bench::Main(argc, argv); }
