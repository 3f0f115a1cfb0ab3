/**
 * The shared store: many replicas, one Redis. Every Store method is exactly ONE round trip: one
 * EVALSHA of an atomic Lua script (ioredis `defineCommand`: EVAL the first time on a connection,
 * EVALSHA after, re-EVAL on NOSCRIPT), except `release`, which is a single ZREM.
 *
 * Time: the scripts read `redis.call('TIME')`, never the replica's clock, so replicas with skewed
 * clocks still agree. (Redis >= 5 replicates scripts by effects, so TIME before writes is allowed.)
 * The math mirrors src/limits/gcra.ts line by line; change both together.
 *
 * Keys: `${prefix}:{${tag}}:${type}:${logicalKey}` where tag = the logical key's first two
 * colon-separated segments ("key:acme-prod:cost" -> "key:acme-prod", "ip:203.0.113.9:rps" ->
 * "ip:203.0.113.9"). The tag is a function of the logical key ALONE, so a logical key always maps to
 * the same Redis key whatever else is in the call (otherwise limits would leak across calls).
 * Outside Cluster one script may touch keys of several tags. In Cluster mode (`cluster: true`) Redis
 * refuses that (CROSSSLOT), so the store rejects such a call up front with a clear Error, and the
 * gateway must call consume()/adjust() once per scope (IP scope, key scope): all keys of one scope
 * share its tag. (IPv6 "ip:2001:db8::1:x" tags as "ip:2001": still consistent, just coarser slots.)
 *
 * Failure: no offline queue, no retries, a command timeout, and our own deadline on top, so every
 * call settles within ~commandTimeoutMs as StoreUnavailableError even while Redis is down or
 * blackholed; ioredis keeps reconnecting in the background so recovery needs no restart. A call that
 * timed out may still have been applied by Redis (it was sent); it is never re-sent.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { checkBucketOp, checkBudget, checkBudgetOp, checkLease, checkLimit } from '../gcra.js';
import {
  StoreUnavailableError, type Adjustment, type BucketOp, type BudgetAdjustment, type BudgetOp, type ConsumeResult, type LeaseResult, type OpResult,
  type Store,
} from './types.js';

export interface RedisStoreOptions {
  url: string;
  /** Per-command deadline; default 50 ms. */
  commandTimeoutMs?: number;
  /** Key prefix; default "mg". */
  keyPrefix?: string;
  /** TCP connect timeout; default 1000 ms. */
  connectTimeoutMs?: number;
  /** Redis Cluster: connect with the cluster client and refuse calls that mix hash tags. */
  cluster?: boolean;
}

export type RedisStore = Store & {
  /** Connected and ready to answer. */
  ready(): boolean;
  /** Resolves true once ready (false after `timeoutMs`). */
  waitReady(timeoutMs: number): Promise<boolean>;
  /** Connection-level errors seen so far (they are not logged here; export as a metric if wanted). */
  errorCount(): number;
};

// Shared Lua prelude: server time, float-safe formatting (Lua->Redis integer replies truncate, so
// every number goes back as a string), and the GCRA / sliding-window / budget math of gcra.ts.
const PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end
local EPS, EPSU, MARGIN = 0.001, 1e-9, 1000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function nn(x) if x > 0 then return x end return 0 end
local function f(x) return string.format('%.17g', x) end
local function gcra(tat, rate, per, burst, cost)
  local T = per / rate
  local tol = burst * T
  local base = math.max(tat or now, now)
  local reset0 = nn(math.ceil(base - now - EPS))
  if cost > burst then return false, tat, 0, -1, reset0 end
  local cand = base + cost * T
  local diff = cand - now
  if diff <= tol + EPS then return true, cand, nn(math.floor((tol - diff + EPS) / T)), 0, nn(math.ceil(diff - EPS)) end
  return false, tat, 0, math.ceil(diff - tol - EPS), reset0
end
local function gcra_peek(tat, rate, per, burst)
  local T = per / rate
  local used = math.max(tat or now, now) - now
  return nn(math.floor((burst * T - used + EPS) / T)), nn(math.ceil(used - EPS))
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

// KEYS: bucket keys then budget keys. ARGV: nBuckets, 5 per bucket (kind g|w, rate, periodMs,
// burst, cost), 3 per budget (limit, periodMs, cost). Stages every op (so ops on one key see each
// other), writes only if all allow. Reply: allAllowed, then 5 strings per op
// (allowed, remaining, retryAfterMs, resetMs, windowStart).
const CONSUME = `${PRELUDE}
local nb = tonumber(ARGV[1])
local st, orig, res, all, a = {}, {}, {}, true, 2
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
return out
`;

// KEYS: bucket keys then budget keys. ARGV: nBuckets, 4 per bucket (kind, rate, periodMs, delta),
// 3 per budget (periodMs, delta, windowStart). Never refuses; never fuller than full / below zero.
const ADJUST = `${PRELUDE}
local nb, a = tonumber(ARGV[1]), 2
for i = 1, #KEYS do
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
return '1'
`;

// KEYS[1] = lease ZSET (member leaseId, score expiry ms). ARGV: leaseId, limit, ttlMs.
const ACQUIRE = `${PRELUDE}
local k, id, limit, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', k, '-inf', f(now))
local held = redis.call('ZSCORE', k, id)
local n = redis.call('ZCARD', k)
local ok = 0
if held or n < limit then
  redis.call('ZADD', k, f(now + ttl), id)
  if not held then n = n + 1 end
  ok = 1
end
if n > 0 then
  -- the set lives as long as its longest lease (a short lease must not cut a long one)
  local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', k, math.ceil(tonumber(top[2]) - now) + MARGIN)
end
return { ok, n }
`;

// KEYS[1] = budget hash; ARGV[1] = periodMs.
const SPENT = `${PRELUDE}
local per = tonumber(ARGV[1])
return f(load_spent(KEYS[1], math.floor(now / per) * per))
`;

/** The Lua sources (exported for tests and review). */
export const REDIS_SCRIPTS = { consume: CONSUME, adjust: ADJUST, acquire: ACQUIRE, spent: SPENT } as const;

/** Hash tag of a logical key: its first two colon-separated segments, braces neutralised. */
export function hashTag(logicalKey: string): string {
  const parts = logicalKey.split(':');
  const tag = (parts.length >= 2 ? `${parts[0]}:${parts[1]}` : logicalKey).replace(/[{}]/g, '_');
  return tag.length > 0 ? tag : '_';
}

type Script = (...args: (string | number)[]) => Promise<unknown>;
interface Client {
  status: string;
  defineCommand(name: string, def: { lua: string }): void;
  zrem(key: string, member: string): Promise<number>;
  disconnect(): void;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  mgConsume: Script;
  mgAdjust: Script;
  mgAcquire: Script;
  mgSpent: Script;
}

function num(v: unknown): number {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new Error(`unexpected reply value ${String(v)}`);
  return n;
}
function arr(v: unknown, min: number): unknown[] {
  if (!Array.isArray(v) || v.length < min) throw new Error('unexpected reply shape');
  return v;
}

export function createRedisStore(opts: RedisStoreOptions): RedisStore {
  const timeoutMs = opts.commandTimeoutMs ?? 50;
  const prefix = opts.keyPrefix ?? 'mg';
  const cluster = opts.cluster === true;
  // Reconnect forever, backing off to 1 s: recovery needs no restart.
  const retry = (times: number): number => Math.min(times * 50, 1000);
  const common: RedisOptions = {
    enableOfflineQueue: false, // while down, fail at once instead of queueing
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false, // a timed-out consume must not be charged again later
    commandTimeout: timeoutMs,
    connectTimeout: opts.connectTimeoutMs ?? 1000,
    lazyConnect: false,
  };
  let raw: Redis | Cluster;
  if (cluster) {
    const u = new URL(opts.url);
    // Node connections must keep their offline queue: the cluster client sends to them before
    // they are connected (it forces lazyConnect). Failing fast is the cluster level's job.
    const { enableOfflineQueue: _q, ...nodeOptions } = common;
    raw = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      slotsRefreshTimeout: opts.connectTimeoutMs ?? 1000,
      redisOptions: {
        ...nodeOptions,
        ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
        ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
        ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    });
  } else {
    raw = new Redis(opts.url, { ...common, retryStrategy: retry });
  }
  const client = raw as unknown as Client;
  let errors = 0;
  // ioredis prints unhandled 'error' events; count them instead (callers see StoreUnavailableError).
  client.on('error', () => { errors++; });
  if (cluster) client.on('node error', () => { errors++; });
  client.defineCommand('mgConsume', { lua: CONSUME });
  client.defineCommand('mgAdjust', { lua: ADJUST });
  client.defineCommand('mgAcquire', { lua: ACQUIRE });
  client.defineCommand('mgSpent', { lua: SPENT });
  let closed = false;

  const rkey = (type: string, key: string): string => `${prefix}:{${hashTag(key)}}:${type}:${key}`;
  const bucketKey = (op: { key: string; limit: { kind: string } }): string => rkey(op.limit.kind === 'gcra' ? 'b' : 'w', op.key);
  const budgetKey = (key: string, periodMs: number): string => rkey(`g:${periodMs}`, key);

  function sameTag(keys: string[]): void {
    if (!cluster) return;
    const tags = new Set(keys.map(hashTag));
    if (tags.size > 1) {
      throw new Error(`redis store (cluster mode): one call may only touch keys of one hash tag, got ${[...tags].map((t) => `{${t}}`).join(', ')}; call once per scope`);
    }
  }

  /** Run one command under our own deadline; every failure becomes StoreUnavailableError. */
  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (closed) throw new StoreUnavailableError('redis store is closed');
    if (client.status !== 'ready') throw new StoreUnavailableError(`redis not ready (${client.status})`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // Slack over ioredis's own commandTimeout so its (more precise) error normally wins.
      timer = setTimeout(() => reject(new StoreUnavailableError(`redis ${what} timed out after ${timeoutMs} ms`)), timeoutMs + 20);
    });
    try {
      return await Promise.race([run(), deadline]);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`redis ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  function parseOp(reply: unknown[], i: number, key: string, budget: boolean): OpResult {
    const b = 1 + i * 5;
    const r: OpResult = {
      key, allowed: reply[b] === '1', remaining: num(reply[b + 1]), retryAfterMs: num(reply[b + 2]), resetMs: num(reply[b + 3]),
    };
    if (budget) r.windowStart = num(reply[b + 4]);
    return r;
  }

  return {
    kind: 'redis',

    async consume(buckets: BucketOp[], budgets: BudgetOp[]): Promise<ConsumeResult & { budgetWindowStart: number }> {
      buckets.forEach(checkBucketOp);
      budgets.forEach(checkBudgetOp);
      if (buckets.length + budgets.length === 0) return { allowed: true, buckets: [], budgets: [], budgetWindowStart: 0 };
      sameTag([...buckets.map((o) => o.key), ...budgets.map((o) => o.key)]);
      const keys = [...buckets.map(bucketKey), ...budgets.map((o) => budgetKey(o.key, o.periodMs))];
      const args: (string | number)[] = [buckets.length];
      for (const o of buckets) {
        args.push(o.limit.kind === 'gcra' ? 'g' : 'w', o.limit.rate, o.limit.periodMs, o.limit.kind === 'gcra' ? o.limit.burst : 0, o.cost);
      }
      for (const o of budgets) args.push(o.limit, o.periodMs, o.cost);
      const reply = arr(await call('consume', () => client.mgConsume(keys.length, ...keys, ...args)), 1 + keys.length * 5);
      const bucketResults = buckets.map((o, i) => parseOp(reply, i, o.key, false));
      const budgetResults = budgets.map((o, i) => parseOp(reply, buckets.length + i, o.key, true));
      return { allowed: reply[0] === '1', buckets: bucketResults, budgets: budgetResults, budgetWindowStart: budgetResults[0]?.windowStart ?? 0 };
    },

    async adjust(buckets: Adjustment[], budgets: BudgetAdjustment[]): Promise<void> {
      for (const a of buckets) {
        checkLimit(a.key, a.limit);
        if (!Number.isFinite(a.delta)) throw new RangeError(`${a.key}: delta must be finite`);
      }
      for (const b of budgets) checkBudget(b.key, b.periodMs, b.delta, 'delta');
      if (buckets.length + budgets.length === 0) return;
      sameTag([...buckets.map((o) => o.key), ...budgets.map((o) => o.key)]);
      const keys = [...buckets.map(bucketKey), ...budgets.map((o) => budgetKey(o.key, o.periodMs))];
      const args: (string | number)[] = [buckets.length];
      for (const a of buckets) args.push(a.limit.kind === 'gcra' ? 'g' : 'w', a.limit.rate, a.limit.periodMs, a.delta);
      for (const b of budgets) args.push(b.periodMs, b.delta, b.windowStart);
      await call('adjust', () => client.mgAdjust(keys.length, ...keys, ...args));
    },

    async acquire(key: string, leaseId: string, limit: number, ttlMs: number): Promise<LeaseResult> {
      checkLease(key, leaseId, limit, ttlMs);
      const reply = arr(await call('acquire', () => client.mgAcquire(1, rkey('l', key), leaseId, limit, ttlMs)), 2);
      return { acquired: num(reply[0]) === 1, inUse: num(reply[1]) };
    },

    async release(key: string, leaseId: string): Promise<void> {
      await call('release', () => client.zrem(rkey('l', key), leaseId));
    },

    async budgetSpent(key: string, periodMs: number): Promise<number> {
      checkBudget(key, periodMs, 0, 'cost');
      return num(await call('budgetSpent', () => client.mgSpent(1, budgetKey(key, periodMs), periodMs)));
    },

    async close(): Promise<void> {
      closed = true;
      client.disconnect();
    },

    ready: () => !closed && client.status === 'ready',
    async waitReady(waitMs: number): Promise<boolean> {
      const until = Date.now() + waitMs;
      while (!closed && client.status !== 'ready' && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return !closed && client.status === 'ready';
    },
    errorCount: () => errors,
  };
}
