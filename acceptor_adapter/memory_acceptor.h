// An in-memory acceptor with exactly the semantics of the Redis Lua scripts (see
// proposer/core/messages.h). Used by the simulator, by unit tests, and as the oracle in the
// Redis differential test. Thread-compatible.
#pragma once

#include <map>
#include <string>

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
  core::AcceptorReply Handle(const core::AcceptorRequest& req);

  // The slot of `key`, or nullptr if the key was never touched.
  const Slot* Find(const std::string& key) const;
  // Makes `key` hold foreign data: every later call on it answers kInvalidState.
  void PutForeign(const std::string& key);
  const std::map<std::string, Slot>& slots() const { return slots_; }

 private:
  std::map<std::string, Slot> slots_;  // ordered: deterministic iteration for tests and digests
};

}  // namespace gryadka::acceptor
