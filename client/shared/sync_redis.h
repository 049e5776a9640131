// A tiny blocking Redis client (hiredis sync API) for inspecting and poking Redis servers from
// tests, and for gryadka-bench's readiness probe of the servers it spawns (RunRedisCommand,
// ProcessIdFromInfo). Every command is bounded by the connection's timeout. Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct redisContext;

namespace gryadka::process {

// A decoded RESP2 reply.
struct RedisValue {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisValue> elements;  // kArray

  bool IsError() const { return type == Type::kError; }
  // "OK", "PONG", a bulk string, "(error) ...", an integer, or "[a, b]" for logs and messages.
  std::string DebugString() const;
};

inline constexpr int64_t kSyncRedisTimeoutMs = 2000;  // connect and per-command I/O bound

class SyncRedis {
 public:
  // Connects to host:port. Fails with UNAVAILABLE if it cannot within `timeout_ms`.
  static absl::StatusOr<SyncRedis> Connect(const std::string& host, int port,
                                           int64_t timeout_ms = kSyncRedisTimeoutMs);
  SyncRedis(SyncRedis&&) noexcept;
  SyncRedis& operator=(SyncRedis&&) noexcept;
  ~SyncRedis();

  // Runs one command (binary-safe arguments). A Redis error reply is a RedisValue of type
  // kError; a transport failure or timeout is an UNAVAILABLE status (the connection is then
  // unusable).
  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& argv);

 private:
  explicit SyncRedis(redisContext* ctx) : ctx_(ctx) {}
  redisContext* ctx_ = nullptr;
};

// Connects to 127.0.0.1:port, runs one command, disconnects.
absl::StatusOr<RedisValue> RunRedisCommand(int port, const std::vector<std::string>& argv,
                                           int64_t timeout_ms = kSyncRedisTimeoutMs);

// The process_id field of an `INFO server` reply, or -1 when absent or malformed.
int64_t ProcessIdFromInfo(const std::string& info);

}  // namespace gryadka::process
