// Online membership change against real processes: Redis acceptors and gryadka-proposer
// processes on free loopback ports, continuous recorded client load (tests/chaos/workload.h:
// CAS, increments and reads on hot and cold keys, from several gryadka::Client threads), while
// `gryadkactl membership` runs as a subprocess:
//   3 -> 4 -> 5 acceptors (add), gryadkactl killed (SIGKILL) in the middle of the 4 -> 5 rescan
//   and run again to finish, status while interrupted, 5 -> 4 -> 3 (remove; the first run killed
//   as its first step starts, then run again), then one acceptor killed with SIGKILL and replaced
//   by an empty new Redis.
// Passes iff every gryadkactl run that was not killed exits 0, EVERY client call succeeds, the
// recorded history (final reads of every key included) is linearizable per key, and the
// proposers end on the target configuration with no change in progress.
//
// Cost: about 30 s on 2 busy cores (the wall time is printed at the end). GRYADKA_SOAK=1 runs the workload
// longer between steps (kSoakHoldMs) and with more keys.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proposer/core/ops.h"
#include "tests/chaos/recorder.h"
#include "tests/chaos/workload.h"
#include "tests/sim/linearizability_checker.h"
#include "client/shared/process_handle.h"
#include "tests/support/redis_process.h"

namespace gryadka::integration {
namespace {

using process::ProcessHandle;
using process::ProcessSpec;
using test_support::RedisProcess;

constexpr int kProposers = 3;
constexpr int64_t kCtlTimeoutMs = 90000;        // bound on one gryadkactl run
constexpr int64_t kCtlPollMs = 20;
constexpr int64_t kHoldMs = 3000;               // load between two changes
constexpr int64_t kSoakHoldMs = 20000;          // ... with GRYADKA_SOAK=1
constexpr int kSlowRescanKeysPerSecond = 40;    // the run that gets killed mid-rescan ...
constexpr int64_t kKillAfterRescanStartMs = 2000;  // ... this long after its rescan started

bool Soak() {
  const char* s = std::getenv("GRYADKA_SOAK");
  return s != nullptr && *s != '\0' && std::string(s) != "0";
}

std::string Addr(const RedisProcess& r) { return absl::StrCat("127.0.0.1:", r.port()); }

// True once gryadkactl's output has shown a started rescan for kKillAfterRescanStartMs (the
// server streams progress per SCAN page, so a small rescan may show no line in between).
class RescanUnderWay {
 public:
  bool operator()(const std::string& output) {
    if (!absl::StrContains(output, "  rescan: ")) return false;
    const auto now = std::chrono::steady_clock::now();
    if (!seen_.has_value()) seen_ = now;
    return absl::StrContains(output, ", done") ||
           now - *seen_ >= std::chrono::milliseconds(kKillAfterRescanStartMs);
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> seen_;
};

struct CtlRun {
  int exit_code = -1;  // -1: killed
  std::string output;  // stdout and stderr
};

class MembershipCluster {
 public:
  absl::Status Start(int initial_acceptors, int redis_total) {
    for (int i = 0; i < redis_total; ++i) {
      auto r = RedisProcess::Start();
      if (!r.ok()) return r.status();
      redis_.push_back(*std::move(r));
    }
    std::vector<std::string> acceptors;
    for (int i = 0; i < initial_acceptors; ++i) acceptors.push_back(Addr(*redis_[i]));
    for (int i = 0; i < kProposers; ++i) {
      if (absl::Status s = StartProposer(absl::StrJoin(acceptors, ",")); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // A fresh, empty Redis; returns its index.
  absl::StatusOr<int> AddRedis() {
    auto r = RedisProcess::Start();
    if (!r.ok()) return r.status();
    redis_.push_back(*std::move(r));
    return static_cast<int>(redis_.size()) - 1;
  }

  // Runs gryadkactl with --proposers and `args`; SIGKILLs it once `kill_when(output)` holds.
  CtlRun Ctl(const std::vector<std::string>& args,
             const std::function<bool(const std::string&)>& kill_when = nullptr) {
    ProcessSpec spec;
    spec.binary = GRYADKACTL_BIN;
    spec.name = "gryadkactl";
    spec.args = {"--proposers=" + absl::StrJoin(targets_, ","), "--poll_interval_ms=20"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    auto p = ProcessHandle::Start(spec);
    CtlRun run;
    if (!p.ok()) {
      run.output = p.status().ToString();
      return run;
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCtlTimeoutMs);
    while ((*p)->Running()) {
      if ((kill_when && kill_when((*p)->LogTail(1 << 16))) ||
          std::chrono::steady_clock::now() > give_up) {
        (*p)->Kill();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(kCtlPollMs));
    }
    const std::optional<int> status = (*p)->exit_status();
    if (status.has_value() && WIFEXITED(*status)) run.exit_code = WEXITSTATUS(*status);
    run.output = (*p)->LogTail(1 << 20);
    return run;
  }

  RedisProcess& redis(int i) { return *redis_[i]; }
  const std::vector<std::string>& targets() const { return targets_; }

  std::string Logs() const {
    std::string out;
    for (const auto& p : proposers_) absl::StrAppend(&out, "--- ", p->Describe(), "\n", p->LogTail(3000), "\n");
    return out;
  }

  ~MembershipCluster() {
    for (auto& p : proposers_) p->Stop();
    for (auto& r : redis_) r->Stop();
  }

 private:
  absl::Status StartProposer(const std::string& acceptors) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto port = process::FreeLoopbackPort();
      if (!port.ok()) return port.status();
      ProcessSpec spec;
      spec.binary = GRYADKA_PROPOSER_BIN;
      spec.name = absl::StrCat("proposer", proposers_.size());
      spec.args = {absl::StrCat("--listen=127.0.0.1:", *port), "--acceptors=" + acceptors,
                   "--acceptor_timeout_ms=300", "--drain_timeout_ms=5000"};
      auto p = ProcessHandle::Start(spec);
      if (!p.ok()) return p.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!(*p)->Running()) continue;  // the port was taken meanwhile
      proposers_.push_back(*std::move(p));
      targets_.push_back(absl::StrCat("127.0.0.1:", *port));
      return absl::OkStatus();
    }
    return absl::UnavailableError("could not start a proposer on a free port in 5 attempts\n" + Logs());
  }

  std::vector<std::unique_ptr<RedisProcess>> redis_;
  std::vector<std::unique_ptr<ProcessHandle>> proposers_;
  std::vector<std::string> targets_;
};

// One phase of the run, for the per-phase latency report.
struct Phase {
  std::string name;
  int64_t start_us = 0;
  int64_t end_us = 0;
};

// Max and p99 latency (ms) and the longest gap without a successful answer (ms) within a phase.
std::string PhaseReport(const sim::History& history, const Phase& phase) {
  std::vector<int64_t> latencies_us;
  std::vector<int64_t> ok_returns_us;
  for (const sim::Operation& op : history.ops()) {
    if (op.call_us < phase.start_us || op.call_us > phase.end_us) continue;
    latencies_us.push_back(op.return_us - op.call_us);
    if (op.outcome == sim::Outcome::kOk) ok_returns_us.push_back(op.return_us);
  }
  if (latencies_us.empty()) return absl::StrCat(phase.name, ": no calls");
  std::sort(latencies_us.begin(), latencies_us.end());
  std::sort(ok_returns_us.begin(), ok_returns_us.end());
  int64_t gap_us = 0;
  int64_t last = phase.start_us;
  for (int64_t t : ok_returns_us) {
    gap_us = std::max(gap_us, t - last);
    last = t;
  }
  gap_us = std::max(gap_us, phase.end_us - last);
  return absl::StrFormat("%-34s %6.1f s, %6d calls, p99 %6.1f ms, max %7.1f ms, longest gap "
                         "without a success %7.1f ms",
                         phase.name, (phase.end_us - phase.start_us) / 1e6, latencies_us.size(),
                         latencies_us[latencies_us.size() * 99 / 100] / 1e3,
                         latencies_us.back() / 1e3, gap_us / 1e3);
}

TEST(MembershipChangeUnderLoad, GrowShrinkReplaceAndResumeUnderLoadKeepEveryCallLinearizableAndOk) {
  const auto test_start = std::chrono::steady_clock::now();
  MembershipCluster cluster;
  ASSERT_TRUE(cluster.Start(/*initial_acceptors=*/3, /*redis_total=*/5).ok()) << cluster.Logs();
  auto addr = [&](int i) { return Addr(cluster.redis(i)); };

  chaos::Recorder recorder;
  chaos::WorkloadOptions load;
  load.clients = 6;
  load.affinity = chaos::Affinity::kMixed;
  load.hot_keys = 4;
  load.cold_keys = Soak() ? 2000 : 300;
  load.call_deadline_ms = 10000;
  chaos::Workload workload(load, cluster.targets(), &recorder);
  ASSERT_TRUE(workload.Start().ok());
  const int64_t hold_ms = Soak() ? kSoakHoldMs : kHoldMs;

  std::vector<Phase> phases;
  auto begin = [&](const std::string& name) {
    phases.push_back({name, recorder.NowUs(), 0});
  };
  auto end = [&] { phases.back().end_us = recorder.NowUs(); };
  auto hold = [&](const std::string& name) {
    begin(name);
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    end();
  };
  auto expect_ok = [&](const CtlRun& run, const std::string& what) {
    EXPECT_EQ(run.exit_code, 0) << what << ":\n" << run.output << cluster.Logs();
    std::cout << "$ gryadkactl membership " << what << "\n" << run.output;
  };

  hold("load, 3 acceptors");
  begin("add R3 (3 -> 4)");
  expect_ok(cluster.Ctl({"membership", "add", addr(3)}), "add R3");
  end();
  hold("load, 4 acceptors");

  // 4 -> 5, killed while it rescans slowly, then run again.
  begin("add R4 (4 -> 5), killed in rescan");
  const CtlRun killed =
      cluster.Ctl({"membership", "add", addr(4),
                   absl::StrCat("--rescan_keys_per_second=", kSlowRescanKeysPerSecond)},
                  RescanUnderWay());
  EXPECT_EQ(killed.exit_code, -1) << "gryadkactl was to be killed mid-rescan:\n" << killed.output;
  EXPECT_FALSE(absl::StrContains(killed.output, ", done")) << "the rescan ended before the kill:\n"
                                                          << killed.output;
  std::cout << "$ gryadkactl membership add R4 (killed)\n" << killed.output;
  const CtlRun status = cluster.Ctl({"membership", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(absl::StrContains(status.output, "change in progress")) << status.output;
  EXPECT_TRUE(absl::StrContains(status.output, "membership add " + addr(4))) << status.output;
  std::cout << "$ gryadkactl membership status (interrupted)\n" << status.output;
  expect_ok(cluster.Ctl({"membership", "add", addr(4)}), "add R4 (again, to finish)");
  end();
  hold("load, 5 acceptors");

  // 5 -> 4, killed as soon as its first configure step starts (some proposers may have taken
  // it, some not), then run again: the run brings the laggards to the running epoch first.
  begin("remove R4 (5 -> 4), killed in step 1");
  const CtlRun killed_early =
      cluster.Ctl({"membership", "remove", addr(4)}, [](const std::string& out) {
        return absl::StrContains(out, "step 1/3 started");
      });
  std::cout << "$ gryadkactl membership remove R4 (killed, exit " << killed_early.exit_code
            << ")\n" << killed_early.output;
  expect_ok(cluster.Ctl({"membership", "remove", addr(4)}), "remove R4 (again, to finish)");
  end();
  begin("remove R3 (4 -> 3)");
  expect_ok(cluster.Ctl({"membership", "remove", addr(3)}), "remove R3");
  end();
  hold("load, 3 acceptors again");

  // An acceptor dies; an empty new Redis takes its place.
  begin("R1 killed (SIGKILL)");
  cluster.redis(1).Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  end();
  absl::StatusOr<int> fresh = cluster.AddRedis();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  begin("replace dead R1 by empty R5");
  expect_ok(cluster.Ctl({"membership", "replace", addr(1), addr(*fresh)}), "replace R1 R5");
  end();
  hold("load, R0 R2 R5");

  workload.Stop();
  begin("final reads");
  const std::vector<uint64_t> final_reads = workload.ReadAll(/*threads=*/4, /*attempts_max=*/3);
  end();

  const CtlRun final_status = cluster.Ctl({"membership", "status"});
  EXPECT_EQ(final_status.exit_code, 0) << final_status.output;
  EXPECT_TRUE(absl::StrContains(final_status.output, "no change in progress")) << final_status.output;
  EXPECT_TRUE(absl::StrContains(
      final_status.output, absl::StrCat("prepare 2 of [", addr(0), ", ", addr(*fresh), ", ", addr(2), "]")))
      << final_status.output;
  std::cout << "$ gryadkactl membership status (end)\n" << final_status.output;

  chaos::Recorder::Taken taken = recorder.Take();
  EXPECT_EQ(taken.pending_at_close, 0u);
  size_t failed = 0;
  std::vector<std::string> failures;
  for (const sim::Operation& op : taken.history.ops()) {
    if (op.outcome == sim::Outcome::kOk) continue;
    ++failed;
    if (failures.size() < 10) {
      failures.push_back(absl::StrCat("t=", op.call_us / 1000, " ms key ", op.key, ": ", op.error));
    }
  }
  EXPECT_EQ(failed, 0u) << "calls that failed:\n" << absl::StrJoin(failures, "\n");
  EXPECT_EQ(final_reads.size(), workload.Keys().size());

  const sim::LinearizabilityReport lin =
      sim::CheckLinearizability(taken.history, core::Limits{});
  EXPECT_EQ(lin.verdict, sim::Verdict::kLinearizable) << lin.Summary();

  std::cout << "calls: " << taken.history.ops().size() << ", failed: " << failed
            << ", linearizability: " << sim::VerdictName(lin.verdict) << " over " << lin.keys.size()
            << " keys\n";
  for (const Phase& p : phases) std::cout << PhaseReport(taken.history, p) << "\n";
  std::cout << "test wall time: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - test_start).count()
            << " ms\n";
}

}  // namespace
}  // namespace gryadka::integration
