// RedisAdminConnection: a blocking admin client for one Redis acceptor — raises and reads its
// fence (the meta record at exactly key_prefix, see proposer/core/messages.h "Fencing") and
// lists its registers page by page (for a rescan). Used by the proposer's Admin service and by
// tests; not on the request path.
//
// Thread-compatible: one hiredis connection, one command at a time; use one object per thread.
// Every command (and the connect, which ends with a PING) is bounded by timeout_ms. After a
// transport failure or timeout the next command first reconnects (bounded the same way), so a
// caller may retry with the same object.
//
// Errors name the acceptor ("redis HOST:PORT"): UNAVAILABLE for connection failures, timeouts
// and a server not serving yet (LOADING, BUSY, TRYAGAIN, MASTERDOWN; the outcome of a Fence that
// timed out is unknown: fencing is idempotent, retry it), INTERNAL for a reply of unexpected
// shape or another Redis error (e.g. the meta key holds a non-hash), INVALID_ARGUMENT for a
// malformed cursor or timeout. With credentials (redis_auth.h) AUTH is the first command of every
// (re)connection, the password loaded anew each time: a refused AUTH is UNAUTHENTICATED naming
// Redis's error (never the password), an unreadable password file FAILED_PRECONDITION naming it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "acceptor_adapter/fence_state.h"
#include "acceptor_adapter/redis_auth.h"

struct redisContext;

namespace gryadka::acceptor {

// One SCAN page. next_cursor "0" = the scan is complete. A page may be empty while the scan is
// not complete (SCAN filters by type after sampling).
struct ScanPage {
  std::string next_cursor;
  std::vector<std::string> keys;  // user keys (key_prefix stripped)
};

// Largest COUNT hint sent to SCAN; Scan clamps count_hint into [1, kScanCountMax].
inline constexpr int kScanCountMax = 1000;
// Longest key list accepted in one SCAN reply (SCAN may return somewhat more than COUNT);
// a longer reply fails the connection (INTERNAL) instead of allocating without bound.
inline constexpr int kScanReplyKeysMax = 16 * kScanCountMax;

class RedisAdminConnection {
 public:
  // Connects to host:port with a timeout, authenticates (when `credentials` is enabled) and
  // checks the server answers PING; every later command also times out after timeout_ms.
  // REQUIRES: timeout_ms > 0.
  static absl::StatusOr<std::unique_ptr<RedisAdminConnection>> Connect(
      const std::string& host, int port, int64_t timeout_ms, std::string key_prefix,
      RedisCredentialSource credentials = {});
  ~RedisAdminConnection();
  RedisAdminConnection(const RedisAdminConnection&) = delete;
  RedisAdminConnection& operator=(const RedisAdminConnection&) = delete;

  // Raises the minimum epoch to `epoch` and stores `config` with it if epoch > the stored
  // minimum; never lowers it. Returns the state after the call. Atomic (one Lua script run).
  absl::StatusOr<FenceState> Fence(uint64_t epoch, const std::string& config);
  // The stored state ({0, ""} when never fenced). Writes nothing.
  absl::StatusOr<FenceState> ReadFence();
  // One SCAN page of registers: HASH keys under key_prefix, the meta key (key_prefix itself)
  // excluded; keys are USER keys (prefix stripped). Glob characters in key_prefix are escaped.
  // cursor "0" starts; pass next_cursor back until it is "0". Every register present for the
  // whole scan is returned at least once (a key may repeat across pages: SCAN's guarantee).
  absl::StatusOr<ScanPage> Scan(const std::string& cursor, int count_hint);
  std::string Describe() const;  // "redis HOST:PORT"

 private:
  RedisAdminConnection(std::string host, int port, int64_t timeout_ms, std::string key_prefix,
                       RedisCredentialSource credentials);
  // (Re)connects unless connected; authenticates; checks PING.
  absl::Status EnsureConnected();
  absl::Status Authenticate();
  // Runs one command; the reply is owned by the caller (freeReplyObject). Never null on OK.
  absl::StatusOr<void*> Command(const std::vector<std::string>& argv, const char* what);
  absl::StatusOr<FenceState> RunFenceScript(uint64_t epoch, const std::string& config);

  const std::string host_;
  const int port_;
  const int64_t timeout_ms_;
  const std::string key_prefix_;
  const std::string describe_;
  const RedisCredentialSource credentials_;
  redisContext* ctx_ = nullptr;  // null or failed: reconnect before the next command
};

// key_prefix with the glob metacharacters of Redis MATCH patterns (* ? [ ] \) escaped, followed
// by '*': matches exactly the keys that start with key_prefix.
std::string ScanPatternForPrefix(const std::string& key_prefix);

}  // namespace gryadka::acceptor
