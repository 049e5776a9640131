#include "acceptor_adapter/redis_acceptor.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_reply.h"
#include "acceptor_adapter/redis_scripts.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;

constexpr size_t kShaHexBytes = 40;  // SCRIPT LOAD answers the SHA1 of the script in hex

timeval MillisToTimeval(int64_t ms) {
  ms = std::max<int64_t>(ms, 0);
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

timeval UntilToTimeval(std::chrono::steady_clock::time_point deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  if (us <= 0) return timeval{0, 0};
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

void* SeqToPrivdata(uint64_t seq) { return reinterpret_cast<void*>(static_cast<uintptr_t>(seq)); }

// Queues `args` (std::string or std::string_view elements; binary-safe) as one command on `ac`.
// Returns hiredis's REDIS_OK or REDIS_ERR.
template <typename Strings>
int QueueArgv(redisAsyncContext* ac, redisCallbackFn* callback, void* privdata,
              const Strings& args) {
  std::vector<const char*> argv(args.size());
  std::vector<size_t> argvlen(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    argvlen[i] = args[i].size();
  }
  return redisAsyncCommandArgv(ac, callback, privdata, static_cast<int>(args.size()), argv.data(),
                               argvlen.data());
}
uint64_t PrivdataToSeq(void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// Ties a hiredis connection to the libevent loop. hiredis 0.14's own adapter
// (hiredis/adapters/libevent.h) re-adds its one-shot read event after every reply and adds and
// deletes the write event around every write: about four epoll_ctl calls and an extra loop turn
// per batch. Here both events are persistent and each remembers whether it is added, so a busy
// connection makes no epoll_ctl call: the read event stays registered, and FlushUnsent writes
// directly at the end of the turn (WriteNow); the write event is only used while connecting
// and when the socket takes part of the output.
struct LoopEvents {
  redisAsyncContext* ac;
  event* read = nullptr;
  event* write = nullptr;
  bool reading = false;
  bool writing = false;  // hiredis has output to write (or a connect to finish)
};

void OnReadable(int /*fd*/, short /*what*/, void* arg) {
  redisAsyncHandleRead(static_cast<LoopEvents*>(arg)->ac);
}
void OnWritable(int /*fd*/, short /*what*/, void* arg) {
  redisAsyncHandleWrite(static_cast<LoopEvents*>(arg)->ac);
}
// Adds or deletes `ev` when `*added` is not already `want`.
void SetAdded(event* ev, bool* added, bool want) {
  if (*added != want) {
    if (want) {
      event_add(ev, nullptr);
    } else {
      event_del(ev);
    }
  }
  *added = want;
}
void AddRead(void* arg) {
  auto* e = static_cast<LoopEvents*>(arg);
  SetAdded(e->read, &e->reading, true);
}
void DelRead(void* arg) {
  auto* e = static_cast<LoopEvents*>(arg);
  SetAdded(e->read, &e->reading, false);
}
void AddWrite(void* arg) {
  auto* e = static_cast<LoopEvents*>(arg);
  SetAdded(e->write, &e->writing, true);
}
void DelWrite(void* arg) {
  auto* e = static_cast<LoopEvents*>(arg);
  SetAdded(e->write, &e->writing, false);
}
void CleanupEvents(void* arg) {
  auto* e = static_cast<LoopEvents*>(arg);
  event_free(e->read);
  event_free(e->write);
  delete e;
}

void AttachToLoop(redisAsyncContext* ac, event_base* base) {
  auto* e = new LoopEvents{ac};
  e->read = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, &OnReadable, e);
  e->write = event_new(base, ac->c.fd, EV_WRITE | EV_PERSIST, &OnWritable, e);
  ac->ev.addRead = &AddRead;
  ac->ev.delRead = &DelRead;
  ac->ev.addWrite = &AddWrite;
  ac->ev.delWrite = &DelWrite;
  ac->ev.cleanup = &CleanupEvents;
  ac->ev.data = e;
  AddRead(e);
  AddWrite(e);  // writable = the non-blocking connect finished
}

// Writes what hiredis has buffered on the connected `ac` now instead of on the next turn's
// write event. hiredis keeps the write event armed if the socket takes only part of it, and
// on a write error drops the connection as from the event (DisconnectCallback).
void WriteNow(redisAsyncContext* ac) {
  if ((ac->c.flags & REDIS_CONNECTED) != 0 && static_cast<LoopEvents*>(ac->ev.data)->writing) {
    redisAsyncHandleWrite(ac);
  }
}

std::string_view ScriptBody(int index) {
  return index == 0 ? PrepareScript() : index == 1 ? AcceptScript() : BatchScript();
}

}  // namespace

event_base* NewRedisEventBase() {
  event_config* config = event_config_new();
  if (config == nullptr) return nullptr;
  event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  event_base* base = event_base_new_with_config(config);
  event_config_free(config);
  return base;
}

void RedisAcceptor::EventDeleter::operator()(event* ev) const { event_free(ev); }

template <void (RedisAcceptor::*kMethod)()>
void RedisAcceptor::EventCallback(int /*fd*/, short /*what*/, void* arg) {
  (static_cast<RedisAcceptor*>(arg)->*kMethod)();
}

RedisAcceptor::RedisAcceptor(event_base* base, std::string host, int port,
                             RedisAcceptorOptions options, core::AcceptorId id, ReplySink sink)
    : base_(base),
      host_(std::move(host)),
      port_(port),
      options_(std::move(options)),
      id_(id),
      sink_(std::move(sink)),
      describe_(absl::StrCat("redis ", host_, ":", port_)),
      backoff_ms_(options_.reconnect_backoff_min_ms) {
  call_timer_.reset(evtimer_new(base_, &EventCallback<&RedisAcceptor::ExpireCalls>, this));
  ping_timeout_timer_.reset(
      evtimer_new(base_, &EventCallback<&RedisAcceptor::OnPingTimeout>, this));
  reconnect_timer_.reset(evtimer_new(base_, &EventCallback<&RedisAcceptor::Connect>, this));
  deferred_event_.reset(
      event_new(base_, -1, 0, &EventCallback<&RedisAcceptor::FlushDeferred>, this));
  flush_event_.reset(event_new(base_, -1, 0, &EventCallback<&RedisAcceptor::FlushUnsent>, this));
  ping_timer_.reset(
      event_new(base_, -1, EV_PERSIST, &EventCallback<&RedisAcceptor::SendPing>, this));
  const timeval every = MillisToTimeval(options_.health_ping_interval_ms);
  event_add(ping_timer_.get(), &every);
  Connect();
}

RedisAcceptor::~RedisAcceptor() {
  closing_ = true;
  if (ctx_ != nullptr) {
    redisAsyncContext* ac = ctx_;
    ctx_ = nullptr;
    redisAsyncFree(ac);  // runs the pending callbacks with NULL replies; they see closing_
  }
}

// ---- Sending ---------------------------------------------------------------------------------

void RedisAcceptor::Send(const AcceptorRequest& request) {
  if (inflight_.size() >= options_.inflight_max) {
    Defer(NotSentReply(request, absl::StrCat("too many requests in flight to ", describe_,
                                           " (inflight_max ", options_.inflight_max, ")")));
    return;
  }
  if (ctx_ == nullptr) {
    Defer(NotSentReply(request, absl::StrCat(describe_, " is not connected: ", last_error_)));
    return;
  }
  const uint64_t seq = next_seq_++;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(options_.call_timeout_ms);
  auto it = inflight_.emplace(seq, Call{.request = request, .deadline = deadline}).first;
  if (options_.batch_calls_max > 1) {
    unsent_.push_back(seq);
    if (!flush_armed_) {
      flush_armed_ = true;
      event_active(flush_event_.get(), EV_TIMEOUT, 0);
    }
    ArmCallTimer();
    return;
  }
  if (!Issue(seq, it->second)) {
    inflight_.erase(it);
    Defer(NotSentReply(request, absl::StrCat("cannot send to ", describe_, ": ",
                                           ConnectionError(ctx_))));
    return;
  }
  ArmCallTimer();
}

// Queues EVALSHA (EVAL with the script body until the first SCRIPT LOAD answered) on ctx_.
// hiredis only buffers here; the event loop writes everything queued in this turn at once.
bool RedisAcceptor::Issue(uint64_t seq, Call& call) {
  const AcceptorRequest& r = call.request;
  const bool prepare = r.kind == AcceptorRequest::Kind::kPrepare;
  const int script = prepare ? kPrepareScript : kAcceptScript;
  const std::string& sha = script_sha_[script];
  const std::string key = options_.key_prefix + r.key;
  const std::string ballot = r.ballot.Encode();
  const std::string next = r.next.Encode();
  const std::string epoch = EncodeEpoch(r.epoch);
  // prepare: 2 <key> <meta> <ballot> <epoch>; accept: 2 <key> <meta> <ballot> <value> <next>
  // <epoch> (lua/prepare.lua, lua/accept.lua). The meta key is exactly the key prefix.
  constexpr int kArgsMax = 9;
  std::string_view args[kArgsMax] = {sha.empty() ? "EVAL" : "EVALSHA",
                                     sha.empty() ? ScriptBody(script) : sha,
                                     "2", key, options_.key_prefix, ballot};
  int argc = 6;
  if (!prepare) {
    args[argc++] = r.value;
    args[argc++] = next;
  }
  args[argc++] = epoch;
  const char* argv[kArgsMax];
  size_t argvlen[kArgsMax];
  for (int i = 0; i < argc; ++i) {
    argv[i] = args[i].data();
    argvlen[i] = args[i].size();
  }
  if (redisAsyncCommandArgv(ctx_, &CallReplyCallback, SeqToPrivdata(seq), argc, argv, argvlen) !=
      REDIS_OK) {
    return false;
  }
  call.issue_order = ++issue_counter_;
  return true;
}

// Sends the calls of this loop turn: runs of up to batch_calls_max calls as one batch script
// call each, a lone call as its single-key script.
void RedisAcceptor::FlushUnsent() {
  flush_armed_ = false;
  std::vector<uint64_t> seqs;
  seqs.swap(unsent_);
  std::erase_if(seqs, [this](uint64_t seq) { return !inflight_.contains(seq); });  // timed out
  size_t i = 0;
  while (i < seqs.size()) {
    const size_t n = std::min(options_.batch_calls_max, seqs.size() - i);
    bool sent = false;
    if (ctx_ != nullptr && n == 1) {
      sent = Issue(seqs[i], inflight_.at(seqs[i]));
    } else if (ctx_ != nullptr) {
      const uint64_t batch_id = next_batch_id_++;
      Batch& batch = batches_[batch_id];
      batch.seqs.assign(seqs.begin() + i, seqs.begin() + i + n);
      sent = IssueBatch(batch_id, batch);
      if (!sent) batches_.erase(batch_id);
    }
    if (!sent) {
      const std::string why = ctx_ == nullptr ? absl::StrCat(describe_, " is not connected: ", last_error_)
                                              : absl::StrCat("cannot send to ", describe_, ": ",
                                                             ConnectionError(ctx_));
      for (size_t k = i; k < i + n; ++k) {
        auto it = inflight_.find(seqs[k]);
        if (it != inflight_.end()) Complete(it, NotSentReply(it->second.request, why));
      }
    }
    i += n;
  }
  if (ctx_ != nullptr) WriteNow(ctx_);
}

// Queues one EVALSHA of the batch script for the calls of `batch` still waiting.
bool RedisAcceptor::IssueBatch(uint64_t batch_id, Batch& batch) {
  std::erase_if(batch.seqs, [this](uint64_t seq) { return !inflight_.contains(seq); });
  if (batch.seqs.empty()) return true;
  const std::string& sha = script_sha_[kBatchScript];
  const size_t n = batch.seqs.size();
  std::deque<std::string> owned;  // prefixed keys and encoded ballots; stable addresses
  std::vector<std::string_view> args = {sha.empty() ? "EVAL" : "EVALSHA",
                                        sha.empty() ? ScriptBody(kBatchScript) : sha};
  // n+1 <key1..keyn> <meta>, then per call: kind, ballot, value, next, epoch (lua/batch.lua).
  args.reserve(2 + 1 + n + 1 + 5 * n);
  args.push_back(owned.emplace_back(absl::StrCat(n + 1)));
  for (uint64_t seq : batch.seqs) {
    args.push_back(owned.emplace_back(options_.key_prefix + inflight_.at(seq).request.key));
  }
  args.push_back(options_.key_prefix);
  for (uint64_t seq : batch.seqs) {
    const AcceptorRequest& r = inflight_.at(seq).request;
    const bool prepare = r.kind == AcceptorRequest::Kind::kPrepare;
    args.push_back(prepare ? "p" : "a");
    args.push_back(owned.emplace_back(r.ballot.Encode()));
    args.push_back(prepare ? std::string_view() : std::string_view(r.value));
    args.push_back(owned.emplace_back(r.next.Encode()));
    args.push_back(owned.emplace_back(EncodeEpoch(r.epoch)));
  }
  if (QueueArgv(ctx_, &BatchReplyCallback, SeqToPrivdata(batch_id), args) != REDIS_OK) {
    return false;
  }
  batch.issue_order = ++issue_counter_;
  for (uint64_t seq : batch.seqs) inflight_.at(seq).issue_order = batch.issue_order;
  return true;
}

void RedisAcceptor::LoadScripts() {
  for (int i = 0; i < kScriptCount; ++i) {
    const std::string_view body = ScriptBody(i);
    const char* argv[3] = {"SCRIPT", "LOAD", body.data()};
    const size_t argvlen[3] = {6, 4, body.size()};
    void* privdata = reinterpret_cast<void*>(static_cast<uintptr_t>(i));
    if (redisAsyncCommandArgv(ctx_, &ScriptLoadReplyCallback, privdata, 3, argv, argvlen) ==
        REDIS_OK) {
      last_script_load_order_ = ++issue_counter_;
    }
  }
}

// Queues AUTH on ctx_. False: it could not, and the connection was dropped.
bool RedisAcceptor::SendAuth(const RedisCredentials& credentials) {
  if (QueueArgv(ctx_, &AuthReplyCallback, nullptr, AuthArgv(credentials)) != REDIS_OK) {
    DropConnection(absl::StrCat("cannot send AUTH to ", describe_, ": ", ConnectionError(ctx_)));
    return false;
  }
  ++issue_counter_;
  return true;
}

void RedisAcceptor::SendPing() {
  if (ctx_ == nullptr || ping_outstanding_) return;
  if (redisAsyncCommand(ctx_, &PingReplyCallback, nullptr, "PING") != REDIS_OK) return;
  ping_outstanding_ = true;
  const timeval limit = MillisToTimeval(options_.call_timeout_ms);
  event_add(ping_timeout_timer_.get(), &limit);
}

// ---- Connection lifecycle --------------------------------------------------------------------

void RedisAcceptor::Connect() {
  absl::StatusOr<std::optional<RedisCredentials>> credentials = options_.credentials.Load();
  if (!credentials.ok()) {  // no connection without the password
    AuthFailed(absl::StrCat(describe_, ": ", credentials.status().message()));
    ScheduleReconnect();
    return;
  }
  redisAsyncContext* ac = redisAsyncConnect(host_.c_str(), port_);
  if (ac == nullptr || ac->err != 0) {
    last_error_ = ac == nullptr ? "cannot allocate a hiredis context" : ac->errstr;
    health_known_ = true;
    if (ac != nullptr) redisAsyncFree(ac);
    ScheduleReconnect();
    return;
  }
  ac->data = this;
  BoundReplyArrays(ac->c.reader);
  AttachToLoop(ac, base_);
  redisAsyncSetConnectCallback(ac, &ConnectCallback);
  redisAsyncSetDisconnectCallback(ac, &DisconnectCallback);
  ctx_ = ac;
  // AUTH first; the scripts are queued before any call on this connection, so EVALSHA finds
  // them.
  if (*credentials && !SendAuth(**credentials)) return;
  LoadScripts();
  SendPing();
}

// Forgets `ac` (which hiredis or DropConnection is about to free) if it is the live connection.
void RedisAcceptor::Detach(const redisAsyncContext* ac, std::string reason) {
  if (ac == nullptr || ac != ctx_) return;
  ctx_ = nullptr;
  last_error_ = std::move(reason);
  healthy_ = false;
  health_known_ = true;
  ping_outstanding_ = false;
  event_del(ping_timeout_timer_.get());
  ScheduleReconnect();
}

void RedisAcceptor::DropConnection(std::string reason) {
  redisAsyncContext* ac = ctx_;
  if (ac == nullptr) return;
  Detach(ac, std::move(reason));
  redisAsyncFree(ac);  // outstanding calls fail now, with last_error_
}

void RedisAcceptor::ScheduleReconnect() {
  const timeval delay = MillisToTimeval(backoff_ms_);
  event_add(reconnect_timer_.get(), &delay);
  backoff_ms_ = std::min(std::max<int64_t>(backoff_ms_ * 2, 1), options_.reconnect_backoff_max_ms);
}

std::string RedisAcceptor::ConnectionError(const redisAsyncContext* ac) const {
  if (ac != nullptr && ac->c.err != 0) return ac->c.errstr;
  return last_error_;
}

// ---- Replies ---------------------------------------------------------------------------------

void RedisAcceptor::OnCallReply(redisAsyncContext* ac, void* r, uint64_t seq) {
  auto it = inflight_.find(seq);
  if (it == inflight_.end()) return;  // already timed out: the late reply is ignored
  Call& call = it->second;
  if (r == nullptr) {
    const std::string reason = ConnectionError(ac);
    Detach(ac, reason);
    Complete(it, ErrorReply(call.request,
                            absl::StrCat("connection to ", describe_, " lost: ", reason)));
    return;
  }
  const redisReply& reply = *static_cast<const redisReply*>(r);
  if (IsNoScriptError(reply) && !call.resent && ac == ctx_) {
    call.resent = true;
    // Reload unless a SCRIPT LOAD already sits between this call and its re-send.
    if (call.issue_order > last_script_load_order_) LoadScripts();
    if (Issue(seq, call)) return;
  }
  const std::string key = options_.key_prefix + call.request.key;
  AcceptorReply out = ErrorReply(call.request, "");
  ParseScriptReply(reply, ScriptCallContext{call.request.kind, key, describe_}, &out);
  Complete(it, std::move(out));
}

void RedisAcceptor::OnBatchReply(redisAsyncContext* ac, void* r, uint64_t batch_id) {
  auto bit = batches_.find(batch_id);
  if (bit == batches_.end()) return;
  if (r == nullptr) {
    const std::vector<uint64_t> seqs = std::move(bit->second.seqs);
    batches_.erase(bit);
    const std::string reason = ConnectionError(ac);
    Detach(ac, reason);
    for (uint64_t seq : seqs) {
      auto it = inflight_.find(seq);
      if (it == inflight_.end()) continue;
      Complete(it, ErrorReply(it->second.request,
                              absl::StrCat("connection to ", describe_, " lost: ", reason)));
    }
    return;
  }
  const redisReply& reply = *static_cast<const redisReply*>(r);
  Batch& batch = bit->second;
  if (IsNoScriptError(reply) && !batch.resent && ac == ctx_) {
    batch.resent = true;
    if (batch.issue_order > last_script_load_order_) LoadScripts();
    if (IssueBatch(batch_id, batch)) return;
  }
  const std::vector<uint64_t> seqs = std::move(batch.seqs);
  batches_.erase(bit);
  for (size_t i = 0; i < seqs.size(); ++i) {
    auto it = inflight_.find(seqs[i]);
    if (it == inflight_.end()) continue;  // timed out: its part of the reply is ignored
    const Call& call = it->second;
    const std::string key = options_.key_prefix + call.request.key;
    AcceptorReply out = ErrorReply(call.request, "");
    ParseScriptReply(BatchCallReply(reply, seqs.size(), i),
                     ScriptCallContext{call.request.kind, key, describe_}, &out);
    Complete(it, std::move(out));
  }
}

void RedisAcceptor::OnPingReply(redisAsyncContext* ac, void* r) {
  if (ac != ctx_ || r == nullptr) return;
  ping_outstanding_ = false;
  event_del(ping_timeout_timer_.get());
  const redisReply& reply = *static_cast<const redisReply*>(r);
  if (reply.type == REDIS_REPLY_ERROR) {  // e.g. LOADING while Redis replays its AOF
    healthy_ = false;
    health_known_ = true;
    last_error_ = std::string(reply.str, reply.len);
    return;
  }
  healthy_ = true;
  backoff_ms_ = options_.reconnect_backoff_min_ms;
}

void RedisAcceptor::OnPingTimeout() {
  DropConnection(absl::StrCat("no answer to PING within ", options_.call_timeout_ms,
                              " ms (server paused or overloaded?)"));
}

void RedisAcceptor::OnScriptLoadReply(redisAsyncContext* ac, void* r, ScriptIndex index) {
  if (r == nullptr) return;
  const redisReply& reply = *static_cast<const redisReply*>(r);
  // A failed load (e.g. LOADING) leaves the old SHA: a call then meets NOSCRIPT and reloads.
  if (reply.type == REDIS_REPLY_STRING && reply.len == kShaHexBytes) {
    script_sha_[index].assign(reply.str, reply.len);
  }
}

void RedisAcceptor::OnAuthReply(redisAsyncContext* ac, void* r) {
  if (ac != ctx_ || r == nullptr) return;  // a lost connection is handled by the other replies
  const redisReply& reply = *static_cast<const redisReply*>(r);
  if (reply.type != REDIS_REPLY_ERROR) return;  // +OK: the PING queued after AUTH sets healthy
  // The rest of this connection's commands would fail with NOAUTH: drop it (hiredis frees it
  // once this callback returns) and reconnect, loading the password again.
  const std::string reason = absl::StrCat(describe_, ": authentication failed: ",
                                          RedisAuthErrorText(reply.str, reply.len));
  AuthFailed(reason);
  DropConnection(reason);
}

void RedisAcceptor::AuthFailed(std::string reason) {
  healthy_ = false;
  health_known_ = true;
  last_error_ = reason;
  if (options_.on_auth_error) options_.on_auth_error(reason);
}

void RedisAcceptor::ExpireCalls() {
  const Clock::time_point now = Clock::now();
  std::vector<AcceptorReply> expired;
  while (!inflight_.empty() && inflight_.begin()->second.deadline <= now) {
    expired.push_back(ErrorReply(inflight_.begin()->second.request,
                                 absl::StrCat("timeout after ", options_.call_timeout_ms,
                                              " ms waiting for ", describe_)));
    inflight_.erase(inflight_.begin());
  }
  ArmCallTimer();
  for (const AcceptorReply& reply : expired) sink_(reply);
}

void RedisAcceptor::ArmCallTimer() {
  if (inflight_.empty() || evtimer_pending(call_timer_.get(), nullptr)) return;
  const timeval delay = UntilToTimeval(inflight_.begin()->second.deadline);
  evtimer_add(call_timer_.get(), &delay);
}

void RedisAcceptor::Complete(std::map<uint64_t, Call>::iterator it, AcceptorReply reply) {
  inflight_.erase(it);
  sink_(reply);
}

void RedisAcceptor::Defer(AcceptorReply reply) {
  deferred_.push_back(std::move(reply));
  if (deferred_armed_) return;
  deferred_armed_ = true;
  event_active(deferred_event_.get(), EV_TIMEOUT, 0);
}

void RedisAcceptor::FlushDeferred() {
  deferred_armed_ = false;
  std::vector<AcceptorReply> batch;
  batch.swap(deferred_);
  for (const AcceptorReply& reply : batch) sink_(reply);
}

AcceptorReply RedisAcceptor::NotSentReply(const AcceptorRequest& request, std::string error) const {
  AcceptorReply r = ErrorReply(request, std::move(error));
  r.maybe_applied = false;  // it never left this process
  return r;
}

AcceptorReply RedisAcceptor::ErrorReply(const AcceptorRequest& request, std::string error) const {
  AcceptorReply r;
  r.acceptor = id_;
  r.msg_id = request.msg_id;
  r.status = AcceptorReply::Status::kError;
  r.error = std::move(error);
  return r;
}

// ---- C callbacks -----------------------------------------------------------------------------

namespace {
RedisAcceptor* Owner(const redisAsyncContext* ac) { return static_cast<RedisAcceptor*>(ac->data); }
}  // namespace

void RedisAcceptor::ConnectCallback(const redisAsyncContext* ac, int status) {
  RedisAcceptor* self = Owner(ac);
  if (self->closing_ || status == REDIS_OK) return;  // healthy once the first PING answers
  self->Detach(ac, self->ConnectionError(ac));      // hiredis frees ac after this returns
}

void RedisAcceptor::DisconnectCallback(const redisAsyncContext* ac, int status) {
  RedisAcceptor* self = Owner(ac);
  if (self->closing_) return;
  self->Detach(ac, status == REDIS_OK ? std::string("disconnected") : self->ConnectionError(ac));
}

void RedisAcceptor::CallReplyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  RedisAcceptor* self = Owner(ac);
  if (!self->closing_) self->OnCallReply(ac, reply, PrivdataToSeq(privdata));
}

void RedisAcceptor::BatchReplyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  RedisAcceptor* self = Owner(ac);
  if (!self->closing_) self->OnBatchReply(ac, reply, PrivdataToSeq(privdata));
}

void RedisAcceptor::PingReplyCallback(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  RedisAcceptor* self = Owner(ac);
  if (!self->closing_) self->OnPingReply(ac, reply);
}

void RedisAcceptor::AuthReplyCallback(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  RedisAcceptor* self = Owner(ac);
  if (!self->closing_) self->OnAuthReply(ac, reply);
}

void RedisAcceptor::ScriptLoadReplyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  RedisAcceptor* self = Owner(ac);
  const auto index = static_cast<ScriptIndex>(reinterpret_cast<uintptr_t>(privdata));
  if (!self->closing_) self->OnScriptLoadReply(ac, reply, index);
}

}  // namespace gryadka::acceptor
