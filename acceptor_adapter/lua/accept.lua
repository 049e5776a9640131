-- accept(KEYS[1] = register key, KEYS[2] = meta key, ARGV[1] = ballot, ARGV[2] = value,
-- ARGV[3] = next ballot or ZERO, ARGV[4] = epoch): {'fenced', e, c} when the epoch is below the
-- meta record's e, else see accept() in common.lua.
return fenced(read_fence(KEYS[2]), ARGV[4]) or accept(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
