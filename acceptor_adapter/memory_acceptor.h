// An in-memory acceptor with exactly the semantics of the Redis Lua scripts (see
// proposer/core/messages.h). Used by the simulator, by unit tests, and as the oracle in the
// Redis differential test. Thread-compatible.
#pragma once

#include <map>
#include <string>

#include "acceptor_adapter/fence_state.h"
#include "proposer/core/messages.h"

namespace gryadka::acceptor {

class MemoryAcceptor {
 public:
  struct Slot {
    core::Ballot promised;
    core::Ballot accepted;
    std::string value;
    bool foreign = false;  // holds data that is not a register (tests of kInvalidState)
    bool operator==(const Slot&) const = default;
  };

  // Handles one prepare or accept and returns the reply (msg_id and acceptor copied from req).
  // req.epoch < min_epoch() -> kFenced(min_epoch(), config()) without touching the register.
  core::AcceptorReply Handle(const core::AcceptorRequest& req);

  // Raises the minimum epoch to `epoch` (storing `config` with it) if epoch > min_epoch();
  // never lowers it. Returns the state after the call (epoch 0 only reads).
  FenceState Fence(uint64_t epoch, const std::string& config);
  uint64_t min_epoch() const { return fence_.min_epoch; }
  const std::string& config() const { return fence_.config; }

  // The slot of `key`, or nullptr if the key was never touched.
  const Slot* Find(const std::string& key) const;
  // Makes `key` hold foreign data: every later call on it answers kInvalidState.
  void PutForeign(const std::string& key);
  const std::map<std::string, Slot>& slots() const { return slots_; }

 private:
  std::map<std::string, Slot> slots_;  // ordered: deterministic iteration for tests and digests
  FenceState fence_;
};

}  // namespace gryadka::acceptor
