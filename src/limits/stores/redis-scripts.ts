/**
 * The Lua scripts of the Redis store (src/limits/stores/redis.ts). Each runs atomically, reads the
 * server clock once (TIME), and replies with an array whose LAST element is that Redis `now`: the
 * store uses it to estimate the offset between its own monotonic clock and Redis time, so that it
 * can send every decision the deadline it will wait until, in Redis time. A decision that arrives
 * past its deadline changes nothing and answers 'x' (expired).
 *
 * The math mirrors src/limits/gcra.ts line by line; change both together.
 */
import { createHash } from 'node:crypto';

// Shared Lua prelude: server time, float-safe formatting (Lua->Redis integer replies truncate, so
// every number goes back as a string), and the GCRA / sliding-window / budget math of gcra.ts.
const PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end
local EPS, EPSU, MARGIN = 0.001, 1e-9, 1000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function nn(x) if x > 0 then return x end return 0 end
local function f(x) return string.format('%.17g', x) end
-- A call carries the deadline its replica will wait until, in Redis time (0 = none): past it,
-- the replica has given up, so the script must change nothing.
local function expired(dl) return dl > 0 and now > dl end
-- A lease set lives as long as its longest lease (a short lease must not cut a long one).
local function lease_ttl(k)
  if redis.call('ZCARD', k) > 0 then
    local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
    redis.call('PEXPIRE', k, math.ceil(tonumber(top[2]) - now) + MARGIN)
  end
end
local function gcra(tat, rate, per, burst, cost)
  local T = per / rate
  local tol = burst * T
  local base = math.max(tat or now, now)
  local reset0 = nn(math.ceil(base - now - EPS))
  if cost > burst then return false, tat, 0, -1, reset0 end
  local cand = base + cost * T
  local diff = cand - now
  if diff <= tol + EPS then return true, cand, math.min(math.floor(burst), nn(math.floor((tol - diff + EPS) / T))), 0, nn(math.ceil(diff - EPS)) end
  return false, tat, 0, math.ceil(diff - tol - EPS), reset0
end
local function gcra_peek(tat, rate, per, burst)
  local T = per / rate
  local used = math.max(tat or now, now) - now
  return math.min(math.floor(burst), nn(math.floor((burst * T - used + EPS) / T))), nn(math.ceil(used - EPS))
end
local function roll(w, c, p, per)
  local idx = math.floor(now / per)
  if w == idx then return idx, c, p end
  if w == idx - 1 then return idx, 0, c end
  return idx, 0, 0
end
local function wreset(w, c, p, per)
  if c > 0 then return nn(math.ceil((w + 2) * per - now)) end
  if p > 0 then return nn(math.ceil((w + 1) * per - now)) end
  return 0
end
local function west(w, c, p, per) return p * (1 - (now - w * per) / per) + c end
local function win(w, c, p, rate, per, cost)
  local est = west(w, c, p, per)
  if cost > rate then return false, c, 0, -1, wreset(w, c, p, per) end
  if est + cost <= rate + EPSU then return true, c + cost, nn(math.floor(rate - est - cost + EPSU)), 0, wreset(w, c + cost, p, per) end
  local elapsed, wait = now - w * per, 0
  if c + cost <= rate then wait = per * (1 - (rate - c - cost) / p) - elapsed
  else wait = per - elapsed + per * (1 - (rate - cost) / c) end
  return false, c, 0, math.max(1, math.ceil(wait)), wreset(w, c, p, per)
end
local function load_win(k, per)
  local v = redis.call('HMGET', k, 'w', 'c', 'p')
  return roll(tonumber(v[1]) or -2, tonumber(v[2]) or 0, tonumber(v[3]) or 0, per)
end
local function save_win(k, w, c, p, per)
  if c > 0 or p > 0 then
    redis.call('HSET', k, 'w', f(w), 'c', f(c), 'p', f(p))
    redis.call('PEXPIRE', k, math.ceil((w + 2) * per - now) + MARGIN)
  else redis.call('DEL', k) end
end
local function save_tat(k, tat)
  if tat and tat > now then redis.call('SET', k, f(tat), 'PX', math.ceil(tat - now) + MARGIN)
  else redis.call('DEL', k) end
end
local function load_spent(k, ws)
  local v = redis.call('HMGET', k, 'w', 's')
  if tonumber(v[1]) == ws then return tonumber(v[2]) or 0 end
  return 0
end
local function save_spent(k, ws, s, per)
  redis.call('HSET', k, 'w', f(ws), 's', f(s))
  redis.call('PEXPIRE', k, math.ceil(ws + per - now) + MARGIN)
end
`;

// KEYS: bucket keys then budget keys. ARGV: deadline, nBuckets, 5 per bucket (kind g|w, rate,
// periodMs, burst, cost), 3 per budget (limit, periodMs, cost). Stages every op (so ops on one key
// see each other), writes only if all allow. Reply: allAllowed, then 5 strings per op
// (allowed, remaining, retryAfterMs, resetMs, windowStart), then now; past the deadline: 'x', now.
const CONSUME = `${PRELUDE}
if expired(tonumber(ARGV[1])) then return { 'x', f(now) } end
local nb = tonumber(ARGV[2])
local st, orig, res, all, a = {}, {}, {}, true, 3
for i = 1, #KEYS do
  local k, s, r = KEYS[i], st[KEYS[i]], nil
  if i <= nb then
    local kind, rate, per, burst, cost = ARGV[a], tonumber(ARGV[a+1]), tonumber(ARGV[a+2]), tonumber(ARGV[a+3]), tonumber(ARGV[a+4])
    a = a + 5
    if kind == 'g' then
      if s == nil then
        s = { kind = 'g', tat = tonumber(redis.call('GET', k)) }
        st[k], orig[k] = s, { tat = s.tat }
      end
      local ok, tat, rem, retry, reset = gcra(s.tat, rate, per, burst, cost)
      if ok then s.tat = tat end
      local pr, pz = gcra_peek(orig[k].tat, rate, per, burst)
      r = { ok, rem, retry, reset, 0, pr, pz }
    else
      if s == nil then
        local w, c, p = load_win(k, per)
        s = { kind = 'w', per = per, w = w, c = c, p = p }
        st[k], orig[k] = s, { c = c, p = p }
      end
      local ok, c, rem, retry, reset = win(s.w, s.c, s.p, rate, per, cost)
      s.c = c
      local o = orig[k]
      r = { ok, rem, retry, reset, 0, nn(math.floor(rate - west(s.w, o.c, o.p, per) + EPSU)), wreset(s.w, o.c, o.p, per) }
    end
  else
    local limit, per, cost = tonumber(ARGV[a]), tonumber(ARGV[a+1]), tonumber(ARGV[a+2])
    a = a + 3
    local ws = math.floor(now / per) * per
    if s == nil then
      s = { kind = 'b', per = per, w = ws, s = load_spent(k, ws) }
      st[k], orig[k] = s, { s = s.s }
    end
    local reset = nn(math.ceil(ws + per - now))
    local ok, rem, retry = false, 0, -1
    if cost <= limit then
      if s.s + cost <= limit + EPSU then ok, rem, retry = true, nn(math.floor(limit - s.s - cost + EPSU)), 0
      else retry = math.max(1, reset) end
    end
    if ok then s.s = s.s + cost end
    r = { ok, rem, retry, reset, ws, nn(math.floor(limit - orig[k].s + EPSU)), reset }
  end
  all = all and r[1]
  res[i] = r
end
if all then
  for k, s in pairs(st) do
    if s.kind == 'g' then save_tat(k, s.tat)
    elseif s.kind == 'w' then save_win(k, s.w, s.c, s.p, s.per)
    else save_spent(k, s.w, s.s, s.per) end
  end
end
local out = { all and '1' or '0' }
for i = 1, #res do
  local r = res[i]
  local rem, reset = r[2], r[4]
  if (not all) and r[1] then rem, reset = r[6], r[7] end
  out[#out + 1] = r[1] and '1' or '0'
  out[#out + 1] = f(rem)
  out[#out + 1] = f(r[3])
  out[#out + 1] = f(reset)
  out[#out + 1] = f(r[5])
end
out[#out + 1] = f(now)
return out
`;

// KEYS: bucket keys then budget keys, then (when ARGV[1] is '1') a once-marker: an adjustment
// carrying one is applied at most once however often it is retried (compensations are retried
// after timeouts, and a refund applied twice would hand out quota). ARGV: once, nBuckets, 4 per
// bucket (kind, rate, periodMs, delta), 3 per budget (periodMs, delta, windowStart). Never refuses;
// never fuller than full / below zero. Reply: '1' (or 'dup' when already applied), now.
const ADJUST = `${PRELUDE}
local nk = #KEYS
if ARGV[1] == '1' then
  nk = nk - 1
  if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', 600000) then return { 'dup', f(now) } end
end
local nb, a = tonumber(ARGV[2]), 3
for i = 1, nk do
  local k = KEYS[i]
  if i <= nb then
    local kind, rate, per, d = ARGV[a], tonumber(ARGV[a+1]), tonumber(ARGV[a+2]), tonumber(ARGV[a+3])
    a = a + 4
    if kind == 'g' then
      local tat = tonumber(redis.call('GET', k)) or now
      if d > 0 then tat = math.max(tat, now) + d * per / rate else tat = math.max(now, tat + d * per / rate) end
      save_tat(k, tat)
    else
      local w, c, p = load_win(k, per)
      if d >= 0 then c = c + d else
        local fc = math.min(-d, c)
        c, p = c - fc, nn(p - (-d - fc))
      end
      save_win(k, w, c, p, per)
    end
  else
    local per, d, ws0 = tonumber(ARGV[a]), tonumber(ARGV[a+1]), tonumber(ARGV[a+2])
    a = a + 3
    local ws = math.floor(now / per) * per
    -- only the current window is kept; corrections for a past window change no decision
    if ws == ws0 then save_spent(k, ws, nn(load_spent(k, ws) + d), per) end
  end
end
return { '1', f(now) }
`;

// KEYS[1] = lease ZSET (member leaseId, score expiry ms). ARGV: deadline, leaseId, limit, ttlMs.
// Reply: acquired 1|0, holders, now; past the deadline: 'x', now.
const ACQUIRE = `${PRELUDE}
if expired(tonumber(ARGV[1])) then return { 'x', f(now) } end
local k, id, limit, ttl = KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', k, '-inf', f(now))
local held = redis.call('ZSCORE', k, id)
local n = redis.call('ZCARD', k)
local ok = 0
if held or n < limit then
  redis.call('ZADD', k, f(now + ttl), id)
  if not held then n = n + 1 end
  ok = 1
end
lease_ttl(k)
return { tostring(ok), tostring(n), f(now) }
`;

// KEYS[1] = lease ZSET. ARGV: ttlMs, leaseIds... Extends the leases still held (ZADD XX: an
// expired or released lease is not brought back). Reply: leases extended, now.
const REFRESH = `${PRELUDE}
local k, ttl, kept = KEYS[1], tonumber(ARGV[1]), 0
redis.call('ZREMRANGEBYSCORE', k, '-inf', f(now))
for i = 2, #ARGV do
  if redis.call('ZSCORE', k, ARGV[i]) then
    redis.call('ZADD', k, 'XX', f(now + ttl), ARGV[i])
    kept = kept + 1
  end
end
lease_ttl(k)
return { tostring(kept), f(now) }
`;

// KEYS[1] = budget hash; ARGV[1] = periodMs. Reply: spent, now.
const SPENT = `${PRELUDE}
local per = tonumber(ARGV[1])
return { f(load_spent(KEYS[1], math.floor(now / per) * per)), f(now) }
`;

/** The Lua sources (exported for tests and review). Every reply is an array ending with Redis `now`. */
export const REDIS_SCRIPTS = { consume: CONSUME, adjust: ADJUST, acquire: ACQUIRE, refresh: REFRESH, spent: SPENT } as const;

export type ScriptName = keyof typeof REDIS_SCRIPTS;

/** SHA1 of each script, for EVALSHA (Redis caches scripts by it). */
export const SCRIPT_SHAS = Object.fromEntries(
  Object.entries(REDIS_SCRIPTS).map(([k, lua]) => [k, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;
