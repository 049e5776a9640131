-- batch(KEYS[1..n], ARGV = 4 per call: kind 'p' or 'a', ballot, value, next ballot or ZERO):
-- the calls of one loop turn in one script run, in order; returns one reply per call, each as
-- prepare() or accept() in common.lua would. Keys may repeat (calls run one after another).
if #ARGV ~= 4 * #KEYS then
  error('gryadka batch script: expected 4 arguments per key')
end
local out = {}
for i = 1, #KEYS do
  local j = (i - 1) * 4
  if ARGV[j + 1] == 'p' then
    out[i] = prepare(KEYS[i], ARGV[j + 2])
  else
    out[i] = accept(KEYS[i], ARGV[j + 2], ARGV[j + 3], ARGV[j + 4])
  end
end
return out
