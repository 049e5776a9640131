
-- accept(KEYS[1], ARGV[1] = ballot b, ARGV[2] = value, ARGV[3] = next ballot, ZERO = none):
--   b < promised or b <= accepted -> {'conflict', max(promised, accepted)}
--   else accepted = b, value = ARGV[2], promised = next (b if next is ZERO) -> {'ok'}
local b, value, next_ballot = ARGV[1], ARGV[2], ARGV[3]
check_ballot_arg(b)
check_ballot_arg(next_ballot)
local reg, refusal = read_register(KEYS[1])
if not reg then return refusal end
if less(b, reg.p) or not less(reg.a, b) then
  return {'conflict', highest(reg)}
end
local promised = b
if next_ballot ~= ZERO then promised = next_ballot end
redis.call('HSET', KEYS[1], 'a', b, 'v', value, 'p', promised)
return {'ok'}
