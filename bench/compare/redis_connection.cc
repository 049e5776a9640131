// The Redis clients of connections.h: hiredis async on a libevent base of their own, one TCP
// connection per server.
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

// An operation goes to `per_op` of the servers (all of them for a prefill), starting at a server
// that moves on by one per operation, and is done when every one of them has answered.
class RedisConnection : public Connection {
 public:
  RedisConnection(const std::vector<int>& ports, int per_op, int slots)
      : base_(event_base_new()),
        per_op_(per_op),
        links_(ports.size()),
        slots_(static_cast<size_t>(slots)) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].connection = this;
      slots_[i].index = static_cast<int>(i);
      slots_[i].timer = evtimer_new(base_, &RedisConnection::OnTimer, &slots_[i]);
    }
    for (size_t i = 0; i < ports.size(); ++i) {
      Link& l = links_[i];
      l.connection = this;
      redisAsyncContext* ac = redisAsyncConnect("127.0.0.1", ports[i]);
      if (ac == nullptr || ac->err != 0) {
        Lost(l, ac == nullptr ? "cannot allocate a hiredis context" : ac->errstr);
        if (ac != nullptr) redisAsyncFree(ac);
        continue;
      }
      l.ac = ac;
      ac->data = &l;
      redisLibeventAttach(ac, base_);
      redisAsyncSetConnectCallback(ac, &RedisConnection::OnConnect);
      redisAsyncSetDisconnectCallback(ac, &RedisConnection::OnDisconnect);
    }
  }

  ~RedisConnection() override {
    for (Link& l : links_) {
      if (l.ac != nullptr) redisAsyncFree(l.ac);
    }
    for (Slot& s : slots_) event_free(s.timer);
    event_base_free(base_);
  }

  void Begin(int slot, Op op, const std::string& key) override {
    Slot& s = slots_[static_cast<size_t>(slot)];
    const size_t n = op == Op::kPrefill ? links_.size() : static_cast<size_t>(per_op_);
    const size_t first = next_;
    next_ = (next_ + 1) % links_.size();
    for (size_t k = 0; k < n; ++k) {
      if (links_[(first + k) % links_.size()].ac == nullptr) {
        s.failed = true;  // report the failure from the loop, not from inside Begin
        return Arm(s, 0);
      }
    }
    s.pending = static_cast<int>(n);
    s.error = false;
    for (size_t k = 0; k < n; ++k) {
      redisAsyncContext* ac = links_[(first + k) % links_.size()].ac;
      switch (op) {
        case Op::kIncrement:
          redisAsyncCommand(ac, &RedisConnection::OnReply, &s, "INCR %b", key.data(), key.size());
          break;
        case Op::kRead:
          redisAsyncCommand(ac, &RedisConnection::OnReply, &s, "GET %b", key.data(), key.size());
          break;
        case Op::kPrefill:
          redisAsyncCommand(ac, &RedisConnection::OnReply, &s, "SET %b 0", key.data(), key.size());
          break;
      }
    }
  }

  void Backoff(int slot, int64_t ms) override { Arm(slots_[static_cast<size_t>(slot)], ms); }

  void Run() override { event_base_dispatch(base_); }

  void Shutdown() override {
    for (Link& l : links_) {
      if (l.ac != nullptr) {
        redisAsyncContext* ac = l.ac;
        l.ac = nullptr;  // hiredis frees it once disconnected
        redisAsyncDisconnect(ac);
      }
    }
  }

 private:
  struct Link {
    RedisConnection* connection = nullptr;
    redisAsyncContext* ac = nullptr;  // null once lost (hiredis frees it)
  };
  struct Slot {
    RedisConnection* connection = nullptr;
    int index = 0;
    event* timer = nullptr;
    bool failed = false;  // the timer reports a failure instead of a backoff
    int pending = 0;      // replies still to come for the current operation
    bool error = false;   // one of them was an error reply
    bool lost = false;    // one of them never came: its connection was lost
  };

  void Arm(Slot& s, int64_t ms) {
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    evtimer_add(s.timer, &tv);
  }

  void Lost(Link& l, const char* why) {
    if (lost_.empty()) lost_ = why;
    l.ac = nullptr;  // hiredis frees it
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
      c.Lost(*static_cast<Link*>(ac->data), ac->errstr[0] != '\0' ? ac->errstr : "disconnected");
      s.lost = true;
    } else if (r->type == REDIS_REPLY_ERROR) {
      s.error = true;
    }
    if (--s.pending > 0) return;
    if (s.lost) {
      s.lost = false;
      return c.listener_->OnDone(s.index, false, "redis connection lost", 0);
    }
    c.listener_->OnDone(s.index, !s.error, s.error ? "redis error reply" : "", 0);
  }

  static void OnConnect(const redisAsyncContext* ac, int status) {
    auto* l = static_cast<Link*>(ac->data);
    if (status != REDIS_OK) l->connection->Lost(*l, ac->errstr);
  }

  static void OnDisconnect(const redisAsyncContext* ac, int status) {
    auto* l = static_cast<Link*>(ac->data);
    if (status != REDIS_OK) l->connection->Lost(*l, ac->errstr);
  }

  event_base* const base_;
  const int per_op_;
  std::vector<Link> links_;  // never resized: hiredis holds pointers to its elements
  size_t next_ = 0;          // the first server of the next operation
  std::string lost_;         // why the first lost connection is gone
  std::vector<Slot> slots_;
};

}  // namespace

std::unique_ptr<Connection> NewRedisConnection(int port, int slots) {
  return std::make_unique<RedisConnection>(std::vector<int>{port}, 1, slots);
}

std::unique_ptr<Connection> NewRedisQuorumConnection(const std::vector<int>& ports, int slots) {
  return std::make_unique<RedisConnection>(ports, static_cast<int>(ports.size()) / 2 + 1, slots);
}

}  // namespace gryadka::bench::compare
