#include "tests/chaos/schedule.h"

#include <algorithm>

#include "proposer/core/random.h"

#include "absl/strings/str_format.h"

namespace gryadka::chaos {
namespace {

constexpr int64_t kMajorityHoldMinMs = 3000;  // majority-down: how long two acceptors stay down
constexpr int64_t kTailMs = 2000;             // healthy time at the end of a run

// core::Random, not std::*_distribution: the same seed gives the same schedule everywhere.
int64_t Uniform(core::Random& rng, int64_t lo, int64_t hi) { return rng.Range(lo, std::max(lo, hi)); }

template <typename T>
void Shuffle(std::vector<T>& v, core::Random& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Uniform(i)]);
}

Fault MakeFault(core::Random& rng, FaultKind kind, const ScheduleOptions& o) {
  Fault f;
  f.kind = kind;
  f.target = static_cast<int>(Uniform(rng, 0, (IsAcceptorFault(kind) ? o.acceptors : o.proposers) - 1));
  const bool proxy = kind == FaultKind::kProxyCut || kind == FaultKind::kProxyStall ||
                     kind == FaultKind::kProxyLatency || kind == FaultKind::kOneWayToRedis ||
                     kind == FaultKind::kOneWayFromRedis;
  if (proxy && Uniform(rng, 0, 1) == 1) f.link_proposer = static_cast<int>(Uniform(rng, 0, o.proposers - 1));
  f.duration_ms = Uniform(rng, o.fault_min_ms, o.fault_max_ms);
  if (kind == FaultKind::kProxyLatency) f.latency_ms = Uniform(rng, o.latency_min_ms, o.latency_max_ms);
  return f;
}

std::vector<Fault> SafetySchedule(core::Random& rng, const ScheduleOptions& o) {
  std::vector<Fault> faults;
  std::vector<FaultKind> deck;
  int64_t t = o.warmup_ms;
  for (int group = 1;; ++group) {
    if (deck.empty()) {
      for (int k = 0; k < kFaultKinds; ++k) deck.push_back(static_cast<FaultKind>(k));
      Shuffle(deck, rng);
    }
    Fault f = MakeFault(rng, deck.back(), o);
    deck.pop_back();
    f.start_ms = t;
    f.group = group;
    if (f.start_ms + f.duration_ms > o.duration_ms - kTailMs) break;
    t = f.start_ms + f.duration_ms + Uniform(rng, o.gap_min_ms, o.gap_max_ms);
    faults.push_back(f);
  }
  return faults;
}

std::vector<Fault> MajoritySchedule(core::Random& rng, const ScheduleOptions& o) {
  static constexpr FaultKind kDown[] = {FaultKind::kRedisKill, FaultKind::kRedisPause,
                                        FaultKind::kProxyCut, FaultKind::kProxyStall};
  std::vector<Fault> faults;
  int64_t t = o.warmup_ms;
  for (int group = 1;; ++group) {
    const int64_t hold = Uniform(rng, kMajorityHoldMinMs, kMajorityHoldMinMs + o.fault_max_ms);
    if (t + hold > o.duration_ms - kTailMs) break;
    std::vector<int> acceptors(o.acceptors);
    for (int a = 0; a < o.acceptors; ++a) acceptors[a] = a;
    Shuffle(acceptors, rng);
    for (int i = 0; i < o.acceptors / 2 + 1; ++i) {
      Fault f;
      f.kind = kDown[Uniform(rng, 0, 3)];
      f.target = acceptors[i];
      f.start_ms = t;
      f.duration_ms = hold;
      f.group = group;
      faults.push_back(f);
    }
    t += hold + Uniform(rng, 2 * o.gap_min_ms, 2 * o.gap_max_ms);
  }
  return faults;
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kRedisKill: return "redis_kill";
    case FaultKind::kRedisPause: return "redis_pause";
    case FaultKind::kProxyCut: return "proxy_cut";
    case FaultKind::kProxyStall: return "proxy_stall";
    case FaultKind::kProxyLatency: return "proxy_latency";
    case FaultKind::kOneWayToRedis: return "one_way_to_redis";
    case FaultKind::kOneWayFromRedis: return "one_way_from_redis";
    case FaultKind::kProposerKill: return "proposer_kill";
    case FaultKind::kProposerPause: return "proposer_pause";
  }
  return "unknown";
}

bool IsAcceptorFault(FaultKind kind) {
  return kind != FaultKind::kProposerKill && kind != FaultKind::kProposerPause;
}

std::string DescribeFault(const Fault& f) {
  std::string s = absl::StrFormat("t=%.3fs +%.3fs %s %s %d", f.start_ms / 1000.0,
                                  f.duration_ms / 1000.0, FaultKindName(f.kind),
                                  IsAcceptorFault(f.kind) ? "acceptor" : "proposer", f.target);
  if (f.link_proposer >= 0) absl::StrAppendFormat(&s, " (link of proposer %d only)", f.link_proposer);
  if (f.kind == FaultKind::kProxyLatency) absl::StrAppendFormat(&s, " latency %dms", f.latency_ms);
  return s;
}

std::vector<Fault> BuildSchedule(const ScheduleOptions& options) {
  core::Random rng(options.seed);
  return options.majority_down ? MajoritySchedule(rng, options) : SafetySchedule(rng, options);
}

}  // namespace gryadka::chaos
