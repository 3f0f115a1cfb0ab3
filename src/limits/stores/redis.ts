/**
 * The shared store: many replicas, one Redis. Every Store method is ONE round trip: one EVALSHA of
 * an atomic Lua script (src/limits/stores/redis-scripts.ts; the scripts are loaded with SCRIPT LOAD
 * when the connection becomes ready, and a NOSCRIPT answer is re-sent once as EVAL), except
 * `release`, which is a single ZREM.
 *
 * Time: the scripts read `redis.call('TIME')`, never the replica's clock, so replicas with skewed
 * clocks still agree. (Redis >= 5 replicates scripts by effects, so TIME before writes is allowed.)
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
 * Exact decisions (see notes in deadline.ts and clock-offset.ts):
 *   - A reply that arrived counts: one deadline of our own (no ioredis commandTimeout), whose
 *     verdict waits for the poll phase of the loop turn in which it fires.
 *   - What we gave up on consumes nothing: consume and acquire carry the deadline converted to
 *     Redis time with a lower-bound clock offset, and the script refuses to write past it; a
 *     decision that Redis applied just before its deadline but that we had already given up on is
 *     undone (compensated once, idempotently, retried in the background); an acquire given up on
 *     or lost with its connection is followed by a ZREM (same connection: ordered after it),
 *     retried after reconnect until the lease's TTL would have freed it anyway.
 *
 * Failure: no offline queue, no retries of decisions, so every call settles within ~timeoutMs as
 * StoreUnavailableError even while Redis is down or blackholed; ioredis keeps reconnecting in the
 * background so recovery needs no restart.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { checkBucketOp, checkBudget, checkBudgetOp, checkLease, checkLimit } from '../gcra.js';
import { ClockOffset, monoNow } from './clock-offset.js';
import { Repairs, withDeadline } from './deadline.js';
import { REDIS_SCRIPTS, SCRIPT_SHAS, type ScriptName } from './redis-scripts.js';
import {
  StoreUnavailableError, type Adjustment, type BucketOp, type BudgetAdjustment, type BudgetOp, type ConsumeResult, type LeaseResult, type OpResult,
  type Store,
} from './types.js';

/** Default store deadline: see notes/redis.md (burst exact with `stress-ng --cpu 2` beside it). */
export const DEFAULT_STORE_TIMEOUT_MS = 500;
/** How long a compensation (undoing a decision given up on) is retried. */
const COMPENSATE_FOR_MS = 60_000;

export interface RedisStoreOptions {
  url: string;
  /** The deadline of every call (ms), the store timeout; default DEFAULT_STORE_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  /** Key prefix; default "mg". */
  keyPrefix?: string;
  /** TCP connect timeout; default 1000 ms. */
  connectTimeoutMs?: number;
  /** Redis Cluster: connect with the cluster client and refuse calls that mix hash tags. */
  cluster?: boolean;
  /**
   * Send decisions their deadline in Redis time (default true). Tests turn it off to exercise the
   * second line of defence (compensation of a decision applied after it was given up on).
   */
  redisDeadline?: boolean;
}

export type RedisStore = Store & {
  /** Connected and ready to answer. */
  ready(): boolean;
  /** Resolves true once ready and the clock offset is seeded (false after `timeoutMs`). */
  waitReady(timeoutMs: number): Promise<boolean>;
  /** Connection-level errors seen so far (they are not logged here; export as a metric if wanted). */
  errorCount(): number;
  /** Background repairs (compensations, releases of lost leases) not yet done / abandoned. */
  repairs(): { pending: number; abandoned: number };
  /** Lower bound of (Redis time − local monotonic time), ms; null before the first sample. */
  clockOffset(): number | null;
};

export { REDIS_SCRIPTS };

/** Hash tag of a logical key: its first two colon-separated segments, braces neutralised. */
export function hashTag(logicalKey: string): string {
  const parts = logicalKey.split(':');
  const tag = (parts.length >= 2 ? `${parts[0]}:${parts[1]}` : logicalKey).replace(/[{}]/g, '_');
  return tag.length > 0 ? tag : '_';
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

interface Client {
  status: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  disconnect(): void;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
}

type Reply = unknown[];

export function createRedisStore(opts: RedisStoreOptions): RedisStore {
  const timeoutMs = opts.commandTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const prefix = opts.keyPrefix ?? 'mg';
  const cluster = opts.cluster === true;
  // Reconnect forever, backing off to 1 s: recovery needs no restart.
  const retry = (times: number): number => Math.min(times * 50, 1000);
  const common: RedisOptions = {
    enableOfflineQueue: false, // while down, fail at once instead of queueing
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false, // a decision given up on must not be applied later
    // No commandTimeout: ioredis would reject in the timers phase, before reading a reply that is
    // already in the socket (withDeadline judges after the poll phase instead).
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
  const offset = new ClockOffset();
  const repairs = new Repairs({ now: monoNow });
  let errors = 0;
  let seeded = false;
  let closed = false;
  // ioredis prints unhandled 'error' events; count them instead (callers see StoreUnavailableError).
  client.on('error', () => { errors++; });
  if (cluster) client.on('node error', () => { errors++; });
  client.on('ready', () => { void seed(); });
  client.on('close', () => { seeded = false; });

  /** On every (re)connect: seed the clock offset (TIME) and load the scripts (not slower at first). */
  async function seed(): Promise<void> {
    offset.reset();
    try {
      // Cluster: EVALSHA falls back to EVAL per node on NOSCRIPT; loading on each node is not needed.
      const loads = Promise.all(cluster ? [] : Object.values(REDIS_SCRIPTS).map((lua) => client.call('script', 'load', lua)));
      loads.catch(() => undefined); // awaited below; may reject first if TIME fails
      const sentAt = monoNow();
      const t = arr(await client.call('time'), 2);
      offset.sample(sentAt, monoNow(), num(t[0]) * 1000 + num(t[1]) / 1000);
      await loads;
      seeded = client.status === 'ready';
    } catch {
      // Connection lost while seeding: the next 'ready' seeds again; calls work unseeded (no deadline).
    }
  }

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

  function usable(): void {
    if (closed) throw new StoreUnavailableError('redis store is closed');
    if (client.status !== 'ready') throw new StoreUnavailableError(`redis not ready (${client.status})`);
  }

  function unavailable(what: string, err: unknown): StoreUnavailableError {
    if (err instanceof StoreUnavailableError) return err;
    return new StoreUnavailableError(`redis ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  async function evalScript(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.call('evalsha', SCRIPT_SHAS[name], keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return client.call('eval', REDIS_SCRIPTS[name], keys.length, ...keys, ...args);
    }
  }

  interface ScriptCall {
    what: string;
    name: ScriptName;
    keys: string[];
    args: (string | number)[];
    /** Send our deadline (in Redis time) as the first argument. */
    deadline?: boolean;
    /** A reply that arrived after we gave up, and that did not expire on Redis. */
    late?: (reply: Reply) => void;
    lost?: () => void;
  }

  /** One script call under the store deadline; every failure becomes StoreUnavailableError. */
  async function script(c: ScriptCall): Promise<Reply> {
    usable();
    const sentAt = monoNow();
    const args = c.deadline === true ? [opts.redisDeadline === false ? 0 : offset.deadline(sentAt, timeoutMs), ...c.args] : c.args;
    const reply = evalScript(c.name, c.keys, args).then((r) => {
      const a = arr(r, 2);
      offset.sample(sentAt, monoNow(), num(a[a.length - 1]));
      return a;
    });
    let a: Reply;
    try {
      a = await withDeadline({
        timeoutMs,
        reply,
        timeoutError: () => new StoreUnavailableError(`redis ${c.what} timed out after ${timeoutMs} ms`),
        late: (r) => { if (r[0] !== 'x') c.late?.(r); },
        ...(c.lost ? { lost: c.lost } : {}),
      });
    } catch (err) {
      throw unavailable(c.what, err);
    }
    if (a[0] === 'x') throw new StoreUnavailableError(`redis ${c.what}: reached Redis after its deadline`);
    return a;
  }

  function parseOp(reply: Reply, i: number, key: string, budget: boolean): OpResult {
    const b = 1 + i * 5;
    const r: OpResult = {
      key, allowed: reply[b] === '1', remaining: num(reply[b + 1]), retryAfterMs: num(reply[b + 2]), resetMs: num(reply[b + 3]),
    };
    if (budget) r.windowStart = num(reply[b + 4]);
    return r;
  }

  function adjustArgs(buckets: Adjustment[], budgets: BudgetAdjustment[]): { keys: string[]; args: (string | number)[] } {
    const keys = [...buckets.map(bucketKey), ...budgets.map((o) => budgetKey(o.key, o.periodMs))];
    const args: (string | number)[] = [buckets.length];
    for (const a of buckets) args.push(a.limit.kind === 'gcra' ? 'g' : 'w', a.limit.rate, a.limit.periodMs, a.delta);
    for (const b of budgets) args.push(b.periodMs, b.delta, b.windowStart);
    return { keys, args };
  }

  /** Undo a decision applied after we gave up on it: at most once (a marker key), retried. */
  function compensate(buckets: BucketOp[], budgets: BudgetOp[], reply: Reply): void {
    if (reply[0] !== '1') return; // refused: nothing was written
    const undo = adjustArgs(
      buckets.map((o) => ({ key: o.key, limit: o.limit, delta: -o.cost })),
      budgets.map((o, i) => ({ key: o.key, periodMs: o.periodMs, delta: -o.cost, windowStart: num(reply[1 + (buckets.length + i) * 5 + 4]) })),
    );
    const first = buckets[0]?.key ?? budgets[0]?.key ?? '_';
    const marker = rkey('once', `${hashTag(first)}:${randomUUID()}`);
    void repairs.run(async () => {
      await script({ what: 'compensate', name: 'adjust', keys: [...undo.keys, marker], args: ['1', ...undo.args] });
    }, COMPENSATE_FOR_MS);
  }

  async function zrem(key: string, leaseId: string): Promise<void> {
    usable();
    try {
      await withDeadline({
        timeoutMs,
        reply: client.call('zrem', rkey('l', key), leaseId),
        timeoutError: () => new StoreUnavailableError(`redis release timed out after ${timeoutMs} ms`),
      });
    } catch (err) {
      throw unavailable('release', err);
    }
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
      const reply = await script({
        what: 'consume', name: 'consume', keys, args, deadline: true, late: (r) => { compensate(buckets, budgets, r); },
      });
      if (reply.length < 2 + keys.length * 5) throw new StoreUnavailableError('redis consume: unexpected reply shape');
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
      const { keys, args } = adjustArgs(buckets, budgets);
      await script({ what: 'adjust', name: 'adjust', keys, args: ['0', ...args] });
    },

    async acquire(key: string, leaseId: string, limit: number, ttlMs: number): Promise<LeaseResult> {
      checkLease(key, leaseId, limit, ttlMs);
      const reply = await script({
        what: 'acquire', name: 'acquire', keys: [rkey('l', key)], args: [leaseId, limit, ttlMs], deadline: true,
        // Given up on, or its connection died: release it (a ZREM on the same connection is
        // ordered after the acquire), retried after reconnect until the TTL has freed it anyway.
        lost: () => { void repairs.run(() => zrem(key, leaseId), ttlMs); },
      });
      return { acquired: num(reply[0]) === 1, inUse: num(reply[1]) };
    },

    async refresh(key: string, leaseIds: string[], ttlMs: number): Promise<number> {
      for (const id of leaseIds) checkLease(key, id, 0, ttlMs);
      if (leaseIds.length === 0) return 0;
      const reply = await script({ what: 'refresh', name: 'refresh', keys: [rkey('l', key)], args: [ttlMs, ...leaseIds] });
      return num(reply[0]);
    },

    async release(key: string, leaseId: string): Promise<void> {
      await zrem(key, leaseId);
    },

    async budgetSpent(key: string, periodMs: number): Promise<number> {
      checkBudget(key, periodMs, 0, 'cost');
      return num((await script({ what: 'budgetSpent', name: 'spent', keys: [budgetKey(key, periodMs)], args: [periodMs] }))[0]);
    },

    async close(): Promise<void> {
      closed = true;
      repairs.close();
      client.disconnect();
    },

    ready: () => !closed && client.status === 'ready',
    async waitReady(waitMs: number): Promise<boolean> {
      const until = Date.now() + waitMs;
      while (!closed && !(client.status === 'ready' && seeded) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return !closed && client.status === 'ready';
    },
    errorCount: () => errors,
    repairs: () => ({ pending: repairs.pending(), abandoned: repairs.abandoned() }),
    clockOffset: () => offset.low(monoNow()),
  };
}
