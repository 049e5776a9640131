// The fencing state of one acceptor (see proposer/core/messages.h, "Fencing"): its minimum
// configuration epoch and the serialized gryadka.v1.Membership stored with it. Shared by the
// in-memory acceptor, the simulator's Lua acceptor and the Redis admin client, so that
// Fence(epoch, config) has one signature everywhere. Plain value; thread-compatible.
#pragma once

#include <cstdint>
#include <string>

namespace gryadka::acceptor {

struct FenceState {
  uint64_t min_epoch = 0;  // E: requests with a lower epoch are refused (kFenced)
  std::string config;      // C: stored with the latest raise of E (empty until raised)
  bool operator==(const FenceState&) const = default;
};

}  // namespace gryadka::acceptor
