// The Lua acceptor (the production scripts in the simulator's embedded Redis) against
// MemoryAcceptor, the C++ twin: identical replies and states on random call sequences, single
// and batched, including keys that hold data that is not a register. And the redis.call shim's
// conversions, which the production scripts rely on.
#include <string>
#include <vector>

#include "acceptor_adapter/memory_acceptor.h"
#include "gtest/gtest.h"
#include "proposer/core/random.h"
#include "tests/sim/lua_acceptor.h"
#include "tests/sim/lua_redis.h"

namespace gryadka::sim {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;
using core::Ballot;

constexpr int kKeys = 4;  // k0, k1 registers; k2 a Redis string; k3 a hash whose 'p' is no ballot

std::string Key(int i) { return "k" + std::to_string(i); }

Ballot RandomBallot(core::Random& r) {
  if (r.Uniform(8) == 0) return Ballot{};
  return Ballot{static_cast<uint64_t>(r.Range(1, 6)), static_cast<uint64_t>(r.Range(1, 3))};
}

std::string RandomValue(core::Random& r) {
  std::string v(static_cast<size_t>(r.Range(0, 6)), '\0');
  for (char& c : v) c = static_cast<char>(r.Uniform(256));  // binary, NULs included
  return v;
}

AcceptorRequest RandomRequest(core::Random& r, uint64_t msg_id) {
  AcceptorRequest q;
  q.kind = r.Uniform(2) == 0 ? AcceptorRequest::Kind::kPrepare : AcceptorRequest::Kind::kAccept;
  q.acceptor = 1;
  q.msg_id = msg_id;
  q.key = Key(static_cast<int>(r.Uniform(kKeys)));
  q.ballot = RandomBallot(r);
  if (q.ballot.IsZero()) q.ballot = Ballot{1, 1};
  if (q.kind == AcceptorRequest::Kind::kAccept) {
    q.value = RandomValue(r);
    if (r.Uniform(2) == 0) {
      q.next = Ballot{q.ballot.counter + static_cast<uint64_t>(r.Range(0, 2)),
                      static_cast<uint64_t>(r.Range(1, 3))};
    }
  }
  return q;
}

void ExpectSameReply(const AcceptorReply& lua, const AcceptorReply& mem, const AcceptorRequest& q) {
  EXPECT_EQ(lua.status, mem.status) << "m" << q.msg_id << " " << q.key << ": " << lua.error;
  EXPECT_EQ(lua.msg_id, mem.msg_id);
  EXPECT_EQ(lua.acceptor, mem.acceptor);
  if (lua.status == AcceptorReply::Status::kOk || lua.status == AcceptorReply::Status::kConflict) {
    EXPECT_EQ(lua.ballot, mem.ballot) << "m" << q.msg_id;
    EXPECT_EQ(lua.value, mem.value) << "m" << q.msg_id;
  }
}

void ExpectSameState(const LuaAcceptor& lua, const acceptor::MemoryAcceptor& mem) {
  for (int i = 0; i < kKeys; ++i) {
    const auto* m = mem.Find(Key(i));
    const auto l = lua.Find(Key(i));
    ASSERT_EQ(l.has_value(), m != nullptr && *m != acceptor::MemoryAcceptor::Slot{}) << Key(i);
    if (l) {
      EXPECT_EQ(*l, *m) << Key(i);
    }
  }
}

void MakeForeignKeys(LuaAcceptor* lua, acceptor::MemoryAcceptor* mem) {
  lua->PutForeign(Key(2));
  mem->PutForeign(Key(2));
  lua->PutField(Key(3), "p", "not a ballot");
  mem->PutForeign(Key(3));
}

TEST(LuaAcceptorTest, SingleScriptCallsMatchMemoryAcceptorOnRandomSequences) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    core::Random r(seed);
    LuaAcceptor lua;
    acceptor::MemoryAcceptor mem;
    MakeForeignKeys(&lua, &mem);
    for (uint64_t i = 1; i <= 300; ++i) {
      const AcceptorRequest q = RandomRequest(r, i);
      ExpectSameReply(lua.Handle(q), mem.Handle(q), q);
    }
    ExpectSameState(lua, mem);
  }
}

TEST(LuaAcceptorTest, BatchScriptCallsMatchMemoryAcceptorCallsInOrder) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    core::Random r(seed);
    LuaAcceptor lua;
    acceptor::MemoryAcceptor mem;
    MakeForeignKeys(&lua, &mem);
    uint64_t msg_id = 0;
    for (int b = 0; b < 60; ++b) {
      std::vector<AcceptorRequest> batch(static_cast<size_t>(r.Range(1, 8)));
      for (AcceptorRequest& q : batch) q = RandomRequest(r, ++msg_id);  // keys may repeat
      const std::vector<AcceptorReply> replies = lua.HandleBatch(batch);
      ASSERT_EQ(replies.size(), batch.size());
      for (size_t i = 0; i < batch.size(); ++i) ExpectSameReply(replies[i], mem.Handle(batch[i]), batch[i]);
    }
    ExpectSameState(lua, mem);
  }
}

TEST(LuaAcceptorTest, AKeyOfAnotherRedisTypeIsInvalidStateNamingTheType) {
  LuaAcceptor lua("lua acceptor a0");
  lua.PutForeign("x");
  AcceptorRequest q;
  q.key = "x";
  q.ballot = Ballot{1, 1};
  const AcceptorReply reply = lua.Handle(q);
  EXPECT_EQ(reply.status, AcceptorReply::Status::kInvalidState);
  EXPECT_NE(reply.error.find("holds a string"), std::string::npos) << reply.error;
}

TEST(LuaRedisTest, ScriptRepliesConvertAsRedisConvertsThem) {
  LuaRedis redis;
  const OwnedReply r = redis.Eval("return {3.99, 'a', false, {ok='fine'}, nil, 'lost'}", {}, {});
  const redisReply& root = r.root();
  ASSERT_EQ(root.type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(root.elements, 4u);  // the array stops at the first nil
  EXPECT_EQ(root.element[0]->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(root.element[0]->integer, 3);  // numbers are truncated to integers
  EXPECT_EQ(std::string(root.element[1]->str, root.element[1]->len), "a");
  EXPECT_EQ(root.element[2]->type, REDIS_REPLY_NIL);
  EXPECT_EQ(root.element[3]->type, REDIS_REPLY_STATUS);
  const OwnedReply e = redis.Eval("return redis.error_reply('boom')", {}, {});
  EXPECT_EQ(e.root().type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(e.root().str, e.root().len), "boom");
}

TEST(LuaRedisTest, CommandErrorsRaiseInCallAndReturnInPcall) {
  LuaRedis redis;
  redis.Eval("return redis.call('SET', KEYS[1], 'v')", {"s"}, {});
  const OwnedReply raised = redis.Eval("return redis.call('HSET', KEYS[1], 'f', 'v')", {"s"}, {});
  EXPECT_EQ(raised.root().type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(raised.root().str, 9), "WRONGTYPE");
  const OwnedReply caught =
      redis.Eval("local r = redis.pcall('HMGET', KEYS[1], 'f'); return r.err", {"s"}, {});
  EXPECT_EQ(caught.root().type, REDIS_REPLY_STRING);
  const OwnedReply arity = redis.Eval("return redis.call('HSET', KEYS[1], 'f')", {"h"}, {});
  EXPECT_EQ(arity.root().type, REDIS_REPLY_ERROR);
}

TEST(LuaRedisTest, ScriptsCannotCreateOrReadUndefinedGlobals) {
  LuaRedis redis;
  EXPECT_EQ(redis.Eval("x = 1", {}, {}).root().type, REDIS_REPLY_ERROR);
  EXPECT_EQ(redis.Eval("return undefined_name", {}, {}).root().type, REDIS_REPLY_ERROR);
  EXPECT_EQ(redis.Eval("return #KEYS + #ARGV", {"k"}, {"a", "b"}).root().integer, 3);
}

}  // namespace
}  // namespace gryadka::sim
