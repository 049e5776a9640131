// One simulated acceptor process: the production in-memory acceptor, or the production Lua
// scripts in an embedded interpreter (LuaAcceptor), plus a process state.
// Crash/restart keeps the acceptor's state (Redis with appendfsync always) and loses the
// requests that were waiting; a paused acceptor (a stopped process, a long GC or fsync) queues
// what arrives and handles it, in arrival order, when it resumes. A Lua acceptor may also hold
// arrivals for a short batch window (Collect/TakePending) so the cluster runs them as batch
// script calls. Fencing (docs/protocol.md; the operator's fence call) and the rescan's key listing
// go to the acceptor itself, as the admin connection does in production. Thread-compatible.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acceptor_adapter/fence_state.h"
#include "acceptor_adapter/memory_acceptor.h"
#include "tests/sim/lua_acceptor.h"
#include "tests/sim/network.h"
#include "tests/sim/params.h"

namespace gryadka::sim {

class AcceptorNode {
 public:
  enum class State { kUp, kDown, kPaused };
  struct Queued {
    ProposerAddr from;
    core::AcceptorRequest request;
  };

  // `name` is for error messages ("a1").
  AcceptorNode(AcceptorKind kind, const std::string& name);

  State state() const { return state_; }
  // Number of crashes so far.
  uint64_t epoch() const { return epoch_; }
  // A request arrived: handled at once when up (returns the reply), queued when paused,
  // dropped when down (returns nothing in both cases).
  std::optional<core::AcceptorReply> Receive(ProposerAddr from, const core::AcceptorRequest& r);
  // Handles one request (a Lua acceptor runs the single-key script).
  core::AcceptorReply Handle(const core::AcceptorRequest& r);
  // Handles requests of one proposer as one call: a Lua acceptor runs the batch script (the
  // single-key script for one request); the memory acceptor handles them one by one.
  std::vector<core::AcceptorReply> HandleBatch(const std::vector<core::AcceptorRequest>& rs);

  // Holds an arrival for the batch window. Returns true if it is the first one held (the caller
  // then schedules TakePending). REQUIRES: state() == kUp.
  bool Collect(ProposerAddr from, const core::AcceptorRequest& r);
  // The held arrivals, in arrival order.
  std::vector<Queued> TakePending();

  // Returns the requests that were queued or held (lost with the process).
  size_t Crash();
  void Restart() { state_ = State::kUp; }
  // Held arrivals join the pause queue, ahead of later ones.
  void Pause();
  // Returns the queued requests in arrival order; the acceptor is up again.
  std::vector<Queued> Resume();

  bool lua() const { return lua_ != nullptr; }

  // The operator's fence call, run by the acceptor itself (MemoryAcceptor::Fence or the
  // production fence.lua): raises the minimum epoch to `epoch` (never lowers it) and stores
  // `config` with it; returns the state after the call. State survives crashes (durable).
  acceptor::FenceState Fence(uint64_t epoch, const std::string& config);
  // Every register key (user keys, sorted), as the rescan's SCAN lists them: registers only,
  // never the fence record.
  std::vector<std::string> Keys() const;

 private:
  State state_ = State::kUp;
  uint64_t epoch_ = 0;
  acceptor::MemoryAcceptor memory_;
  std::unique_ptr<LuaAcceptor> lua_;  // null: the memory acceptor serves
  std::deque<Queued> queue_;
  std::vector<Queued> pending_;
};

}  // namespace gryadka::sim
