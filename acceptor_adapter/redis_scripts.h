// The acceptor's Lua scripts (acceptor_adapter/lua/: common.lua prepended to prepare.lua,
// accept.lua, batch.lua and fence.lua), embedded into the binary at build time. Pure data;
// thread-safe. META = the meta record's key, exactly the key prefix; EPOCH = 16 lowercase hex
// digits (EncodeEpoch in redis_reply.h).
//
// prepare: EVALSHA sha 2 <key> META <ballot> EPOCH
//          -> {'ok', accepted, value} | {'conflict', ballot} | {'invalid', what, found}
//             | {'fenced', e, c}
// accept:  EVALSHA sha 2 <key> META <ballot> <value> <next ballot or 32 zeros> EPOCH
//          -> {'ok'} | {'conflict', ballot} | {'invalid', what, found} | {'fenced', e, c}
// batch:   EVALSHA sha n+1 <key1..keyn> META then per call: 'p'|'a', ballot, value, next, EPOCH
//          -> one reply per call, as above (the calls of one loop turn in one run; the meta
//             record is read once per run)
// fence:   EVALSHA sha 1 META EPOCH <config>
//          -> {e, c} after raising e to EPOCH (and c to config) if EPOCH > e; EPOCH 0 reads.
// 'invalid' means the key is not a Gryadka register: what = 'type' (found = the Redis type of
// the key) or the field name 'p'/'a' (found = its content, not a ballot). 'fenced' means the
// call's EPOCH < e (the meta record's minimum epoch; c = the configuration stored with it): the
// register was neither read nor written. A meta record that is not a hash, or whose e is not an
// epoch, fails every script call with a Redis error.
#pragma once

#include <string_view>

namespace gryadka::acceptor {

std::string_view PrepareScript();
std::string_view AcceptScript();
std::string_view BatchScript();
std::string_view FenceScript();

}  // namespace gryadka::acceptor
