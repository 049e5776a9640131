// One simulated acceptor process: the production in-memory acceptor plus a process state.
// Crash/restart keeps the acceptor's state (Redis with appendfsync always) and loses the
// requests that were waiting; a paused acceptor (a stopped process, a long GC or fsync) queues
// what arrives and handles it, in arrival order, when it resumes. Thread-compatible.
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "acceptor_adapter/memory_acceptor.h"
#include "tests/sim/network.h"

namespace gryadka::sim {

class AcceptorNode {
 public:
  enum class State { kUp, kDown, kPaused };
  struct Queued {
    ProposerAddr from;
    core::AcceptorRequest request;
  };

  State state() const { return state_; }
  // Number of crashes so far.
  uint64_t epoch() const { return epoch_; }
  // A request arrived: handled at once when up (returns the reply), queued when paused,
  // dropped when down (returns nothing in both cases).
  std::optional<core::AcceptorReply> Receive(ProposerAddr from, const core::AcceptorRequest& r);
  // Handles a request taken from the pause queue.
  core::AcceptorReply Handle(const core::AcceptorRequest& r) { return acceptor_.Handle(r); }

  // Returns the requests that were queued (lost with the process).
  size_t Crash();
  void Restart() { state_ = State::kUp; }
  void Pause();
  // Returns the queued requests in arrival order; the acceptor is up again.
  std::vector<Queued> Resume();

  const acceptor::MemoryAcceptor& acceptor() const { return acceptor_; }

 private:
  State state_ = State::kUp;
  uint64_t epoch_ = 0;
  acceptor::MemoryAcceptor acceptor_;
  std::deque<Queued> queue_;
};

}  // namespace gryadka::sim
