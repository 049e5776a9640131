-- fence(KEYS[1] = meta key, ARGV[1] = epoch, ARGV[2] = config): see fence() in common.lua.
-- Epoch '0000000000000000' only reads the fencing state.
return fence(KEYS[1], ARGV[1], ARGV[2])
