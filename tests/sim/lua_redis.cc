#include "tests/sim/lua_redis.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gryadka::sim {
namespace {

constexpr char kWrongType[] = "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr int kReplyDepthMax = 64;  // nesting of a script's reply; deeper answers an error

// A command's reply before it is handed to Lua (RESP2 shapes).
struct Resp {
  enum class Kind { kStatus, kError, kInteger, kBulk, kNil, kArray };
  Kind kind = Kind::kNil;
  std::string str;
  long long integer = 0;
  std::vector<Resp> elements;

  static Resp Status(std::string s) { return Resp{Kind::kStatus, std::move(s), 0, {}}; }
  static Resp Error(std::string s) { return Resp{Kind::kError, std::move(s), 0, {}}; }
  static Resp Integer(long long i) { return Resp{Kind::kInteger, {}, i, {}}; }
  static Resp Bulk(std::string s) { return Resp{Kind::kBulk, std::move(s), 0, {}}; }
  static Resp Nil() { return Resp{}; }
};

Resp WrongArity(const std::string& command) {
  return Resp::Error(absl::StrCat("ERR wrong number of arguments for '",
                                  absl::AsciiStrToLower(command), "' command"));
}

// Redis -> Lua: integer -> number, bulk -> string, nil -> false, array -> table,
// status -> {ok=...}, error -> {err=...}.
void PushResp(lua_State* L, const Resp& r) {
  switch (r.kind) {
    case Resp::Kind::kInteger:
      lua_pushnumber(L, static_cast<lua_Number>(r.integer));
      return;
    case Resp::Kind::kBulk:
      lua_pushlstring(L, r.str.data(), r.str.size());
      return;
    case Resp::Kind::kNil:
      lua_pushboolean(L, 0);
      return;
    case Resp::Kind::kStatus:
    case Resp::Kind::kError:
      lua_newtable(L);
      lua_pushstring(L, r.kind == Resp::Kind::kStatus ? "ok" : "err");
      lua_pushlstring(L, r.str.data(), r.str.size());
      lua_settable(L, -3);
      return;
    case Resp::Kind::kArray:
      lua_newtable(L);
      for (size_t i = 0; i < r.elements.size(); ++i) {
        PushResp(L, r.elements[i]);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      return;
  }
}

// The string field `name` of the table at `index`, if it has one.
bool StringField(lua_State* L, int index, const char* name, std::string* out) {
  lua_pushstring(L, name);
  lua_rawget(L, index < 0 ? index - 1 : index);
  const bool found = lua_type(L, -1) == LUA_TSTRING;
  if (found) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out->assign(s, len);
  }
  lua_pop(L, 1);
  return found;
}

// Lua -> Redis for the value at the top of the stack (left there).
redisReply* ToReply(lua_State* L, OwnedReply* out, int depth) {
  std::string s;
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* p = lua_tolstring(L, -1, &len);
      return out->AddString(REDIS_REPLY_STRING, std::string_view(p, len));
    }
    case LUA_TBOOLEAN:
      return lua_toboolean(L, -1) ? out->AddInteger(1) : out->Add(REDIS_REPLY_NIL);
    case LUA_TNUMBER:
      return out->AddInteger(static_cast<long long>(lua_tonumber(L, -1)));
    case LUA_TTABLE: {
      if (StringField(L, -1, "err", &s)) return out->AddString(REDIS_REPLY_ERROR, s);
      if (StringField(L, -1, "ok", &s)) return out->AddString(REDIS_REPLY_STATUS, s);
      if (depth >= kReplyDepthMax) {
        return out->AddString(REDIS_REPLY_ERROR, "ERR reached lua stack limit");
      }
      redisReply* array = out->Add(REDIS_REPLY_ARRAY);
      std::vector<redisReply*> elements;
      for (int j = 1;; ++j) {
        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          break;
        }
        elements.push_back(ToReply(L, out, depth + 1));
        lua_pop(L, 1);
      }
      out->SetElements(array, std::move(elements));
      return array;
    }
    default:
      return out->Add(REDIS_REPLY_NIL);
  }
}

OwnedReply ErrorOnly(std::string message) {
  OwnedReply r;
  r.AddString(REDIS_REPLY_ERROR, message);
  return r;
}

// Redis 7's global protection: scripts may neither create nor read undefined globals.
constexpr char kProtectGlobals[] = R"lua(
setmetatable(_G, {
  __newindex = function(_, name)
    error("Script attempted to create global variable '" .. tostring(name) .. "'", 2)
  end,
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
}))lua";

}  // namespace

// ---- OwnedReply ------------------------------------------------------------------------------

redisReply* OwnedReply::Add(int type) {
  auto node = std::make_unique<redisReply>();
  *node = redisReply{};
  node->type = type;
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

redisReply* OwnedReply::AddString(int type, std::string_view bytes) {
  redisReply* r = Add(type);
  std::string& s = strings_.emplace_back(bytes);
  r->str = s.data();
  r->len = s.size();
  return r;
}

redisReply* OwnedReply::AddInteger(long long value) {
  redisReply* r = Add(REDIS_REPLY_INTEGER);
  r->integer = value;
  return r;
}

void OwnedReply::SetElements(redisReply* array, std::vector<redisReply*> elements) {
  std::vector<redisReply*>& e = arrays_.emplace_back(std::move(elements));
  array->elements = e.size();
  array->element = e.empty() ? nullptr : e.data();
}

// ---- LuaRedis --------------------------------------------------------------------------------

LuaRedis::LuaRedis() : L_(luaL_newstate()) {
  if (L_ == nullptr) {
    std::fprintf(stderr, "LuaRedis: cannot create a Lua state (out of memory)\n");
    std::abort();
  }
  // The libraries Redis opens for scripts (cjson, bit, struct, cmsgpack are not used by ours).
  const std::pair<const char*, lua_CFunction> libs[] = {
      {"", luaopen_base}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math}};
  for (const auto& [name, open] : libs) {
    lua_pushcfunction(L_, open);
    lua_pushstring(L_, name);
    lua_call(L_, 1, 0);
  }
  lua_newtable(L_);
  const std::pair<const char*, lua_CFunction> fns[] = {{"call", &LuaRedis::Call},
                                                       {"pcall", &LuaRedis::PCall},
                                                       {"error_reply", &LuaRedis::ErrorReply},
                                                       {"status_reply", &LuaRedis::StatusReply}};
  for (const auto& [name, fn] : fns) {
    lua_pushstring(L_, name);
    lua_pushlightuserdata(L_, this);
    lua_pushcclosure(L_, fn, 1);
    lua_settable(L_, -3);
  }
  lua_setglobal(L_, "redis");
  if (luaL_dostring(L_, kProtectGlobals) != 0) {
    std::fprintf(stderr, "LuaRedis: cannot protect globals: %s\n", lua_tostring(L_, -1));
    std::abort();
  }
}

LuaRedis::~LuaRedis() { lua_close(L_); }

OwnedReply LuaRedis::Eval(std::string_view script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args) {
  auto it = compiled_.find(std::string(script));
  if (it == compiled_.end()) {
    if (luaL_loadbuffer(L_, script.data(), script.size(), "@user_script") != 0) {
      std::string error = absl::StrCat("ERR Error compiling script (new function): ",
                                       lua_tostring(L_, -1));
      lua_pop(L_, 1);
      return ErrorOnly(std::move(error));
    }
    it = compiled_.emplace(std::string(script), luaL_ref(L_, LUA_REGISTRYINDEX)).first;
  }
  // KEYS and ARGV are set with rawset: the protected globals table refuses new globals.
  const std::pair<const char*, const std::vector<std::string>*> tables[] = {{"KEYS", &keys},
                                                                            {"ARGV", &args}};
  for (const auto& [name, values] : tables) {
    lua_pushstring(L_, name);
    lua_newtable(L_);
    for (size_t i = 0; i < values->size(); ++i) {
      lua_pushlstring(L_, (*values)[i].data(), (*values)[i].size());
      lua_rawseti(L_, -2, static_cast<int>(i + 1));
    }
    lua_rawset(L_, LUA_GLOBALSINDEX);
  }
  lua_rawgeti(L_, LUA_REGISTRYINDEX, it->second);
  OwnedReply reply;
  if (lua_pcall(L_, 0, 1, 0) != 0) {
    std::string message;
    if (lua_istable(L_, -1) && StringField(L_, -1, "err", &message)) {
      reply.AddString(REDIS_REPLY_ERROR, message);
    } else {
      const char* s = lua_tostring(L_, -1);
      reply.AddString(REDIS_REPLY_ERROR, absl::StrCat("ERR ", s ? s : "unknown Lua error"));
    }
  } else {
    ToReply(L_, &reply, 0);
  }
  lua_settop(L_, 0);
  return reply;
}

int LuaRedis::Call(lua_State* L) { return Dispatch(L, /*raise=*/true); }
int LuaRedis::PCall(lua_State* L) { return Dispatch(L, /*raise=*/false); }

int LuaRedis::ErrorReply(lua_State* L) {
  PushResp(L, Resp::Error(luaL_checkstring(L, 1)));
  return 1;
}

int LuaRedis::StatusReply(lua_State* L) {
  PushResp(L, Resp::Status(luaL_checkstring(L, 1)));
  return 1;
}

int LuaRedis::Dispatch(lua_State* L, bool raise) {
  auto* self = static_cast<LuaRedis*>(lua_touserdata(L, lua_upvalueindex(1)));
  const int argc = lua_gettop(L);
  if (argc == 0) return luaL_error(L, "Please specify at least one argument for this redis lib call");
  std::vector<std::string> argv;
  argv.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    const int t = lua_type(L, i);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) {
      return luaL_error(L, "Lua redis lib command arguments must be strings or integers");
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    argv.emplace_back(s, len);
  }
  self->RunCommand(L, argv);
  if (raise && lua_istable(L, -1)) {
    std::string err;
    if (StringField(L, -1, "err", &err)) return lua_error(L);  // Redis 7 raises the error table
  }
  return 1;
}

void LuaRedis::RunCommand(lua_State* L, const std::vector<std::string>& argv) {
  const std::string cmd = absl::AsciiStrToUpper(argv[0]);
  const size_t argc = argv.size();
  auto find = [this](const std::string& key) -> Value* {
    auto it = keyspace_.find(key);
    return it == keyspace_.end() ? nullptr : &it->second;
  };
  Resp r;
  if (cmd == "TYPE") {
    if (argc != 2) return PushResp(L, WrongArity(cmd));
    const Value* v = find(argv[1]);
    r = Resp::Status(v == nullptr ? "none" : v->is_hash ? "hash" : "string");
  } else if (cmd == "HMGET" || cmd == "HGET") {
    if ((cmd == "HGET" && argc != 3) || argc < 3) return PushResp(L, WrongArity(cmd));
    const Value* v = find(argv[1]);
    if (v != nullptr && !v->is_hash) return PushResp(L, Resp::Error(kWrongType));
    r.kind = Resp::Kind::kArray;
    for (size_t i = 2; i < argc; ++i) {
      if (v == nullptr || !v->hash.contains(argv[i])) {
        r.elements.push_back(Resp::Nil());
      } else {
        r.elements.push_back(Resp::Bulk(v->hash.at(argv[i])));
      }
    }
    if (cmd == "HGET") r = r.elements[0];
  } else if (cmd == "HSET") {
    if (argc < 4 || argc % 2 != 0) return PushResp(L, WrongArity(cmd));
    Value* v = find(argv[1]);
    if (v != nullptr && !v->is_hash) return PushResp(L, Resp::Error(kWrongType));
    Value& h = keyspace_[argv[1]];
    long long added = 0;
    for (size_t i = 2; i < argc; i += 2) added += h.hash.insert_or_assign(argv[i], argv[i + 1]).second;
    r = Resp::Integer(added);
  } else if (cmd == "SET") {
    if (argc != 3) return PushResp(L, WrongArity(cmd));
    keyspace_[argv[1]] = Value{.is_hash = false, .hash = {}, .str = argv[2]};
    r = Resp::Status("OK");
  } else if (cmd == "GET") {
    if (argc != 2) return PushResp(L, WrongArity(cmd));
    const Value* v = find(argv[1]);
    if (v != nullptr && v->is_hash) return PushResp(L, Resp::Error(kWrongType));
    r = v == nullptr ? Resp::Nil() : Resp::Bulk(v->str);
  } else if (cmd == "DEL") {
    if (argc < 2) return PushResp(L, WrongArity(cmd));
    long long removed = 0;
    for (size_t i = 1; i < argc; ++i) removed += static_cast<long long>(keyspace_.erase(argv[i]));
    r = Resp::Integer(removed);
  } else {
    r = Resp::Error("ERR Unknown Redis command called from script");
  }
  PushResp(L, r);
}

}  // namespace gryadka::sim
