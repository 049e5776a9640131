// The fault injector of the fault phase: changing partitions, acceptor crash/restart and pause,
// proposer crash/restart, proposer disconnections (requests never sent), and acceptors held down for the whole phase — each only when the
// scenario switches it on, with magnitudes from the run's parameters and timing from the
// injector's own random stream. Heal() ends the phase: partitions cleared, every acceptor and
// proposer up, the network without loss. Thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "proposer/core/random.h"
#include "tests/sim/event_log.h"
#include "tests/sim/event_loop.h"
#include "tests/sim/network.h"
#include "tests/sim/params.h"

namespace gryadka::sim {

// What the injector acts on (the simulated cluster).
class FaultTarget {
 public:
  virtual ~FaultTarget() = default;
  virtual void CrashAcceptor(int a) = 0;
  virtual void RestartAcceptor(int a) = 0;
  virtual void PauseAcceptor(int a) = 0;
  virtual void ResumeAcceptor(int a) = 0;
  virtual void CrashProposer(int p) = 0;
  virtual void RestartProposer(int p) = 0;
};

class FaultInjector {
 public:
  FaultInjector(EventLoop* loop, EventLog* log, uint64_t seed, const SimParams& params,
                Network* network, FaultTarget* target);

  // Schedules the fault phase's first events.
  void Start();
  // Ends the fault phase. Idempotent.
  void Heal();
  bool active() const { return active_; }

 private:
  void NextPartition();
  void NextAcceptorCrash();
  void NextPause();
  void NextProposerCrash();
  void NextDisconnect();
  int CountCrashed() const;

  EventLoop* loop_;
  EventLog* log_;
  core::Random rng_;
  const SimParams& params_;
  Network* network_;
  FaultTarget* target_;
  bool active_ = false;
  std::vector<bool> held_down_;  // acceptors down for the whole phase
  std::vector<bool> crashed_;
  std::vector<bool> paused_;
  std::vector<bool> proposer_down_;
  std::vector<int64_t> disconnected_until_us_;  // [proposer * acceptors + acceptor]
};

}  // namespace gryadka::sim
