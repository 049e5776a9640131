// The cluster of a chaos run: 2F+1 Redis acceptors and P gryadka-proposer processes on free
// loopback ports, every proposer reaching every Redis through its own FaultProxy (one proxy per
// (proposer, acceptor) link), so a link fault can hit one proposer or all of them. Proposers
// know each other (--peers) and forward calls to the key's owner, so forwarding runs under
// every fault too (proposer/server/forwarder.h). Applies and
// heals the faults of a schedule (tests/chaos/schedule.h). Processes are stopped by PID when the
// cluster is destroyed.
//
// Thread-compatible, and must be driven from the thread that created it: the processes get
// SIGKILL when their spawning thread exits (see client/shared/process_handle.h), and restarts
// respawn them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/chaos/fault_proxy.h"
#include "tests/chaos/schedule.h"
#include "client/shared/process_handle.h"
#include "tests/support/redis_process.h"

namespace gryadka::chaos {

struct ChaosClusterOptions {
  std::string proposer_binary;
  int acceptors = 3;
  int proposers = 3;
  std::vector<std::string> proposer_flags;  // extra flags for every proposer
  int64_t serving_timeout_ms = 20000;       // bound on waiting for SERVING after a (re)start
};

class ChaosCluster {
 public:
  static absl::StatusOr<std::unique_ptr<ChaosCluster>> Start(ChaosClusterOptions options);
  ~ChaosCluster();

  // "127.0.0.1:P" of proposer i.
  std::string target(int i) const;
  std::vector<std::string> targets() const;
  int proposers() const { return static_cast<int>(proposers_.size()); }
  int acceptors() const { return static_cast<int>(redis_.size()); }

  // Starts `fault`; returns once it is in effect (proxies: every link's connections serve under
  // it). Fails naming a proxy that did not apply it in time.
  absl::Status Apply(const Fault& fault);
  // Ends `fault`: restarts what was killed (waiting until Redis answers / the proposer is
  // SERVING), resumes what was paused, heals the links. Fails naming what did not come back.
  absl::Status Heal(const Fault& fault);

  // Polls proposer i's health until SERVING, within `timeout_ms`.
  absl::Status WaitServing(int i, int64_t timeout_ms) const;

  // Log tails of every process, for failure messages.
  std::string Logs() const;

 private:
  explicit ChaosCluster(ChaosClusterOptions options) : options_(std::move(options)) {}
  absl::Status StartProposer(int i);
  std::vector<FaultProxy*> Links(const Fault& fault);
  absl::Status SetLinks(const Fault& fault, const LinkFaults& faults);

  const ChaosClusterOptions options_;
  std::vector<std::unique_ptr<test_support::RedisProcess>> redis_;
  std::vector<std::vector<std::unique_ptr<FaultProxy>>> proxies_;  // [proposer][acceptor]
  std::vector<std::unique_ptr<process::ProcessHandle>> proposers_;
  std::vector<int> proposer_ports_;
  std::vector<int> peer_ports_;  // picked before any proposer starts: their --peers
};

}  // namespace gryadka::chaos
