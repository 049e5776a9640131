// gryadka-sim: runs simulation scenarios over ranges of seeds.
//
//   gryadka-sim --list
//   gryadka-sim --scenario NAME|all [--seed N | --seeds A..B] [--intensity K] [--trace]
//               [--acceptor memory|lua]
//   gryadka-sim --scenario NAME --seed N --record FILE
//   gryadka-sim --replay FILE
//
// Prints the seed and every derived parameter before each run, the exact command that
// reproduces each failure, and ends with the line "N passed, N failed". Exit status 0 iff
// nothing failed.
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tests/sim/params.h"
#include "tests/sim/scenarios.h"
#include "tests/sim/simulation.h"

namespace gryadka::sim {
namespace {

constexpr char kUsage[] =
    "usage: gryadka-sim --list\n"
    "       gryadka-sim --scenario NAME|all [--seed N | --seeds A..B] [--intensity K]\n"
    "                   [--acceptor memory|lua] [--trace] [--quiet] [--record FILE]\n"
    "       gryadka-sim --replay FILE [--trace]\n"
    "  --scenario     a name from --list, or all\n"
    "  --seed N       one seed (default 1); --seeds A..B every seed from A to B inclusive\n"
    "  --intensity K  operations per client in the fault phase (default: the scenario's)\n"
    "  --acceptor K   memory (default): the C++ in-memory acceptor; lua: the production Lua\n"
    "                 scripts in an embedded Lua 5.1 with a redis.call shim\n"
    "  --record FILE  write the event log of the run (one scenario, one seed) to FILE\n"
    "  --replay FILE  re-run the recorded run; fails at the first event that differs\n"
    "  --trace        print every event\n"
    "  --search-steps N  linearizability search budget per key, in model steps\n"
    "  --search-mib N    linearizability search memo budget per key, in MiB\n"
    "  --quiet        print the parameters of failing runs only\n"
    "  --emit-ctest FILE  write the ctest registration of every scenario to FILE (build step)\n";

struct Flags {
  bool list = false;
  std::string scenario;
  uint64_t seed_from = 1;
  uint64_t seed_to = 1;
  std::optional<int> intensity;
  AcceptorKind acceptor = AcceptorKind::kMemory;
  std::string record;
  std::string replay;
  bool trace = false;
  bool quiet = false;
  std::string emit_ctest;
  SearchBudget budget;
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr, "gryadka-sim: %s\n%s", error.c_str(), kUsage);
  std::exit(2);
}

Flags Parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(absl::StrCat(arg, " needs a value"));
      return argv[++i];
    };
    if (arg == "--list") {
      f.list = true;
    } else if (arg == "--scenario") {
      f.scenario = value();
    } else if (arg == "--seed") {
      if (!absl::SimpleAtoi(value(), &f.seed_from)) Usage("--seed takes a number");
      f.seed_to = f.seed_from;
    } else if (arg == "--seeds") {
      std::vector<std::string> parts = absl::StrSplit(value(), "..");
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &f.seed_from) ||
          !absl::SimpleAtoi(parts[1], &f.seed_to) || f.seed_to < f.seed_from) {
        Usage("--seeds takes A..B with A <= B");
      }
    } else if (arg == "--intensity") {
      int k;
      if (!absl::SimpleAtoi(value(), &k) || k < 1) Usage("--intensity takes a number >= 1");
      f.intensity = k;
    } else if (arg == "--acceptor") {
      const std::string name = value();
      const std::optional<AcceptorKind> kind = ParseAcceptorKind(name);
      if (!kind) Usage(absl::StrCat("--acceptor takes memory or lua, not '", name, "'"));
      f.acceptor = *kind;
    } else if (arg == "--record") {
      f.record = value();
    } else if (arg == "--replay") {
      f.replay = value();
    } else if (arg == "--trace") {
      f.trace = true;
    } else if (arg == "--search-steps") {
      if (!absl::SimpleAtoi(value(), &f.budget.steps_max)) Usage("--search-steps takes a number");
    } else if (arg == "--search-mib") {
      size_t mib;
      if (!absl::SimpleAtoi(value(), &mib)) Usage("--search-mib takes a number");
      f.budget.memo_bytes_max = mib << 20;
    } else if (arg == "--emit-ctest") {
      f.emit_ctest = value();
    } else if (arg == "--quiet") {
      f.quiet = true;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("%s\nscenarios:\n", kUsage);
      for (const ScenarioSpec& s : Scenarios()) {
        std::printf("  %-36s %s\n", s.name.c_str(), s.summary.c_str());
      }
      std::exit(0);
    } else {
      Usage(absl::StrCat("unknown argument ", arg));
    }
  }
  return f;
}

std::string ReproduceCommand(const std::string& self, const SimParams& p) {
  return absl::StrFormat("%s --scenario %s --seed %d --intensity %d%s", self, p.scenario, p.seed,
                         p.intensity, p.acceptor_kind == AcceptorKind::kLua ? " --acceptor lua" : "");
}

// The first line of a recording names the run: "# gryadka-sim <scenario> <seed> <intensity>",
// followed by " lua" for a run with Lua acceptors.
std::string RecordingHeader(const SimParams& p) {
  return absl::StrFormat("# gryadka-sim %s %d %d%s", p.scenario, p.seed, p.intensity,
                         p.acceptor_kind == AcceptorKind::kLua ? " lua" : "");
}

bool RunOne(const std::string& self, const SimParams& params, const Flags& flags,
            std::vector<std::string> replay) {
  if (!flags.quiet) {
    std::printf("=== %s seed=%llu\n%s\n", params.scenario.c_str(),
                static_cast<unsigned long long>(params.seed), params.Describe().c_str());
  }
  RunOptions options;
  options.trace = flags.trace;
  options.budget = flags.budget;
  options.record = !flags.record.empty();
  options.replay = std::move(replay);
  const RunResult r = RunSimulation(params, options);
  if (options.record) {
    std::ofstream out(flags.record);
    out << RecordingHeader(params) << "\n";
    for (const std::string& line : r.recorded) out << line << "\n";
    if (!out) {
      std::fprintf(stderr, "gryadka-sim: cannot write %s\n", flags.record.c_str());
      return false;
    }
  }
  if (!r.passed && flags.quiet) {
    std::printf("=== %s seed=%llu\n%s\n", params.scenario.c_str(),
                static_cast<unsigned long long>(params.seed), params.Describe().c_str());
  }
  std::printf(
      "%s %s seed=%llu: %s — ops=%zu ok=%zu unknown=%zu not-applied=%zu rounds=%llu "
      "one-rtt=%llu minority-accepts=%zu proposer-restarts=%llu lost=%llu not-sent=%llu "
      "marks-evicted=%llu retries-marks-evicted=%llu accepts-not-applied=%llu healed=%.3fs "
      "end=%.3fs events=%llu digest=%016llx\n",
      r.passed ? "PASS" : "FAIL", params.scenario.c_str(),
      static_cast<unsigned long long>(params.seed), r.verdict.c_str(), r.ops, r.ops_ok,
      r.ops_unknown, r.ops_not_applied, static_cast<unsigned long long>(r.rounds),
      static_cast<unsigned long long>(r.rounds_one_rtt), r.minority_accepts,
      static_cast<unsigned long long>(r.proposer_restarts),
      static_cast<unsigned long long>(r.messages_lost),
      static_cast<unsigned long long>(r.requests_not_sent),
      static_cast<unsigned long long>(r.writer_marks_evicted),
      static_cast<unsigned long long>(r.retries_marks_evicted),
      static_cast<unsigned long long>(r.accepts_not_applied), r.heal_us / 1e6, r.end_us / 1e6,
      static_cast<unsigned long long>(r.events), static_cast<unsigned long long>(r.digest));
  if (params.membership != MembershipChange::kNone) {
    std::printf(
        "  membership: changes=%llu configure-steps=%llu rescans=%llu keys-rescanned=%llu "
        "fence-retries=%llu fence-adoptions=%llu missed-proposer-adoptions=%llu final-epoch=%llu "
        "submits-behind-published=%llu\n",
        static_cast<unsigned long long>(r.membership_changes),
        static_cast<unsigned long long>(r.configure_steps),
        static_cast<unsigned long long>(r.rescan_steps),
        static_cast<unsigned long long>(r.keys_rescanned),
        static_cast<unsigned long long>(r.fence_retries),
        static_cast<unsigned long long>(r.fence_adoptions),
        static_cast<unsigned long long>(r.missed_proposer_fence_adoptions),
        static_cast<unsigned long long>(r.final_epoch),
        static_cast<unsigned long long>(r.submits_behind_published));
  }
  if (!r.passed || (params.expect_violation && !flags.quiet)) {
    std::printf("%s", r.details.c_str());
  }
  if (!r.passed) {
    std::printf("  reproduce: %s\n", ReproduceCommand(self, params).c_str());
    if (!flags.replay.empty()) {
      std::printf("  replay:    %s --replay %s\n", self.c_str(), flags.replay.c_str());
    }
  }
  std::fflush(stdout);
  return r.passed;
}

// Writes add_test() calls running every scenario over seeds 1..ctest_seeds in chunks.
int EmitCtest(const std::string& self, const std::string& file) {
  constexpr uint64_t kSeedsPerTest = 50;
  std::ofstream out(file);
  for (const ScenarioSpec& s : Scenarios()) {
    for (uint64_t from = 1; from <= static_cast<uint64_t>(s.ctest_seeds); from += kSeedsPerTest) {
      const uint64_t to = std::min<uint64_t>(from + kSeedsPerTest - 1, s.ctest_seeds);
      const std::string name = absl::StrFormat("sim.scenario.%s.%d-%d", s.name, from, to);
      out << absl::StrFormat(
          "add_test([=[%s]=] [=[%s]=] --scenario [=[%s]=] --seeds %d..%d --quiet)\n"
          "set_tests_properties([=[%s]=] PROPERTIES LABELS \"sim;scenario\" TIMEOUT 600)\n",
          name, self, s.name, from, to, name);
    }
    // The same scenario with the production Lua scripts as acceptors, over fewer seeds (the
    // interpreter is slower): ScenarioSpec::ctest_lua_seeds, one test per scenario.
    if (s.ctest_lua_seeds > 0) {
      const std::string name = absl::StrFormat("sim.lua.%s.1-%d", s.name, s.ctest_lua_seeds);
      out << absl::StrFormat(
          "add_test([=[%s]=] [=[%s]=] --scenario [=[%s]=] --seeds 1..%d --acceptor lua --quiet)\n"
          "set_tests_properties([=[%s]=] PROPERTIES LABELS \"sim;scenario;lua\" TIMEOUT 600)\n",
          name, self, s.name, s.ctest_lua_seeds, name);
    }
  }
  if (!out) {
    std::fprintf(stderr, "gryadka-sim: cannot write %s\n", file.c_str());
    return 1;
  }
  return 0;
}

int Main(int argc, char** argv) {
  const Flags flags = Parse(argc, argv);
  const std::string self = argv[0];
  if (!flags.emit_ctest.empty()) return EmitCtest(self, flags.emit_ctest);
  if (flags.list) {
    for (const ScenarioSpec& s : Scenarios()) {
      std::printf("%-32s intensity=%-3d %s\n", s.name.c_str(), s.default_intensity,
                  s.summary.c_str());
    }
    return 0;
  }
  int passed = 0;
  int failed = 0;
  if (!flags.replay.empty()) {
    std::ifstream in(flags.replay);
    std::string header;
    if (!std::getline(in, header)) Usage(absl::StrCat("cannot read ", flags.replay));
    std::vector<std::string> h = absl::StrSplit(header, ' ');
    uint64_t seed;
    int intensity;
    if ((h.size() != 5 && !(h.size() == 6 && h[5] == "lua")) || h[0] != "#" ||
        h[1] != "gryadka-sim" || !absl::SimpleAtoi(h[3], &seed) ||
        !absl::SimpleAtoi(h[4], &intensity)) {
      Usage(absl::StrCat(flags.replay, " is not a gryadka-sim recording"));
    }
    const ScenarioSpec* spec = FindScenario(h[2]);
    if (spec == nullptr) Usage(absl::StrCat("unknown scenario in recording: ", h[2]));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    Flags run_flags = flags;
    run_flags.record.clear();
    const AcceptorKind kind = h.size() == 6 ? AcceptorKind::kLua : AcceptorKind::kMemory;
    (RunOne(self, DeriveParams(*spec, seed, intensity, kind), run_flags, std::move(lines)) ? passed
                                                                                      : failed)++;
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
  }
  if (flags.scenario.empty()) Usage("--scenario, --replay or --list is required");
  std::vector<const ScenarioSpec*> specs;
  if (flags.scenario == "all") {
    for (const ScenarioSpec& s : Scenarios()) specs.push_back(&s);
  } else if (const ScenarioSpec* s = FindScenario(flags.scenario)) {
    specs.push_back(s);
  } else {
    Usage(absl::StrCat("unknown scenario ", flags.scenario, " (see --list)"));
  }
  if (!flags.record.empty() && (specs.size() != 1 || flags.seed_from != flags.seed_to)) {
    Usage("--record needs one scenario and one seed");
  }
  for (const ScenarioSpec* spec : specs) {
    for (uint64_t seed = flags.seed_from; seed <= flags.seed_to; ++seed) {
      const SimParams params =
          DeriveParams(*spec, seed, flags.intensity.value_or(spec->default_intensity),
                       flags.acceptor);
      (RunOne(self, params, flags, {}) ? passed : failed)++;
      if (seed == flags.seed_to) break;  // seed_to may be the largest uint64
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gryadka::sim

int main(int argc, char** argv) { return gryadka::sim::Main(argc, argv); }
