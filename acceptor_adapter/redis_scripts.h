// The acceptor's Lua scripts (acceptor_adapter/lua/: common.lua prepended to prepare.lua,
// accept.lua and batch.lua), embedded into the binary at build time. Pure data; thread-safe.
//
// prepare: EVALSHA sha 1 <key> <ballot>
//          -> {'ok', accepted, value} | {'conflict', ballot} | {'invalid', what, found}
// accept:  EVALSHA sha 1 <key> <ballot> <value> <next ballot or 32 zeros>
//          -> {'ok'} | {'conflict', ballot} | {'invalid', what, found}
// batch:   EVALSHA sha n <key1..keyn> then per call: 'p'|'a', ballot, value, next
//          -> one reply per call, as above (the calls of one loop turn in one run)
// 'invalid' means the key is not a Gryadka register: what = 'type' (found = the Redis type of
// the key) or the field name 'p'/'a' (found = its content, not a ballot).
#pragma once

#include <string_view>

namespace gryadka::acceptor {

std::string_view PrepareScript();
std::string_view AcceptScript();
std::string_view BatchScript();

}  // namespace gryadka::acceptor
