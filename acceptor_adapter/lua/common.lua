-- Shared prelude of the Gryadka acceptor scripts (prepended to prepare.lua, accept.lua,
-- batch.lua and fence.lua at build time). Semantics: proposer/core/messages.h; the in-memory
-- twin: memory_acceptor.cc.
--
-- A register is ONE hash at its key: p = promised ballot, a = accepted ballot, v = accepted
-- value (bytes). A missing field is the zero ballot / the empty value. Ballots are
-- Ballot::Encode(): exactly 32 lowercase hex digits, so byte order is numeric order.
--
-- The meta record is ONE hash at exactly the key prefix (never a register: user keys are at
-- least one byte): e = the minimum epoch E, c = the configuration stored with it (bytes). A
-- missing e is epoch 0, a missing c the empty string. Epochs (stored and in arguments) are
-- exactly 16 lowercase hex digits, so byte order is numeric order here too.

local ZERO = '00000000000000000000000000000000'
local ZERO_EPOCH = '0000000000000000'

local find, sub, tonumber = string.find, string.sub, tonumber

-- The hot path (accept and prepare, per call) tests ballots inline, `#s == 32 and not find(s,
-- NOT_HEX)`, rather than through a helper like is_epoch: a Lua function call costs about as
-- much as the test itself.
local NOT_HEX = '[^0-9a-f]'
local function is_epoch(s) return #s == 16 and not find(s, NOT_HEX) end

-- x < y. REQUIRES: x and y are both ballots or both epochs (equal lengths, lowercase hex: every
-- argument and stored field is checked before it is compared). Compares 8-digit chunks as
-- numbers (exact: 32 bits each), so the order is byte order whatever the locale (Lua's `<` on
-- strings calls strcoll, and redis-server takes LC_COLLATE from its environment), at a third
-- of the cost of a byte-by-byte loop in Lua: ballots of one key usually differ in their second
-- chunk, the low digits of the counter.
local function less(x, y)
  if x == y then return false end
  for i = 1, #x, 8 do
    local a, b = tonumber(sub(x, i, i + 7), 16), tonumber(sub(y, i, i + 7), 16)
    if a ~= b then return a < b end
  end
  return false
end

local function highest(p, a)
  if less(p, a) then return a end
  return p
end

-- Returns the register at `key` as p, a, v (three values, no table: this runs once per call),
-- or nil and the reply to give instead (v is read only when `with_value`; accept does not need
-- it, and it may be large): {'invalid', 'type', <redis type>} when the key holds
-- another Redis type (HMGET raised WRONGTYPE), {'invalid', <field>, <content>} when p or a is
-- not a ballot. `checked` is a ballot already checked (the call's own): a field equal to it is
-- not checked again (in the one-round-trip steady state the promise is the accept's ballot).
local function read_register(key, checked, with_value)
  local r
  if with_value then
    r = redis.pcall('HMGET', key, 'p', 'a', 'v')
  else
    r = redis.pcall('HMGET', key, 'p', 'a')
  end
  if r.err then
    local t = redis.call('TYPE', key).ok
    -- Any error but WRONGTYPE (e.g. NOPERM from an ACL that lacks HMGET) is passed on as is.
    if t ~= 'hash' and t ~= 'none' then return nil, {'invalid', 'type', t} end
    return nil, redis.error_reply(r.err)
  end
  local p, a = r[1] or ZERO, r[2] or ZERO
  if p ~= checked and (#p ~= 32 or find(p, NOT_HEX)) then return nil, {'invalid', 'p', p} end
  if a ~= checked and (#a ~= 32 or find(a, NOT_HEX)) then return nil, {'invalid', 'a', a} end
  return p, a, r[3] or ''
end

local function bad_ballot_arg()
  error('gryadka acceptor script: ballot argument is not 32 lowercase hex digits')
end

local function check_epoch_arg(s)
  if not is_epoch(s) then
    error('gryadka acceptor script: epoch argument is not 16 lowercase hex digits')
  end
end

-- The fencing state of the meta record at `meta`, read once per script run: {meta, e}; c is
-- read only for a refusal (it may be large). Raises an error when the record is not a hash or
-- its e is not an epoch: the acceptor then refuses every call until an operator repairs it,
-- rather than guessing.
local function read_fence(meta)
  local r = redis.pcall('HGET', meta, 'e')
  if type(r) == 'table' and r.err then
    local t = redis.call('TYPE', meta).ok
    -- Any error but WRONGTYPE (e.g. NOPERM from an ACL that lacks HGET) is passed on as is.
    if t == 'hash' or t == 'none' then error(r.err) end
    error('gryadka acceptor script: the meta record is a ' .. t .. ', not a hash')
  end
  local f = {meta = meta, e = r or ZERO_EPOCH}
  if not is_epoch(f.e) then
    error('gryadka acceptor script: field e of the meta record is not 16 lowercase hex digits')
  end
  return f
end

-- A call of `epoch` below the minimum epoch is refused before its register is read or written:
-- returns {'fenced', e, c}, or nil when the call may proceed. Fast paths (the hot path pays one
-- string comparison): an epoch equal to e (valid by read_fence's check), or equal to the last
-- one that passed in this run (a batch's calls mostly share one epoch).
local function fenced(f, epoch)
  if epoch == f.e or epoch == f.passed then return nil end
  check_epoch_arg(epoch)
  if less(epoch, f.e) then
    return {'fenced', f.e, redis.call('HGET', f.meta, 'c') or ''}
  end
  f.passed = epoch
  return nil
end

-- fence(meta, epoch, config): epoch > e -> e = epoch, c = config (never lowers e).
-- Returns {e, c} after the call; epoch 0 only reads.
local function fence(meta, epoch, config)
  check_epoch_arg(epoch)
  local f = read_fence(meta)
  if not less(f.e, epoch) then return {f.e, redis.call('HGET', meta, 'c') or ''} end
  redis.call('HSET', meta, 'e', epoch, 'c', config)
  return {epoch, config}
end

-- prepare(key, b):
--   b <= promised or b <= accepted -> {'conflict', max(promised, accepted)}
--   else promised = b              -> {'ok', accepted, value}
local function prepare(key, b)
  if #b ~= 32 or find(b, NOT_HEX) then bad_ballot_arg() end
  local p, a, v = read_register(key, b, true)
  if not p then return a end  -- a is the refusal
  if not less(p, b) or not less(a, b) then
    return {'conflict', highest(p, a)}
  end
  redis.call('HSET', key, 'p', b)
  return {'ok', a, v}
end

-- accept(key, b, value, next ballot or ZERO):
--   b < promised or b <= accepted -> {'conflict', max(promised, accepted)}
--   else accepted = b, value = value, promised = next (b if next is ZERO) -> {'ok'}
local function accept(key, b, value, next_ballot)
  if #b ~= 32 or find(b, NOT_HEX) then bad_ballot_arg() end
  if #next_ballot ~= 32 or find(next_ballot, NOT_HEX) then bad_ballot_arg() end
  local p, a = read_register(key, b, false)
  if not p then return a end  -- a is the refusal
  if less(b, p) or not less(a, b) then
    return {'conflict', highest(p, a)}
  end
  local promised = b
  if next_ballot ~= ZERO then promised = next_ballot end
  redis.call('HSET', key, 'a', b, 'v', value, 'p', promised)
  return {'ok'}
end
