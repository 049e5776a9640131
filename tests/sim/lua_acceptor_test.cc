// The Lua acceptor (the production scripts in the simulator's embedded Redis) against
// MemoryAcceptor, the C++ twin: identical replies and states on random call sequences, single
// and batched, including keys that hold data that is not a register, epochs and fences. Fencing
// by epoch on its own. And the redis.call shim's conversions, which the production scripts rely
// on.
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
constexpr uint64_t kEpochMax = 3;  // random epochs and fences in [0, kEpochMax]

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
  q.epoch = r.Uniform(kEpochMax + 1);
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
  EXPECT_EQ(lua.fence_epoch, mem.fence_epoch) << "m" << q.msg_id;
  EXPECT_EQ(lua.fence_config, mem.fence_config) << "m" << q.msg_id;
}

// Sometimes raises (or tries to lower) the fence on both; they must answer the same state.
void MaybeFence(core::Random& r, LuaAcceptor* lua, acceptor::MemoryAcceptor* mem) {
  if (r.Uniform(10) != 0) return;
  const uint64_t epoch = r.Uniform(kEpochMax + 1);
  const std::string config = "config of epoch " + std::to_string(epoch) + std::string(1, '\0');
  const acceptor::FenceState want = mem->Fence(epoch, config);
  EXPECT_EQ(lua->Fence(epoch, config), want) << "fence " << epoch;
}

AcceptorRequest Prepare(const std::string& key, Ballot b, uint64_t epoch) {
  AcceptorRequest q;
  q.kind = AcceptorRequest::Kind::kPrepare;
  q.key = key;
  q.ballot = b;
  q.epoch = epoch;
  return q;
}

AcceptorRequest Accept(const std::string& key, Ballot b, const std::string& value, uint64_t epoch) {
  AcceptorRequest q = Prepare(key, b, epoch);
  q.kind = AcceptorRequest::Kind::kAccept;
  q.value = value;
  return q;
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
      MaybeFence(r, &lua, &mem);
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
      MaybeFence(r, &lua, &mem);
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

TEST(LuaAcceptorTest, RandomSequencesExerciseFencedRepliesAndRaisedFences) {
  core::Random r(7);
  LuaAcceptor lua;
  acceptor::MemoryAcceptor mem;
  int fenced = 0;
  for (uint64_t i = 1; i <= 300; ++i) {
    MaybeFence(r, &lua, &mem);
    const AcceptorRequest q = RandomRequest(r, i);
    const AcceptorReply reply = lua.Handle(q);
    ExpectSameReply(reply, mem.Handle(q), q);
    fenced += reply.status == AcceptorReply::Status::kFenced;
  }
  EXPECT_GT(mem.min_epoch(), 0u);
  EXPECT_GT(fenced, 10);
}

TEST(LuaAcceptorTest, FencedPrepareAndAcceptAnswerTheStoredConfigAndLeaveTheRegisterUntouched) {
  LuaAcceptor lua("lua acceptor a0");
  ASSERT_EQ(lua.Handle(Accept("k", Ballot{1, 1}, "v1", 0)).status, AcceptorReply::Status::kOk);
  const std::string config("membership\0of epoch 5", 21);
  EXPECT_EQ(lua.Fence(5, config), (acceptor::FenceState{5, config}));
  const auto before = lua.Find("k");
  for (const AcceptorRequest& q :
       {Prepare("k", Ballot{9, 1}, 4), Accept("k", Ballot{9, 1}, "v9", 4),
        Prepare("new", Ballot{9, 1}, 0)}) {
    const AcceptorReply reply = lua.Handle(q);
    EXPECT_EQ(reply.status, AcceptorReply::Status::kFenced) << q.key << ": " << reply.error;
    EXPECT_EQ(reply.fence_epoch, 5u);
    EXPECT_EQ(reply.fence_config, config);
  }
  EXPECT_EQ(lua.Find("k"), before);
  EXPECT_EQ(lua.Find("new"), std::nullopt);  // not even created
  // The fence's epoch and above proceed.
  EXPECT_EQ(lua.Handle(Prepare("k", Ballot{9, 1}, 5)).status, AcceptorReply::Status::kOk);
  EXPECT_EQ(lua.Handle(Accept("k", Ballot{9, 1}, "v9", 6)).status, AcceptorReply::Status::kOk);
  EXPECT_EQ(lua.Find("k")->value, "v9");
}

TEST(LuaAcceptorTest, FenceRaisesTheMinimumEpochNeverLowersItAndEpochZeroReads) {
  LuaAcceptor lua;
  acceptor::MemoryAcceptor mem;
  const std::vector<std::pair<uint64_t, acceptor::FenceState>> steps = {
      {0, {0, ""}}, {3, {3, "c3"}}, {2, {3, "c3"}}, {3, {3, "c3"}}, {0, {3, "c3"}},
      {~uint64_t{0}, {~uint64_t{0}, "cmax"}}, {4, {~uint64_t{0}, "cmax"}}};
  for (const auto& [epoch, want] : steps) {
    const std::string config = epoch == ~uint64_t{0} ? "cmax" : "c" + std::to_string(epoch);
    EXPECT_EQ(lua.Fence(epoch, config), want) << epoch;
    EXPECT_EQ(mem.Fence(epoch, config), want) << epoch;
  }
  EXPECT_EQ(mem.min_epoch(), ~uint64_t{0});
  EXPECT_EQ(mem.config(), "cmax");
  // The meta record's layout: a hash at exactly the prefix, e as 16 lowercase hex digits.
  const LuaRedis::Value& meta = lua.redis().keyspace().at(LuaAcceptor::MetaKey());
  EXPECT_EQ(meta.hash.at("e"), "ffffffffffffffff");
  EXPECT_EQ(meta.hash.at("c"), "cmax");
}

TEST(LuaAcceptorTest, ABatchMixingEpochsRefusesOnlyTheCallsBelowTheFence) {
  LuaAcceptor lua;
  acceptor::MemoryAcceptor mem;
  lua.Fence(2, "c2");
  mem.Fence(2, "c2");
  const std::vector<AcceptorRequest> batch = {
      Prepare("a", Ballot{1, 1}, 1), Prepare("a", Ballot{1, 1}, 3),
      Accept("b", Ballot{1, 1}, "x", 1),  // after a passing epoch-3 call of the same run
      Accept("b", Ballot{1, 1}, "y", 2)};
  const std::vector<AcceptorReply> replies = lua.HandleBatch(batch);
  ASSERT_EQ(replies.size(), batch.size());
  const AcceptorReply::Status want[] = {AcceptorReply::Status::kFenced, AcceptorReply::Status::kOk,
                                        AcceptorReply::Status::kFenced, AcceptorReply::Status::kOk};
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(replies[i].status, want[i]) << i << ": " << replies[i].error;
    ExpectSameReply(replies[i], mem.Handle(batch[i]), batch[i]);
  }
  EXPECT_EQ(lua.Find("b")->value, "y");
}

TEST(LuaAcceptorTest, AMetaRecordWithAMalformedEpochFailsEveryCallWithoutTouchingRegisters) {
  LuaAcceptor lua("lua acceptor a0");
  lua.PutField("", "e", "not an epoch");  // "" = the meta record (the prefix itself)
  for (const AcceptorRequest& q :
       {Prepare("k", Ballot{1, 1}, 7), Accept("k", Ballot{1, 1}, "v", 7)}) {
    const AcceptorReply reply = lua.Handle(q);
    EXPECT_EQ(reply.status, AcceptorReply::Status::kError);
    EXPECT_NE(reply.error.find("meta record"), std::string::npos) << reply.error;
  }
  const std::vector<AcceptorReply> batch =
      lua.HandleBatch({Prepare("k", Ballot{1, 1}, 7), Prepare("j", Ballot{1, 1}, 7)});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[1].status, AcceptorReply::Status::kError);
  EXPECT_EQ(lua.Find("k"), std::nullopt);
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
