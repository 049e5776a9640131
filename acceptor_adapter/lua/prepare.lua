
-- prepare(KEYS[1], ARGV[1] = ballot b):
--   b <= promised or b <= accepted -> {'conflict', max(promised, accepted)}
--   else promised = b              -> {'ok', accepted, value}
local b = ARGV[1]
check_ballot_arg(b)
local reg, refusal = read_register(KEYS[1])
if not reg then return refusal end
if not less(reg.p, b) or not less(reg.a, b) then
  return {'conflict', highest(reg)}
end
redis.call('HSET', KEYS[1], 'p', b)
return {'ok', reg.a, reg.v}
