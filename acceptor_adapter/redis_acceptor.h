// RedisAcceptor: the production Acceptor. One Redis server, one async hiredis connection, driven
// by a libevent event_base.
//
// Contract (see acceptor.h): every Send() gets exactly one sink call, never from inside Send()
// itself (immediate answers are deferred to a zero-delay event). The register of key K is one
// Redis HASH at options.key_prefix + K (p = promised, a = accepted ballot, v = value); prepare
// and accept run as Lua scripts (lua/*.lua) with exactly the semantics of
// proposer/core/messages.h, persisted before the reply when Redis runs with
// `--appendonly yes --appendfsync always`. Every call carries its request's epoch; the scripts
// refuse one below the minimum epoch of the meta record (the HASH at exactly key_prefix) with
// kFenced (fence_epoch, fence_config), before reading or writing the register.
//
//   - With credentials (options.credentials, redis_auth.h), AUTH is the first command on every
//     connection, the password loaded anew for each (a rotated password file is picked up). A
//     refused AUTH (WRONGPASS, or ERR when Redis has no password) or an unreadable password
//     file leaves the acceptor unhealthy, reports the reason (acceptor and Redis's error text,
//     never the password) to options.on_auth_error, drops the connection and reconnects with
//     the backoff below.
//   - Scripts are SCRIPT LOADed on every (re)connect; a NOSCRIPT reply (e.g. after SCRIPT
//     FLUSH) reloads them and re-sends that call, once, so callers never see NOSCRIPT.
//   - Every call times out after call_timeout_ms -> kError; a late reply is ignored.
//   - Disconnected -> kError at once (deferred) with the last connection error; reconnects with
//     exponential backoff in [reconnect_backoff_min_ms, reconnect_backoff_max_ms].
//   - A PING every health_ping_interval_ms; no answer within call_timeout_ms (e.g. a SIGSTOPped
//     Redis) -> unhealthy, the connection is dropped (its calls fail with kError) and re-made.
//   - HealthKnown() is false until the first PING answers or the first connection attempt,
//     AUTH or PING fails (at most call_timeout_ms after the first connect: the PING is queued
//     with the connection); HealthError() is then the reason it is not healthy.
//   - Calls sent in one loop turn leave together at the end of the turn: up to batch_calls_max
//     of them in one run of the batch script (a lone call: the single-key script), all in one
//     write. A call's timeout covers its time in the batch.
//   - At most inflight_max calls wait on the connection; beyond that Send answers kError.
//   - A key holding something that is not a register -> kInvalidState naming key and cause.
//
// Thread-safety: none. Construct, call, and destroy on the thread running `base`. REQUIRES:
// SIGPIPE is ignored in the process (hiredis 0.14 writes with write(2)); `host` is an IP address
// or a name that resolves without blocking (hiredis resolves synchronously). Destroying the
// acceptor drops its outstanding calls without calling the sink; it must not be destroyed from
// inside its own sink.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "acceptor_adapter/acceptor.h"
#include "acceptor_adapter/redis_auth.h"
#include "proposer/core/messages.h"

struct event;
struct event_base;
struct redisAsyncContext;

namespace gryadka::acceptor {

// REQUIRES: every bound > 0, reconnect_backoff_min_ms <= reconnect_backoff_max_ms.
struct RedisAcceptorOptions {
  std::string key_prefix = "gryadka:";
  int64_t call_timeout_ms = 500;             // per call, and the PING deadline
  int64_t reconnect_backoff_min_ms = 10;     // first retry after a failed/lost connection
  int64_t reconnect_backoff_max_ms = 1000;   // doubling stops here
  int64_t health_ping_interval_ms = 500;     // PING period while connected
  size_t inflight_max = 65536;               // calls awaiting a Redis reply on the connection
  // Calls sent in one loop turn run as ONE script call (the batch script) of at most this many
  // calls; a lone call runs as the single-key script. 1 = every call its own EVALSHA
  // (pipelined). See docs/performance.md for the measurement behind the default.
  size_t batch_calls_max = 64;
  // AUTH sent first on every connection; default: none.
  RedisCredentialSource credentials;
  // Called (on the loop thread) when authentication fails, with a message naming the acceptor
  // and the cause; at most once per failed connection attempt. May be empty.
  std::function<void(const std::string& message)> on_auth_error;
};

// A libevent base to run RedisAcceptors on: epoll changes are collected per loop turn
// (EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST), so an event added and deleted within one turn costs
// no system call. Free it with event_base_free(). Null if libevent cannot make one.
event_base* NewRedisEventBase();

class RedisAcceptor final : public Acceptor {
 public:
  // Starts connecting at once. `sink` receives every reply (acceptor = `id`).
  RedisAcceptor(event_base* base, std::string host, int port, RedisAcceptorOptions options,
                core::AcceptorId id, ReplySink sink);
  ~RedisAcceptor() override;
  RedisAcceptor(const RedisAcceptor&) = delete;
  RedisAcceptor& operator=(const RedisAcceptor&) = delete;

  void Send(const core::AcceptorRequest& request) override;
  bool Healthy() const override { return healthy_; }
  bool HealthKnown() const override { return healthy_ || health_known_; }
  std::string HealthError() const override { return healthy_ ? "" : last_error_; }
  std::string Describe() const override { return describe_; }

  // Calls sent to Redis and not yet answered or timed out (for metrics and tests).
  size_t inflight() const { return inflight_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct EventDeleter {
    void operator()(event* ev) const;
  };
  using EventPtr = std::unique_ptr<event, EventDeleter>;
  struct Call {
    core::AcceptorRequest request;
    Clock::time_point deadline;
    uint64_t issue_order = 0;  // position of its latest EVAL/EVALSHA in the command stream
    bool resent = false;       // re-sent once after NOSCRIPT
  };
  // Calls issued together as one run of the batch script.
  struct Batch {
    std::vector<uint64_t> seqs;
    uint64_t issue_order = 0;
    bool resent = false;
  };
  enum ScriptIndex { kPrepareScript = 0, kAcceptScript = 1, kBatchScript = 2, kScriptCount = 3 };

  // Connection lifecycle.
  void Connect();
  void Detach(const redisAsyncContext* ac, std::string reason);
  void DropConnection(std::string reason);
  void ScheduleReconnect();
  std::string ConnectionError(const redisAsyncContext* ac) const;

  // Commands.
  bool Issue(uint64_t seq, Call& call);
  bool IssueBatch(uint64_t batch_id, Batch& batch);
  void FlushUnsent();
  void LoadScripts();
  bool SendAuth(const RedisCredentials& credentials);
  void SendPing();
  void OnPingTimeout();

  // Replies and timers.
  void OnCallReply(redisAsyncContext* ac, void* reply, uint64_t seq);
  void OnBatchReply(redisAsyncContext* ac, void* reply, uint64_t batch_id);
  void OnPingReply(redisAsyncContext* ac, void* reply);
  void OnScriptLoadReply(redisAsyncContext* ac, void* reply, ScriptIndex index);
  void OnAuthReply(redisAsyncContext* ac, void* reply);
  void AuthFailed(std::string reason);
  void ExpireCalls();
  void ArmCallTimer();
  void Complete(std::map<uint64_t, Call>::iterator it, core::AcceptorReply reply);
  void Defer(core::AcceptorReply reply);
  void FlushDeferred();
  core::AcceptorReply ErrorReply(const core::AcceptorRequest& request, std::string error) const;
  // kError for a request that was never written to the connection (maybe_applied = false).
  core::AcceptorReply NotSentReply(const core::AcceptorRequest& request, std::string error) const;

  // C callbacks (hiredis and libevent) forwarding to the members above.
  static void ConnectCallback(const redisAsyncContext* ac, int status);
  static void DisconnectCallback(const redisAsyncContext* ac, int status);
  static void CallReplyCallback(redisAsyncContext* ac, void* reply, void* privdata);
  static void BatchReplyCallback(redisAsyncContext* ac, void* reply, void* privdata);
  static void PingReplyCallback(redisAsyncContext* ac, void* reply, void* privdata);
  static void ScriptLoadReplyCallback(redisAsyncContext* ac, void* reply, void* privdata);
  static void AuthReplyCallback(redisAsyncContext* ac, void* reply, void* privdata);
  template <void (RedisAcceptor::*kMethod)()>
  static void EventCallback(int fd, short what, void* arg);

  event_base* const base_;
  const std::string host_;
  const int port_;
  const RedisAcceptorOptions options_;
  const core::AcceptorId id_;
  const ReplySink sink_;
  const std::string describe_;

  redisAsyncContext* ctx_ = nullptr;  // null while disconnected (waiting to reconnect)
  std::string last_error_ = "not connected yet";
  bool healthy_ = false;
  bool health_known_ = false;  // a connection attempt or health check has failed at least once
  bool ping_outstanding_ = false;
  bool closing_ = false;  // set by the destructor: callbacks no longer reach the sink
  int64_t backoff_ms_;
  std::string script_sha_[kScriptCount];  // empty until the first SCRIPT LOAD answers
  uint64_t issue_counter_ = 0;            // commands issued on any connection
  uint64_t last_script_load_order_ = 0;   // issue_counter_ of the latest SCRIPT LOAD

  uint64_t next_seq_ = 1;
  std::map<uint64_t, Call> inflight_;  // by seq == by deadline (one timeout for all calls)
  std::vector<core::AcceptorReply> deferred_;
  bool deferred_armed_ = false;
  std::vector<uint64_t> unsent_;  // calls of this loop turn, waiting for FlushUnsent
  bool flush_armed_ = false;
  std::map<uint64_t, Batch> batches_;  // issued batches by id
  uint64_t next_batch_id_ = 1;

  EventPtr call_timer_;          // fires at the earliest call deadline
  EventPtr ping_timer_;          // persistent, every health_ping_interval_ms
  EventPtr ping_timeout_timer_;  // armed while a PING is outstanding
  EventPtr reconnect_timer_;
  EventPtr deferred_event_;      // activated (zero delay) while deferred_ is non-empty
  EventPtr flush_event_;         // activated (zero delay) while unsent_ is non-empty
};

}  // namespace gryadka::acceptor
