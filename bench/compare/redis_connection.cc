// The Redis client of connections.h: hiredis async on a libevent base of its own.
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/compare/connections.h"

namespace gryadka::bench::compare {
namespace {

class RedisConnection : public Connection {
 public:
  RedisConnection(int port, int slots)
      : base_(event_base_new()), slots_(static_cast<size_t>(slots)) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].connection = this;
      slots_[i].index = static_cast<int>(i);
      slots_[i].timer = evtimer_new(base_, &RedisConnection::OnTimer, &slots_[i]);
    }
    ac_ = redisAsyncConnect("127.0.0.1", port);
    if (ac_ == nullptr || ac_->err != 0) {
      lost_ = ac_ == nullptr ? "cannot allocate a hiredis context" : ac_->errstr;
      if (ac_ != nullptr) redisAsyncFree(ac_);
      ac_ = nullptr;
      return;
    }
    ac_->data = this;
    redisLibeventAttach(ac_, base_);
    redisAsyncSetConnectCallback(ac_, &RedisConnection::OnConnect);
    redisAsyncSetDisconnectCallback(ac_, &RedisConnection::OnDisconnect);
  }

  ~RedisConnection() override {
    if (ac_ != nullptr) redisAsyncFree(ac_);
    for (Slot& s : slots_) event_free(s.timer);
    event_base_free(base_);
  }

  void Begin(int slot, Op op, const std::string& key) override {
    Slot& s = slots_[static_cast<size_t>(slot)];
    if (ac_ == nullptr) {  // report the failure from the loop, not from inside Begin
      s.failed = true;
      return Arm(s, 0);
    }
    switch (op) {
      case Op::kIncrement:
        redisAsyncCommand(ac_, &RedisConnection::OnReply, &s, "INCR %b", key.data(), key.size());
        break;
      case Op::kRead:
        redisAsyncCommand(ac_, &RedisConnection::OnReply, &s, "GET %b", key.data(), key.size());
        break;
      case Op::kPrefill:
        redisAsyncCommand(ac_, &RedisConnection::OnReply, &s, "SET %b 0", key.data(), key.size());
        break;
    }
  }

  void Backoff(int slot, int64_t ms) override { Arm(slots_[static_cast<size_t>(slot)], ms); }

  void Run() override { event_base_dispatch(base_); }

  void Shutdown() override {
    if (ac_ != nullptr) {
      redisAsyncContext* ac = ac_;
      ac_ = nullptr;  // hiredis frees it once disconnected
      redisAsyncDisconnect(ac);
    }
  }

 private:
  struct Slot {
    RedisConnection* connection = nullptr;
    int index = 0;
    event* timer = nullptr;
    bool failed = false;  // the timer reports a failure instead of a backoff
  };

  void Arm(Slot& s, int64_t ms) {
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    evtimer_add(s.timer, &tv);
  }

  void Lost(const char* why) {
    if (lost_.empty()) lost_ = why;
    ac_ = nullptr;  // hiredis frees it
  }

  static void OnTimer(evutil_socket_t, short, void* arg) {
    Slot& s = *static_cast<Slot*>(arg);
    RedisConnection& c = *s.connection;
    if (s.failed) {
      s.failed = false;
      const std::string why = "redis connection lost: " + c.lost_;
      return c.listener_->OnDone(s.index, false, why.c_str(), 0);
    }
    c.listener_->OnBackoffDone(s.index);
  }

  static void OnReply(redisAsyncContext* ac, void* reply, void* arg) {
    Slot& s = *static_cast<Slot*>(arg);
    RedisConnection& c = *s.connection;
    auto* r = static_cast<redisReply*>(reply);
    if (r == nullptr) {  // the context is going away: never touch it again
      c.Lost(ac->errstr[0] != '\0' ? ac->errstr : "disconnected");
      return c.listener_->OnDone(s.index, false, "redis connection lost", 0);
    }
    if (r->type == REDIS_REPLY_ERROR)
      return c.listener_->OnDone(s.index, false, "redis error reply", 0);
    c.listener_->OnDone(s.index, true, "", 0);
  }

  static void OnConnect(const redisAsyncContext* ac, int status) {
    if (status != REDIS_OK) static_cast<RedisConnection*>(ac->data)->Lost(ac->errstr);
  }

  static void OnDisconnect(const redisAsyncContext* ac, int status) {
    if (status != REDIS_OK) static_cast<RedisConnection*>(ac->data)->Lost(ac->errstr);
  }

  event_base* const base_;
  redisAsyncContext* ac_ = nullptr;
  std::string lost_;  // why the connection is gone
  std::vector<Slot> slots_;
};

}  // namespace

std::unique_ptr<Connection> NewRedisConnection(int port, int slots) {
  return std::make_unique<RedisConnection>(port, slots);
}

}  // namespace gryadka::bench::compare
