// The fault schedule of one chaos run, derived from its seed alone: which fault hits which
// process or link, when, and for how long. Printed at start, so a run can be told from another
// and rerun. Pure functions; thread-compatible.
//
// Safety run: faults one at a time, each followed by a healthy gap, so at most one acceptor
// (F = 1 of 3) is faulty at any moment and every window after a fault belongs to that fault.
// Majority-down run: two of three acceptors go down together, then come back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gryadka::chaos {

enum class FaultKind {
  kRedisKill,       // kill -9 of a Redis, restarted (AOF replayed) when the fault ends
  kRedisPause,      // SIGSTOP of a Redis, SIGCONT when the fault ends
  kProxyCut,        // the acceptor's proxy resets connections and refuses new ones
  kProxyStall,      // the acceptor's proxy stops forwarding, connections stay open
  kProxyLatency,    // the acceptor's proxy delays every chunk by latency_ms
  kOneWayToRedis,   // requests do not reach Redis, answers flow
  kOneWayFromRedis, // requests reach Redis (and apply), answers are held
  kProposerKill,    // kill -9 of a proposer, restarted when the fault ends
  kProposerPause,   // SIGSTOP of a proposer, SIGCONT when the fault ends
};
inline constexpr int kFaultKinds = 9;
const char* FaultKindName(FaultKind kind);  // "redis_kill", "proxy_stall", ...
bool IsAcceptorFault(FaultKind kind);        // all kinds but the proposer ones

struct Fault {
  FaultKind kind = FaultKind::kRedisKill;
  // The acceptor (Redis and proxy faults) or the proposer (proposer faults) it hits.
  int target = 0;
  // Proxy faults only: the one proposer whose link to the acceptor is hit, or -1 for the links
  // of every proposer.
  int link_proposer = -1;
  int64_t start_ms = 0;  // from the start of the workload
  int64_t duration_ms = 0;
  int64_t latency_ms = 0;  // kProxyLatency only
  // Majority-down run: faults with the same group start and end together.
  int group = 0;
};
// "t=2.000s +1.250s redis_pause acceptor 1" for the printed schedule.
std::string DescribeFault(const Fault& fault);

struct ScheduleOptions {
  uint64_t seed = 1;
  int64_t duration_ms = 60000;  // length of the workload; no fault starts after the end
  int acceptors = 3;
  int proposers = 3;
  bool majority_down = false;
  int64_t warmup_ms = 2000;       // healthy time before the first fault
  int64_t fault_min_ms = 500;     // bounds of one fault's duration
  int64_t fault_max_ms = 2500;
  int64_t gap_min_ms = 1000;      // bounds of the healthy gap after a fault
  int64_t gap_max_ms = 2000;
  int64_t latency_min_ms = 20;    // bounds of kProxyLatency's added latency
  int64_t latency_max_ms = 200;
};

// The faults of a run, ordered by start_ms. Every fault ends by duration_ms - tail, so the run
// ends healed. Safety run: kinds cycle through a seeded shuffle of all kinds (each kind appears
// before any repeats). Majority-down run: each group takes two distinct acceptors down with
// seeded kinds among kill, pause, cut and stall for fault_max_ms or more.
std::vector<Fault> BuildSchedule(const ScheduleOptions& options);

}  // namespace gryadka::chaos
