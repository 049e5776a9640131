// Turns the Redis reply to a prepare/accept script call into an AcceptorReply. Pure functions
// over hiredis reply structs (no IO); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proposer/core/messages.h"

struct redisReply;
struct redisReader;

namespace gryadka::acceptor {

// What the messages need to name: the Redis key and the acceptor ("redis 127.0.0.1:6379").
struct ScriptCallContext {
  core::AcceptorRequest::Kind kind = core::AcceptorRequest::Kind::kPrepare;
  std::string_view redis_key;
  std::string_view acceptor;
};

// An epoch as the scripts take and store it: exactly 16 lowercase hex digits (byte order =
// numeric order). DecodeEpoch returns nullopt for anything else.
inline constexpr size_t kEpochHexDigits = 16;
std::string EncodeEpoch(uint64_t epoch);
std::optional<uint64_t> DecodeEpoch(std::string_view hex);

// True if `reply` is the NOSCRIPT error (the script cache of the server lost our script).
bool IsNoScriptError(const redisReply& reply);

// Fills status, ballot, value, error, fence_epoch and fence_config of `out` from the script
// reply (see redis_scripts.h): kOk / kConflict / kInvalidState / kFenced for the script's
// answers, kError for a Redis error reply or a reply of unexpected shape (the message names the
// acceptor and says what arrived).
void ParseScriptReply(const redisReply& reply, const ScriptCallContext& ctx,
                      core::AcceptorReply* out);

// Longest part of a Redis error reply quoted in a message, in bytes.
inline constexpr size_t kRedisErrorBytesMax = 512;

// The reply of call `i` of a batch script run of `calls` calls: element i when the batch script
// answered one reply per call, else the whole reply (e.g. an error that fails every call).
// REQUIRES: i < calls.
const redisReply& BatchCallReply(const redisReply& reply, size_t calls, size_t i);

// Longest arrays a reader accepts: a batch reply (one element per call; --redis_batch_calls_max
// is at most this) and any array nested in it (a script reply has at most 3 elements).
inline constexpr size_t kReplyArrayElementsMax = 4096;
inline constexpr size_t kNestedReplyArrayElementsMax = 8;

// Makes `reader` (a hiredis reader using the default reply objects) refuse longer arrays as a
// protocol error — hiredis allocates an array's element table from its announced length before
// any element arrives, so an unbounded "*<huge>" header would allocate gigabytes. The reader then
// fails with hiredis's "Out of memory" error and the connection drops. Thread-safe.
void BoundReplyArrays(redisReader* reader);

// The same with other bounds, for a reader whose replies are bigger: the admin connection's SCAN
// replies (top-level arrays of at most 4 elements, one nested array of up to 16,000 keys).
inline constexpr size_t kScanReplyTopElementsMax = 4;
inline constexpr size_t kScanReplyNestedElementsMax = 16000;
void BoundScanReplyArrays(redisReader* reader);

}  // namespace gryadka::acceptor
