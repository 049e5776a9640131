-- prepare(KEYS[1], ARGV[1] = ballot): see prepare() in common.lua.
return prepare(KEYS[1], ARGV[1])
