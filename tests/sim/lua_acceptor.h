// An acceptor that runs the production Lua scripts (acceptor_adapter/lua, the exact text
// PrepareScript()/AcceptScript()/BatchScript()/FenceScript() send to Redis) in an in-memory
// Redis (LuaRedis), builds each call's KEYS/ARGV as RedisAcceptor (and RedisAdminConnection for
// Fence) does and parses the reply with the production parser (ParseScriptReply). Same shape as
// MemoryAcceptor (Handle, Fence), so the simulator can hold either, and the scripts meet every
// fault the simulator injects. Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acceptor_adapter/fence_state.h"
#include "acceptor_adapter/memory_acceptor.h"
#include "proposer/core/messages.h"
#include "tests/sim/lua_redis.h"

namespace gryadka::sim {

class LuaAcceptor {
 public:
  // `describe` names the acceptor in error messages ("lua a1").
  explicit LuaAcceptor(std::string describe = "lua acceptor");

  // One call of the single-key prepare or accept script (msg_id and acceptor copied from req).
  core::AcceptorReply Handle(const core::AcceptorRequest& req);
  // The calls as production sends one loop turn's calls: one batch script run for two or more,
  // the single-key script for one. Returns one reply per request, in order.
  std::vector<core::AcceptorReply> HandleBatch(const std::vector<core::AcceptorRequest>& reqs);

  // One call of the fence script: raises the minimum epoch to `epoch` (storing `config`) if it
  // is higher, never lowers it; returns the state after the call (epoch 0 only reads). Same
  // signature as MemoryAcceptor::Fence. Aborts the process if the script fails (the meta record
  // was corrupted with PutField/PutForeign on MetaKey(): a broken test).
  acceptor::FenceState Fence(uint64_t epoch, const std::string& config);

  // The register under `key` decoded as MemoryAcceptor's slot: nullopt if the key does not
  // exist; foreign = true when it is not a hash or a field is not a ballot.
  std::optional<acceptor::MemoryAcceptor::Slot> Find(const std::string& key) const;
  // Makes `key` hold a Redis string: every later call on it answers kInvalidState.
  void PutForeign(const std::string& key);
  // Sets one hash field of `key` as raw bytes (e.g. a 'p' that is not a ballot).
  void PutField(const std::string& key, const std::string& field, const std::string& bytes);
  const LuaRedis& redis() const { return redis_; }

  // The Redis key of register `key` (production prepends --redis_prefix).
  static std::string RedisKey(const std::string& key) { return kKeyPrefix + key; }
  // The meta record's Redis key: exactly the prefix.
  static std::string MetaKey() { return kKeyPrefix; }
  static constexpr char kKeyPrefix[] = "gryadka/";

 private:
  core::AcceptorReply Parse(const redisReply& reply, const core::AcceptorRequest& req) const;

  std::string describe_;
  LuaRedis redis_;
};

}  // namespace gryadka::sim
