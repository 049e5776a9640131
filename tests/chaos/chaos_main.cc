// gryadka-chaos: a chaos run on real processes. Starts 3 Redis acceptors and P proposers on
// loopback (every proposer reaching every Redis through a fault-injecting proxy), runs client
// threads against them while a fault schedule derived from --seed kills, pauses, cuts, stalls,
// delays and partitions, then heals everything, reads every key and judges the recorded
// history (tests/chaos/verdict.h). See docs/chaos.md.
//
// Output: the schedule, the measurements, one line "N passed, N failed", one JSON line, and on
// failure the command that reruns the seed. Exit code 0 iff every check passed, 1 if one
// failed, 2 on bad flags or when the cluster cannot be started.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tests/chaos/chaos_cluster.h"
#include "tests/chaos/recorder.h"
#include "tests/chaos/schedule.h"
#include "tests/chaos/verdict.h"
#include "tests/chaos/workload.h"

namespace gryadka::chaos {
namespace {

constexpr int64_t kServingAtEndTimeoutMs = 20000;
constexpr int kFinalReadThreads = 4;
constexpr int kFinalReadAttemptsMax = 3;

struct Flags {
  uint64_t seed = 0;
  bool seed_given = false;
  int64_t duration_s = 60;
  int clients = 12;
  int proposers = 3;
  std::string affinity = "mixed";
  bool majority_down = false;
  int hot_keys = 4;
  int cold_keys = 2000;
  uint64_t search_steps_max = 20'000'000;
  std::string json_path;
  std::string proposer_bin = GRYADKA_PROPOSER_BIN;
  std::string proposer_flags;
};

const char kUsage[] =
    "usage: gryadka-chaos [--seed=N] [--duration_s=60] [--clients=12] [--proposers=3]\n"
    "         [--affinity=mixed|on|off] [--majority_down] [--hot_keys=4] [--cold_keys=2000]\n"
    "         [--search_steps_max=20000000] [--json=FILE] [--proposer_bin=PATH]\n"
    "         [--proposer_flags='--flag=v ...']\n";

bool ParseInt(const std::string& name, const std::string& text, int64_t lo, int64_t hi, int64_t* out,
              std::string* error) {
  if (!absl::SimpleAtoi(text, out) || *out < lo || *out > hi) {
    *error = absl::StrCat("--", name, " is '", text, "', must be an integer in ", lo, "..", hi);
    return false;
  }
  return true;
}

bool Parse(int argc, char** argv, Flags* f, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--majority_down") {
      f->majority_down = true;
      continue;
    }
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      *error = absl::StrCat("unknown argument '", arg, "' (flags are --name=value)");
      return false;
    }
    const std::string name = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    int64_t n = 0;
    if (name == "seed") {
      if (!absl::SimpleAtoi(value, &f->seed)) {
        *error = absl::StrCat("--seed is '", value, "', must be an unsigned integer");
        return false;
      }
      f->seed_given = true;
    } else if (name == "duration_s") {
      if (!ParseInt(name, value, 10, 7 * 24 * 3600, &f->duration_s, error)) return false;
    } else if (name == "clients") {
      if (!ParseInt(name, value, 1, 256, &n, error)) return false;
      f->clients = static_cast<int>(n);
    } else if (name == "proposers") {
      if (!ParseInt(name, value, 1, 16, &n, error)) return false;
      f->proposers = static_cast<int>(n);
    } else if (name == "hot_keys") {
      if (!ParseInt(name, value, 1, 1000, &n, error)) return false;
      f->hot_keys = static_cast<int>(n);
    } else if (name == "cold_keys") {
      if (!ParseInt(name, value, 1, 1'000'000, &n, error)) return false;
      f->cold_keys = static_cast<int>(n);
    } else if (name == "search_steps_max") {
      if (!ParseInt(name, value, 1000, int64_t{1} << 40, &n, error)) return false;
      f->search_steps_max = static_cast<uint64_t>(n);
    } else if (name == "affinity") {
      Affinity a;
      if (auto s = ParseAffinity(value, &a); !s.ok()) {
        *error = std::string(s.message());
        return false;
      }
      f->affinity = value;
    } else if (name == "majority_down") {
      if (value != "true" && value != "false") {
        *error = "--majority_down must be true or false";
        return false;
      }
      f->majority_down = value == "true";
    } else if (name == "json") {
      f->json_path = value;
    } else if (name == "proposer_bin") {
      f->proposer_bin = value;
    } else if (name == "proposer_flags") {
      f->proposer_flags = value;
    } else {
      *error = absl::StrCat("unknown flag --", name);
      return false;
    }
  }
  return true;
}

std::string RerunCommand(const char* argv0, const Flags& f) {
  std::string cmd = absl::StrCat(argv0, " --seed=", f.seed, " --duration_s=", f.duration_s,
                                 " --clients=", f.clients, " --proposers=", f.proposers,
                                 " --affinity=", f.affinity, " --hot_keys=", f.hot_keys,
                                 " --cold_keys=", f.cold_keys, " --search_steps_max=", f.search_steps_max);
  if (f.majority_down) cmd += " --majority_down";
  if (!f.proposer_flags.empty()) absl::StrAppend(&cmd, " --proposer_flags='", f.proposer_flags, "'");
  return cmd;
}

void SleepUntilUs(const Recorder& recorder, int64_t t_us) {
  const int64_t now = recorder.NowUs();
  if (t_us > now) std::this_thread::sleep_for(std::chrono::microseconds(t_us - now));
}

// Applies and heals the schedule on this (the cluster's) thread; returns what happened.
std::vector<FaultRecord> RunSchedule(const std::vector<Fault>& schedule, int64_t start_us,
                                     ChaosCluster& cluster, Recorder& recorder) {
  struct Event {
    int64_t at_us;
    bool heal;
    size_t fault;
  };
  std::vector<Event> events;
  for (size_t i = 0; i < schedule.size(); ++i) {
    events.push_back({start_us + schedule[i].start_ms * 1000, false, i});
    events.push_back({start_us + (schedule[i].start_ms + schedule[i].duration_ms) * 1000, true, i});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at_us != b.at_us ? a.at_us < b.at_us : a.heal > b.heal;  // heals first
  });
  std::vector<FaultRecord> records(schedule.size());
  for (const Event& e : events) {
    SleepUntilUs(recorder, e.at_us);
    FaultRecord& rec = records[e.fault];
    rec.fault = schedule[e.fault];
    if (!e.heal) {
      rec.applied_us = recorder.NowUs();
      rec.heal_status = cluster.Apply(rec.fault);
      std::cout << absl::StrFormat("[%8.3fs] fault  %s\n", rec.applied_us / 1e6, DescribeFault(rec.fault));
    } else {
      rec.heal_started_us = recorder.NowUs();
      const absl::Status s = cluster.Heal(rec.fault);
      rec.healed_us = recorder.NowUs();
      if (rec.heal_status.ok()) rec.heal_status = s;
      std::cout << absl::StrFormat("[%8.3fs] healed %s%s\n", rec.healed_us / 1e6,
                                   FaultKindName(rec.fault.kind),
                                   s.ok() ? "" : " FAILED: " + s.ToString());
    }
    std::cout.flush();
  }
  return records;
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!Parse(argc, argv, &flags, &error)) {
    std::cerr << "gryadka-chaos: " << error << "\n" << kUsage;
    return 2;
  }
  if (!flags.seed_given) flags.seed = std::random_device()() ^ static_cast<uint64_t>(getpid());
  Affinity affinity;
  (void)ParseAffinity(flags.affinity, &affinity);

  ScheduleOptions so;
  so.seed = flags.seed;
  so.duration_ms = flags.duration_s * 1000;
  so.proposers = flags.proposers;
  so.majority_down = flags.majority_down;
  const std::vector<Fault> schedule = BuildSchedule(so);
  std::cout << "gryadka-chaos: seed " << flags.seed << ", " << flags.duration_s << " s, "
            << (flags.majority_down ? "majority-down run" : "safety run (at most F=1 acceptor faulty)")
            << ", " << flags.clients << " clients, " << flags.proposers << " proposers, affinity "
            << flags.affinity << "\nschedule (" << schedule.size() << " faults):\n";
  for (const Fault& f : schedule) std::cout << "  " << DescribeFault(f) << "\n";
  std::cout.flush();

  ChaosClusterOptions co;
  co.proposer_binary = flags.proposer_bin;
  co.proposers = flags.proposers;
  for (auto& part : absl::StrSplit(flags.proposer_flags, ' ', absl::SkipEmpty())) {
    co.proposer_flags.emplace_back(part);
  }
  auto cluster = ChaosCluster::Start(co);
  if (!cluster.ok()) {
    std::cerr << "gryadka-chaos: cannot start the cluster: " << cluster.status() << "\n";
    return 2;
  }
  Recorder recorder;
  WorkloadOptions wo;
  wo.seed = flags.seed;
  wo.clients = flags.clients;
  wo.affinity = affinity;
  wo.hot_keys = flags.hot_keys;
  wo.cold_keys = flags.cold_keys;
  Workload workload(wo, (*cluster)->targets(), &recorder);
  if (auto s = workload.Start(); !s.ok()) {
    std::cerr << "gryadka-chaos: " << s << "\n";
    return 2;
  }
  RunRecord run;
  run.workload_start_us = recorder.NowUs();
  run.faults = RunSchedule(schedule, run.workload_start_us, **cluster, recorder);
  SleepUntilUs(recorder, run.workload_start_us + flags.duration_s * 1'000'000);
  workload.Stop();
  run.workload_end_us = recorder.NowUs();
  for (int p = 0; p < flags.proposers; ++p) {
    if (auto s = (*cluster)->WaitServing(p, kServingAtEndTimeoutMs); !s.ok()) {
      run.faults.push_back({.fault = {.kind = FaultKind::kProposerKill, .target = p},
                            .applied_us = run.workload_end_us,
                            .heal_started_us = run.workload_end_us,
                            .healed_us = run.workload_end_us,
                            .heal_status = s});
    }
  }
  std::cout << "workload stopped after " << workload.calls() << " calls"
            << (recorder.full() ? " (history full: stopped early at kHistoryOpsMax)" : "")
            << "; reading every key\n";
  run.final_reads = workload.ReadAll(kFinalReadThreads, kFinalReadAttemptsMax);
  Recorder::Taken taken = recorder.Take();

  run.seed = flags.seed;
  run.duration_s = flags.duration_s;
  run.majority_down = flags.majority_down;
  run.affinity = flags.affinity;
  run.proposers = flags.proposers;
  run.workload_clients = flags.clients;
  run.bound_proposers = workload.bound_proposers();
  run.pending_at_close = taken.pending_at_close;
  run.history = &taken.history;
  run.codes = &taken.codes;
  run.budget.steps_max = flags.search_steps_max;
  const Verdict verdict = Judge(run);

  std::cout << verdict.report;
  std::cout << verdict.passed() << " passed, " << verdict.failed() << " failed\n";
  std::cout << verdict.json << "\n";
  if (!flags.json_path.empty()) std::ofstream(flags.json_path) << verdict.json << "\n";
  if (verdict.failed() > 0) {
    std::cout << "FAILED seed " << flags.seed << "; rerun with:\n  " << RerunCommand(argv[0], flags) << "\n";
    std::cerr << "process logs:\n" << (*cluster)->Logs();  // stderr: stdout's JSON line stays the only one
  }
  std::cout.flush();
  return verdict.failed() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gryadka::chaos

int main(int argc, char** argv) { return gryadka::chaos::Main(argc, argv); }
