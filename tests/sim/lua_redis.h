// A tiny in-memory Redis for the simulator: runs Lua scripts (EVAL semantics) in an embedded
// Lua 5.1 interpreter, as redis-server does, over an in-memory keyspace. No sockets, no threads.
//
// What a script sees is what redis-server 7 gives it:
//   - globals KEYS and ARGV (tables of strings), libraries base, table, string and math;
//   - redis.call / redis.pcall for the commands the acceptor scripts use (TYPE, HMGET, HGET,
//     HSET, DEL, SET, GET), redis.error_reply / redis.status_reply;
//   - Redis's conversions: a command reply becomes an integer -> number, bulk -> string,
//     nil -> false, array -> table, status -> {ok=...}, error -> {err=...} (redis.call raises
//     it instead); the script's return value becomes number -> integer (truncated),
//     string -> bulk, true -> 1, false/nil -> nil bulk, {err=...} -> error, {ok=...} -> status,
//     other tables -> array up to the first nil;
//   - global protection: creating or reading an undefined global is an error;
//   - a Lua error ends the script with an error reply ("ERR ..."); writes made before it stay
//     (Redis does not roll scripts back).
// The reply is a hiredis redisReply tree (the struct only; no hiredis code runs), so the
// production reply parser reads it unchanged. Thread-compatible.
#pragma once

#include <hiredis/hiredis.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct lua_State;

namespace gryadka::sim {

// A reply and the memory it points into. Movable, not copyable.
class OwnedReply {
 public:
  OwnedReply() = default;
  OwnedReply(OwnedReply&&) = default;
  OwnedReply& operator=(OwnedReply&&) = default;

  const redisReply& root() const { return *nodes_.front(); }

  // Node builders (the first node made is the root).
  redisReply* Add(int type);
  redisReply* AddString(int type, std::string_view bytes);
  redisReply* AddInteger(long long value);
  // Gives `array` (a REDIS_REPLY_ARRAY node) these elements.
  void SetElements(redisReply* array, std::vector<redisReply*> elements);

 private:
  std::deque<std::unique_ptr<redisReply>> nodes_;
  std::deque<std::string> strings_;
  std::deque<std::vector<redisReply*>> arrays_;
};

class LuaRedis {
 public:
  // A stored value: a hash, or a plain string (any non-hash content, for kInvalidState tests).
  struct Value {
    bool is_hash = true;
    std::map<std::string, std::string> hash;
    std::string str;
    bool operator==(const Value&) const = default;
  };

  // Aborts the process if the interpreter cannot be created (out of memory).
  LuaRedis();
  ~LuaRedis();
  LuaRedis(const LuaRedis&) = delete;
  LuaRedis& operator=(const LuaRedis&) = delete;

  // EVAL script numkeys keys... args...: compiles `script` the first time it is seen (then
  // reuses it, like EVALSHA), runs it and returns its reply. A script that does not compile
  // answers an error reply naming the compile error.
  OwnedReply Eval(std::string_view script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args);

  const std::map<std::string, Value>& keyspace() const { return keyspace_; }
  std::map<std::string, Value>& mutable_keyspace() { return keyspace_; }

 private:
  static int Call(lua_State* L);
  static int PCall(lua_State* L);
  static int ErrorReply(lua_State* L);
  static int StatusReply(lua_State* L);
  static int Dispatch(lua_State* L, bool raise);
  // Runs one command; the reply is pushed onto the Lua stack as Redis converts it.
  void RunCommand(lua_State* L, const std::vector<std::string>& argv);

  lua_State* L_;
  std::unordered_map<std::string, int> compiled_;  // script text -> registry reference
  std::map<std::string, Value> keyspace_;
};

}  // namespace gryadka::sim
