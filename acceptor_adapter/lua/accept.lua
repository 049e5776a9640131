-- accept(KEYS[1], ARGV[1] = ballot, ARGV[2] = value, ARGV[3] = next ballot or ZERO): see
-- accept() in common.lua.
return accept(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
