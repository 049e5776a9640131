#include "tests/sim/lua_acceptor.h"

#include <cstdio>
#include <cstdlib>

#include "acceptor_adapter/redis_reply.h"
#include "acceptor_adapter/redis_scripts.h"

namespace gryadka::sim {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;

bool IsPrepare(const AcceptorRequest& r) { return r.kind == AcceptorRequest::Kind::kPrepare; }

}  // namespace

LuaAcceptor::LuaAcceptor(std::string describe) : describe_(std::move(describe)) {}

AcceptorReply LuaAcceptor::Parse(const redisReply& reply, const AcceptorRequest& req) const {
  AcceptorReply out;  // as RedisAcceptor::ErrorReply: kError until the parser says otherwise
  out.acceptor = req.acceptor;
  out.msg_id = req.msg_id;
  const std::string key = RedisKey(req.key);
  acceptor::ParseScriptReply(reply, acceptor::ScriptCallContext{req.kind, key, describe_}, &out);
  return out;
}

// KEYS/ARGV as RedisAcceptor::Issue builds them.
AcceptorReply LuaAcceptor::Handle(const AcceptorRequest& req) {
  const bool prepare = IsPrepare(req);
  std::vector<std::string> args = {req.ballot.Encode()};
  if (!prepare) {
    args.push_back(req.value);
    args.push_back(req.next.Encode());
  }
  args.push_back(acceptor::EncodeEpoch(req.epoch));
  const OwnedReply reply = redis_.Eval(prepare ? acceptor::PrepareScript() : acceptor::AcceptScript(),
                                       {RedisKey(req.key), MetaKey()}, args);
  return Parse(reply.root(), req);
}

// KEYS/ARGV as RedisAcceptor::IssueBatch builds them; the reply split as OnBatchReply does.
std::vector<AcceptorReply> LuaAcceptor::HandleBatch(const std::vector<AcceptorRequest>& reqs) {
  if (reqs.size() == 1) return {Handle(reqs[0])};
  std::vector<std::string> keys;
  std::vector<std::string> args;
  for (const AcceptorRequest& r : reqs) keys.push_back(RedisKey(r.key));
  keys.push_back(MetaKey());
  for (const AcceptorRequest& r : reqs) {
    args.push_back(IsPrepare(r) ? "p" : "a");
    args.push_back(r.ballot.Encode());
    args.push_back(IsPrepare(r) ? std::string() : r.value);
    args.push_back(r.next.Encode());
    args.push_back(acceptor::EncodeEpoch(r.epoch));
  }
  const OwnedReply reply = redis_.Eval(acceptor::BatchScript(), keys, args);
  const redisReply& root = reply.root();
  const bool per_call = root.type == REDIS_REPLY_ARRAY && root.elements == reqs.size();
  std::vector<AcceptorReply> out;
  out.reserve(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    out.push_back(Parse(per_call ? *root.element[i] : root, reqs[i]));
  }
  return out;
}

// KEYS/ARGV as RedisAdminConnection::Fence builds them.
acceptor::FenceState LuaAcceptor::Fence(uint64_t epoch, const std::string& config) {
  const OwnedReply reply =
      redis_.Eval(acceptor::FenceScript(), {MetaKey()}, {acceptor::EncodeEpoch(epoch), config});
  const redisReply& r = reply.root();
  std::optional<uint64_t> min_epoch;
  if (r.type == REDIS_REPLY_ARRAY && r.elements == 2 &&
      r.element[0]->type == REDIS_REPLY_STRING && r.element[1]->type == REDIS_REPLY_STRING) {
    min_epoch = acceptor::DecodeEpoch(std::string_view(r.element[0]->str, r.element[0]->len));
  }
  if (!min_epoch) {
    std::fprintf(stderr, "%s: the fence script failed (%s)\n", describe_.c_str(),
                 r.type == REDIS_REPLY_ERROR ? r.str : "unexpected reply");
    std::abort();
  }
  return acceptor::FenceState{.min_epoch = *min_epoch,
                              .config = std::string(r.element[1]->str, r.element[1]->len)};
}

std::optional<acceptor::MemoryAcceptor::Slot> LuaAcceptor::Find(const std::string& key) const {
  auto it = redis_.keyspace().find(RedisKey(key));
  if (it == redis_.keyspace().end()) return std::nullopt;
  acceptor::MemoryAcceptor::Slot slot;
  const LuaRedis::Value& v = it->second;
  if (!v.is_hash) {
    slot.foreign = true;
    return slot;
  }
  auto ballot = [&](const char* field, core::Ballot* out) {
    auto f = v.hash.find(field);
    if (f == v.hash.end()) return true;  // a missing field is the zero ballot
    const std::optional<core::Ballot> b = core::Ballot::Decode(f->second);
    if (b) *out = *b;
    return b.has_value();
  };
  slot.foreign = !ballot("p", &slot.promised) || !ballot("a", &slot.accepted);
  if (slot.foreign) {
    acceptor::MemoryAcceptor::Slot foreign;
    foreign.foreign = true;
    return foreign;
  }
  if (auto f = v.hash.find("v"); f != v.hash.end()) slot.value = f->second;
  return slot;
}

void LuaAcceptor::PutForeign(const std::string& key) {
  redis_.mutable_keyspace()[RedisKey(key)] =
      LuaRedis::Value{.is_hash = false, .hash = {}, .str = "not a register"};
}

void LuaAcceptor::PutField(const std::string& key, const std::string& field,
                           const std::string& bytes) {
  LuaRedis::Value& v = redis_.mutable_keyspace()[RedisKey(key)];
  v.is_hash = true;
  v.hash[field] = bytes;
}

}  // namespace gryadka::sim
