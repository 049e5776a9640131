-- prepare(KEYS[1] = register key, KEYS[2] = meta key, ARGV[1] = ballot, ARGV[2] = epoch):
-- {'fenced', e, c} when the epoch is below the meta record's e, else see prepare() in
-- common.lua.
return fenced(read_fence(KEYS[2]), ARGV[2]) or prepare(KEYS[1], ARGV[1])
