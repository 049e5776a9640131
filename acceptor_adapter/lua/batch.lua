-- batch(KEYS[1..n] = register keys, KEYS[n+1] = meta key, ARGV = 5 per call: kind 'p' or 'a',
-- ballot, value, next ballot or ZERO, epoch): the calls of one loop turn in one script run, in
-- order; returns one reply per call, each as prepare.lua or accept.lua would. The meta record
-- is read once per run. Keys may repeat (calls run one after another).
local n = #KEYS - 1
if n < 1 or #ARGV ~= 5 * n then
  error('gryadka batch script: expected register keys, the meta key, and 5 arguments per call')
end
local f = read_fence(KEYS[n + 1])
local out = {}
for i = 1, n do
  local j = (i - 1) * 5
  local refusal = fenced(f, ARGV[j + 5])
  if refusal then
    out[i] = refusal
  elseif ARGV[j + 1] == 'p' then
    out[i] = prepare(KEYS[i], ARGV[j + 2])
  else
    out[i] = accept(KEYS[i], ARGV[j + 2], ARGV[j + 3], ARGV[j + 4])
  end
end
return out
