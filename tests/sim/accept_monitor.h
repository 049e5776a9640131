// A protocol invariant checked on the wire: no two accepts for one key carry the same ballot with
// different values (a proposer that reused a cached 1-RTT ballot after an accept reached only a
// minority would break it, and could lose an acknowledged write). It also counts accepts that
// reached only a minority of acceptors, to show a scenario exercises that case. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "proposer/core/messages.h"

namespace gryadka::sim {

class AcceptMonitor {
 public:
  // An accept request left a proposer.
  void OnAcceptSent(const core::AcceptorRequest& accept);
  // An acceptor applied an accept (answered kOk).
  void OnAcceptApplied(const core::AcceptorRequest& accept);

  bool ok() const { return violation_.empty(); }
  // The first violation, in words.
  const std::string& violation() const { return violation_; }
  // Accepted ballots that reached at least one acceptor but fewer than `quorum`.
  size_t MinorityAccepts(int quorum) const;

 private:
  using Slot = std::pair<std::string, core::Ballot>;  // (key, ballot)
  std::map<Slot, std::string> values_;
  std::map<Slot, std::set<core::AcceptorId>> applied_;
  std::string violation_;
};

}  // namespace gryadka::sim
