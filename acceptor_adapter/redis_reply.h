// Turns the Redis reply to a prepare/accept script call into an AcceptorReply. Pure functions
// over hiredis reply structs (no IO); thread-safe.
#pragma once

#include <string_view>

#include "proposer/core/messages.h"

struct redisReply;

namespace gryadka::acceptor {

// What the messages need to name: the Redis key and the acceptor ("redis 127.0.0.1:6379").
struct ScriptCallContext {
  core::AcceptorRequest::Kind kind = core::AcceptorRequest::Kind::kPrepare;
  std::string_view redis_key;
  std::string_view acceptor;
};

// True if `reply` is the NOSCRIPT error (the script cache of the server lost our script).
bool IsNoScriptError(const redisReply& reply);

// Fills status, ballot, value and error of `out` from the script reply (see redis_scripts.h):
// kOk / kConflict / kInvalidState for the script's answers, kError for a Redis error reply or a
// reply of unexpected shape (the message names the acceptor and says what arrived).
void ParseScriptReply(const redisReply& reply, const ScriptCallContext& ctx,
                      core::AcceptorReply* out);

}  // namespace gryadka::acceptor
