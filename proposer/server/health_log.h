// Turns the proposer's periodic acceptor-health samples into log lines an operator can act on
// (docs/reliability.md, "Health log events"):
//   - each acceptor's transition is logged once: "acceptor down" (warning, with its address and
//     the reason: connection error, PING timeout, AUTH error) and "acceptor up" (info);
//   - the quorum verdict is logged with the addresses of the reachable and the unreachable
//     acceptors: the first verdict once ("acceptor quorum reachable: serving" or, warning, "no
//     acceptor quorum reachable: not serving"), then every change ("acceptor quorum lost: not
//     serving", warning; "acceptor quorum regained: serving", info);
//   - nothing is logged before the first verdict: it waits until every acceptor's first
//     connection attempt and health check have finished, or first_verdict_wait_ms have passed
//     since the first sample (acceptors still without a verdict then count as unreachable).
//
// Thread-compatible: one thread (the proposer's health updater) calls Observe().
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "proposer/server/running_membership.h"
#include "proposer/server/shard.h"

namespace gryadka::server {

class HealthLog {
 public:
  // REQUIRES: first_verdict_wait_ms >= 0.
  explicit HealthLog(int64_t first_verdict_wait_ms) : first_verdict_wait_ms_(first_verdict_wait_ms) {}

  // One sample: the membership running, a shard's snapshot taken for it (healthy,
  // health_known, health_errors by AcceptorId), whether the process reports SERVING (`serving`)
  // and the steady clock in ms. Logs what changed since the previous sample.
  void Observe(const AppliedMembership& membership, const Shard::Snapshot& snapshot, bool serving,
               int64_t now_ms);

  // Whether the first quorum verdict has been logged.
  bool first_verdict_logged() const { return serving_.has_value(); }

 private:
  struct AcceptorState {
    bool up = false;
    int64_t since_ms = 0;  // when the state was first seen
  };
  void ObserveAcceptor(const std::string& address, bool up, const std::string& error,
                       bool first_verdict, uint64_t epoch, int64_t now_ms);
  void LogQuorum(const AppliedMembership& membership, const Shard::Snapshot& snapshot,
                 bool serving, bool first_verdict, int64_t now_ms);

  const int64_t first_verdict_wait_ms_;
  int64_t first_sample_ms_ = -1;
  std::optional<bool> serving_;  // the last verdict logged; none before the first
  int64_t serving_since_ms_ = 0;
  absl::flat_hash_map<std::string, AcceptorState> acceptors_;  // by address; members only
};

}  // namespace gryadka::server
