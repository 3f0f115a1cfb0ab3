/**
 * The embedded store: one replica, O(1) per op, bounded memory.
 *
 * All state lives in ONE Map whose insertion order doubles as an LRU list (every write deletes and
 * re-inserts its entry, moving it to the end). Memory is kept bounded two ways:
 *   1. Idle state is swept lazily: each call advances a persistent iterator over at most SWEEP_STEP
 *      entries and deletes the ones that no longer affect any decision (a bucket whose TAT <= now is
 *      full; a sliding window two windows old is empty; a budget of a past window is over; a lease
 *      set whose leases all expired is empty). Deleting those is exact: no decision changes. A pass
 *      over the whole map starts at most once per SWEEP_PAUSE_MS: a small map (one gateway's few
 *      keys) is not walked again and again on every call for entries that were just written.
 *   2. A hard cap `maxEntries`: beyond it, the least recently written entries are dropped. This one is
 *      NOT exact, and that is the trade-off: an evicted bucket/window comes back full, an evicted
 *      budget comes back unspent, an evicted lease set forgets its holders. Under a flood of distinct
 *      keys (e.g. spoofed per-IP scopes) the cap sacrifices the coldest keys' memory rather than the
 *      process's. Size it well above the number of keys active within one period.
 * No timers: a store with no traffic simply does not change, so nothing needs to run in background.
 */
import {
  budgetConsume, budgetPeek, budgetWindowStart, checkBucketOp, checkBudget, checkBudgetOp, checkLease, checkLimit,
  gcraAdjust, gcraConsume, gcraPeek, windowAdjust, windowConsume, windowPeek,
  type WindowState,
} from '../gcra.js';
import type { Adjustment, BucketOp, BudgetAdjustment, BudgetOp, ConsumeResult, LeaseResult, OpResult, Store } from './types.js';

export interface MemoryStoreOptions {
  /** Hard cap on stored entries (buckets + windows + budgets + lease sets). Default 1,000,000. */
  maxEntries?: number;
  /** Clock (epoch ms); injectable for tests. Default Date.now. */
  now?: () => number;
}

export type MemoryStore = Store & {
  /** Number of stored entries (for tests and metrics). */
  size(): number;
};

/**
 * A GCRA bucket — most entries — is stored as its bare TAT (a number), not an object: with the
 * flattened keys below that takes the store from ~200 to ~90 bytes per entry
 * (`npm run bench:store-memory`: 100,000 keys and 100,000 IPs).
 */
type Entry =
  | number
  | { t: 'window'; periodMs: number; state: WindowState }
  | { t: 'budget'; periodMs: number; windowStart: number; spent: number }
  | LeaseSet;

/**
 * A key's leases (id -> expiry). `soonest` is a lower bound of the expiries: no lease expires
 * before it, so a set is read for expired leases only once `now` reaches it (an acquire used to
 * walk every held lease, allocating an entry pair for each: 32 per request at 32 in flight).
 * Deleting or extending a lease keeps the bound true; it is made exact again by each purge.
 */
interface LeaseSet { t: 'lease'; leases: Map<string, number>; soonest: number }

/** Drop the expired leases of a set (exact), when the bound says one may have expired. */
function purge(e: LeaseSet, now: number): void {
  if (now < e.soonest) return;
  let soonest = Infinity;
  e.leases.forEach((exp, id) => {
    if (exp <= now) e.leases.delete(id);
    else if (exp < soonest) soonest = exp;
  });
  e.soonest = soonest;
}

const isWindow = (e: Entry | undefined): e is { t: 'window'; periodMs: number; state: WindowState } => typeof e === 'object' && e.t === 'window';

/** What a budget entry says was spent in the window that holds `now` (0: none, or another window). */
function spentIn(e: Entry | undefined, now: number, periodMs: number): number {
  return typeof e === 'object' && e.t === 'budget' && e.windowStart === budgetWindowStart(now, periodMs) ? e.spent : 0;
}

/** Entries examined per call by the lazy sweep; enough to outpace creation (<= 1 + ops per call). */
const SWEEP_STEP = 8;
/**
 * Least time (store clock) from the start of one sweep pass over the map to the start of the next.
 * A pass over a map larger than SWEEP_STEP x the calls in this time takes longer than this
 * anyway, so it never waits; a smaller map waits, and what goes idle meanwhile waits at most this
 * long more to be deleted (it changes no decision while it waits).
 */
const SWEEP_PAUSE_MS = 1000;

/** Entry is past its usefulness at `now` (deleting it changes no decision). */
function idle(e: Entry, now: number): boolean {
  if (typeof e === 'number') return e <= now;
  switch (e.t) {
    case 'window': return (e.state.window + 2) * e.periodMs <= now;
    case 'budget': return e.windowStart + e.periodMs <= now;
    case 'lease':
      purge(e, now);
      return e.leases.size === 0;
  }
}

// Map keys: a type tag first, so the same logical key used as a bucket and as a budget never clash.
const gcraKey = (key: string): string => `b|${key}`;
const windowKey = (key: string): string => `w|${key}`;
const budgetKey = (key: string, periodMs: number): string => `g|${periodMs}|${key}`;
const leaseKey = (key: string): string => `l|${key}`;

/**
 * The key as one flat string. Keys are built by concatenation (here and by the limiter), which V8
 * keeps as a tree of the pieces ("cons strings"); a Map holding such a key keeps every piece alive.
 * Converting a string to a number makes V8 flatten it in place, which is the cheapest way to get
 * there from JavaScript: about 50 bytes less per stored entry. If an engine did not flatten, only
 * that saving would be lost — the key's value is the same either way.
 */
function flat(k: string): string {
  return Number.isNaN(Number(k)) ? k : k;
}

export function createMemoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = opts.maxEntries ?? 1_000_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be an integer >= 1');
  const clock = opts.now ?? Date.now;
  const map = new Map<string, Entry>();
  // null between two passes (SWEEP_PAUSE_MS): an iterator left standing would pin old tables (below).
  let sweeper: Iterator<[string, Entry]> | null = null;
  let passStart = -Infinity;
  // Created only while the map is at its cap: a Map iterator that stops moving pins every old
  // hash table of the map in V8 (the store's delete+set writes keep making new ones), which
  // leaked ~430 bytes per decision below the cap.
  let evictor: Iterator<string> | null = null;
  let closed = false;

  function sweep(now: number): void {
    if (sweeper === null) {
      // A clock that went back (an injected one, or a stepped wall clock) starts a pass at once.
      if (now < passStart + SWEEP_PAUSE_MS && now >= passStart) return;
      sweeper = map.entries(); // Map iterators survive deletes/inserts
      passStart = now;
    }
    for (let i = 0; i < SWEEP_STEP; i++) {
      const n = sweeper.next();
      if (n.done === true) {
        sweeper = null;
        return;
      }
      const [k, e] = n.value;
      if (idle(e, now)) map.delete(k);
    }
  }

  /** Write (or delete when idle) and move to the LRU tail; enforce the hard cap. */
  function put(k: string, e: Entry, now: number): void {
    map.delete(k);
    if (idle(e, now)) return;
    map.set(flat(k), e);
    while (map.size > maxEntries) {
      // A persistent iterator, not map.keys().next(): V8 leaves deleted slots in place until a
      // rehash, so restarting from the front would rescan every tombstone (O(n) per eviction).
      // Everything before the iterator was deleted or re-inserted behind it, so its next entry is
      // always the least recently written one.
      evictor ??= map.keys();
      let oldest = evictor.next();
      if (oldest.done === true) {
        evictor = map.keys();
        oldest = evictor.next();
        if (oldest.done === true) break;
      }
      map.delete(oldest.value);
    }
    if (map.size < maxEntries) evictor = null;
  }

  function budgetSpentAt(k: string, now: number, periodMs: number): number {
    return spentIn(map.get(k), now, periodMs);
  }

  // consume()'s staged writes: the first `staged` slots of two arrays kept for the store's life,
  // not a Map per call (a call has a handful of ops, and that Map was the store's largest
  // allocation after the sweep). Shared by every call: a consume() runs from start to end without
  // awaiting anything, so no two calls use them at once.
  const stagedKeys: string[] = [];
  const stagedValues: Entry[] = [];
  let staged = 0;
  function stagedGet(k: string): Entry | undefined {
    for (let i = staged - 1; i >= 0; i--) if (stagedKeys[i] === k) return stagedValues[i];
    return undefined;
  }
  function stage(k: string, e: Entry): void {
    for (let i = 0; i < staged; i++) {
      if (stagedKeys[i] === k) {
        stagedValues[i] = e; // keeps its place: the writes go in the order of first staging
        return;
      }
    }
    stagedKeys[staged] = k;
    stagedValues[staged] = e;
    staged++;
  }

  function ensureOpen(): void {
    if (closed) throw new Error('memory store is closed');
  }

  return {
    kind: 'memory',

    async consume(buckets: BucketOp[], budgets: BudgetOp[]): Promise<ConsumeResult & { budgetWindowStart: number }> {
      ensureOpen();
      buckets.forEach(checkBucketOp);
      budgets.forEach(checkBudgetOp);
      const now = clock();
      sweep(now);
      // Decide against a staged copy so that ops on the same key see each other, and nothing is
      // written unless every op allows (all-or-nothing).
      staged = 0;
      const bucketResults: OpResult[] = [];
      const budgetResults: OpResult[] = [];
      let allowed = true;

      for (const op of buckets) {
        const lim = op.limit;
        if (lim.kind === 'gcra') {
          const k = gcraKey(op.key);
          const cur = stagedGet(k) ?? map.get(k);
          const d = gcraConsume(typeof cur === 'number' ? cur : undefined, now, lim, op.cost);
          if (d.allowed) stage(k, d.newTat);
          bucketResults.push({ key: op.key, allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs });
          allowed &&= d.allowed;
        } else {
          const k = windowKey(op.key);
          const cur = stagedGet(k) ?? map.get(k);
          const d = windowConsume(isWindow(cur) ? cur.state : undefined, now, lim, op.cost);
          if (d.allowed) stage(k, { t: 'window', periodMs: lim.periodMs, state: d.state });
          bucketResults.push({ key: op.key, allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs });
          allowed &&= d.allowed;
        }
      }
      for (const op of budgets) {
        const k = budgetKey(op.key, op.periodMs);
        const d = budgetConsume(spentIn(stagedGet(k) ?? map.get(k), now, op.periodMs), now, op.limit, op.periodMs, op.cost);
        if (d.allowed) stage(k, { t: 'budget', periodMs: op.periodMs, windowStart: d.windowStart, spent: d.spent });
        budgetResults.push({
          key: op.key, allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs, windowStart: d.windowStart,
        });
        allowed &&= d.allowed;
      }

      if (allowed) {
        for (let i = 0; i < staged; i++) put(stagedKeys[i] as string, stagedValues[i] as Entry, now);
      } else {
        // Nothing applied: ops that allowed on their own report the unchanged state, which is
        // still what the map holds (nothing was written).
        buckets.forEach((op, i) => {
          const r = bucketResults[i] as OpResult;
          if (!r.allowed) return;
          const lim = op.limit;
          if (lim.kind === 'gcra') {
            const orig = map.get(gcraKey(op.key));
            Object.assign(r, gcraPeek(typeof orig === 'number' ? orig : undefined, now, lim));
          } else {
            const orig = map.get(windowKey(op.key));
            Object.assign(r, windowPeek(isWindow(orig) ? orig.state : undefined, now, lim));
          }
        });
        budgets.forEach((op, i) => {
          const r = budgetResults[i] as OpResult;
          if (r.allowed) Object.assign(r, budgetPeek(budgetSpentAt(budgetKey(op.key, op.periodMs), now, op.periodMs), now, op.limit, op.periodMs));
        });
      }
      return { allowed, buckets: bucketResults, budgets: budgetResults, budgetWindowStart: budgetResults[0]?.windowStart ?? 0 };
    },

    async adjust(buckets: Adjustment[], budgets: BudgetAdjustment[]): Promise<void> {
      ensureOpen();
      for (const a of buckets) {
        checkLimit(a.key, a.limit);
        if (!Number.isFinite(a.delta)) throw new RangeError(`${a.key}: delta must be finite`);
      }
      for (const b of budgets) checkBudget(b.key, b.periodMs, b.delta, 'delta');
      const now = clock();
      sweep(now);
      for (const a of buckets) {
        if (a.limit.kind === 'gcra') {
          const k = gcraKey(a.key);
          const e = map.get(k);
          put(k, gcraAdjust(typeof e === 'number' ? e : undefined, now, a.limit, a.delta), now);
        } else {
          const k = windowKey(a.key);
          const e = map.get(k);
          const state = windowAdjust(isWindow(e) ? e.state : undefined, now, a.limit.periodMs, a.delta);
          put(k, { t: 'window', periodMs: a.limit.periodMs, state }, now);
        }
      }
      for (const b of budgets) {
        // Only the current window is kept; a correction for a past window can no longer change
        // any decision (that window is over), so it is dropped.
        const ws = budgetWindowStart(now, b.periodMs);
        if (b.windowStart !== ws) continue;
        const k = budgetKey(b.key, b.periodMs);
        const spent = Math.max(0, budgetSpentAt(k, now, b.periodMs) + b.delta);
        put(k, { t: 'budget', periodMs: b.periodMs, windowStart: ws, spent }, now);
      }
    },

    async acquire(key: string, leaseId: string, limit: number, ttlMs: number): Promise<LeaseResult> {
      ensureOpen();
      checkLease(key, leaseId, limit, ttlMs);
      const now = clock();
      sweep(now);
      const k = leaseKey(key);
      const e = map.get(k);
      const entry: LeaseSet = typeof e === 'object' && e.t === 'lease' ? e : { t: 'lease', leases: new Map<string, number>(), soonest: Infinity };
      const leases = entry.leases;
      purge(entry, now); // bounded by `limit`
      // Re-acquiring a held id refreshes it (idempotent retry), it does not take a second slot.
      const acquired = leases.has(leaseId) || leases.size < limit;
      if (acquired) {
        leases.set(leaseId, now + ttlMs);
        if (now + ttlMs < entry.soonest) entry.soonest = now + ttlMs;
      }
      put(k, entry, now);
      return { acquired, inUse: leases.size };
    },

    async refresh(key: string, leaseIds: string[], ttlMs: number): Promise<number> {
      ensureOpen();
      for (const id of leaseIds) checkLease(key, id, 0, ttlMs);
      const now = clock();
      const e = map.get(leaseKey(key));
      if (typeof e !== 'object' || e.t !== 'lease') return 0;
      let kept = 0;
      for (const id of leaseIds) {
        const exp = e.leases.get(id);
        if (exp === undefined || exp <= now) continue; // expired or released: not brought back
        e.leases.set(id, now + ttlMs);
        if (now + ttlMs < e.soonest) e.soonest = now + ttlMs; // a shorter TTL than before
        kept++;
      }
      return kept;
    },

    async release(key: string, leaseId: string): Promise<void> {
      ensureOpen();
      const k = leaseKey(key);
      const e = map.get(k);
      if (typeof e !== 'object' || e.t !== 'lease') return;
      e.leases.delete(leaseId);
      if (e.leases.size === 0) map.delete(k);
    },

    async budgetSpent(key: string, periodMs: number): Promise<number> {
      ensureOpen();
      checkBudget(key, periodMs, 0, 'cost');
      return budgetSpentAt(budgetKey(key, periodMs), clock(), periodMs);
    },

    async close(): Promise<void> {
      closed = true;
      map.clear();
    },

    size: () => map.size,
  };
}
