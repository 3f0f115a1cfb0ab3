/**
 * The embedded store: one replica, O(1) per op, bounded memory.
 *
 * All state lives in ONE Map whose insertion order doubles as an LRU list (every write deletes and
 * re-inserts its entry, moving it to the end). An owner's GCRA buckets and budgets (`key:<id>:req`,
 * `key:<id>:cost`, `key:<id>:budget`) are one map entry, a group (below); windows and lease sets
 * are entries of their own. Counts (`maxEntries`, size()) are of entries, grouped or not; a group
 * moves to the LRU tail when any of its fields is written, and is evicted whole. Memory is kept
 * bounded two ways:
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
  /**
   * Slots of the field table (below): how many distinct GCRA fields (one slot each) and budget
   * fields (two) are stored grouped by owner. Default 32; 0 stores every entry on its own (the
   * layout before groups, kept for the equivalence test).
   */
  groupSlots?: number;
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
 * One owner's GCRA buckets and budgets: the keys `<owner>:req`, `<owner>:cost`, `<owner>:budget`
 * (the part after the last `:` is the field) share one map entry, a plain array of doubles that V8
 * stores unboxed, indexed by the field table. NaN marks an absent field; for a budget that is its
 * first slot (the window start), and its second (what was spent) is then not read. A key of the
 * gateway is three entries and an address two, and on their own they took 129 bytes each: a map
 * slot, a key string and a boxed number or an object per entry. Grouped, an owner costs one map
 * slot, one key string and 8 bytes per field (`npm run bench:store-memory`). Windows and lease
 * sets stay entries of their own (objects, and rare).
 */
type Group = number[];

/** A field of the field table: its tag (GCRA or budget), ':'-part, a budget's period as written in its key, and first slot. */
interface Field { tag: number; name: string; period: string; at: number }

/** What a group slot holds. */
const GCRA_TAT = 0;
const BUDGET_START = 1;
const BUDGET_SPENT = 2;
/** Default size of the field table: the gateway uses 4 slots (req, cost, a budget) per owner kind. */
const GROUP_SLOTS = 32;
const TAG_GCRA = 'b'.charCodeAt(0);
const TAG_BUDGET = 'g'.charCodeAt(0);
/** Answers slotOf remembers: more than the keys one consume() reads (the gateway's has up to 7). */
const MEMO = 8;

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
  const maxSlots = opts.groupSlots ?? GROUP_SLOTS;
  if (!Number.isInteger(maxSlots) || maxSlots < 0) throw new RangeError('groupSlots must be an integer >= 0');
  const clock = opts.now ?? Date.now;
  // Ungrouped entries under their tagged key, and groups under `o|<owner>`: one insertion order
  // (the LRU list) for both.
  const map = new Map<string, Entry | Group>();
  /** Entries stored: ungrouped ones plus the live fields of every group (what size() says). */
  let live = 0;
  // null between two passes (SWEEP_PAUSE_MS): an iterator left standing would pin old tables (below).
  let sweeper: Iterator<[string, Entry | Group]> | null = null;
  let passStart = -Infinity;
  // Created only while the map is at its cap: a Map iterator that stops moving pins every old
  // hash table of the map in V8 (the store's delete+set writes keep making new ones), which
  // leaked ~430 bytes per decision below the cap.
  let evictor: Iterator<string> | null = null;
  let closed = false;

  // The field table: where a field (a key's last `:`-part, e.g. ":req") sits in its owner's
  // group. It only grows, to at most `maxSlots` slots; a field that finds it full is stored
  // ungrouped, and stays so (the table never changes its mind about a key).
  const fields: Field[] = [];
  const slotKind: number[] = []; // per slot: GCRA_TAT, BUDGET_START or BUDGET_SPENT
  const slotPeriod: number[] = []; // per slot: a budget's periodMs
  let slots = 0;
  /** Set by slotOf: the map key of the group the last located field belongs to. */
  let groupKey = '';
  // slotOf's last MEMO answers (only fields with a slot: a slot never changes once given).
  const memoKeys: (string | undefined)[] = new Array<string | undefined>(MEMO).fill(undefined);
  const memoGroups: string[] = new Array<string>(MEMO).fill('');
  const memoAt: number[] = new Array<number>(MEMO).fill(0);
  let memoNext = 0;

  /**
   * The slot of a tagged key's field in its owner's group, or -1 when the key is stored ungrouped
   * (a window or lease set, a key without `:`, or a field the full table does not hold). With
   * `create`, a new field takes the next free slots while there are any.
   */
  function slotOf(k: string, create: boolean): number {
    // A consume() reads each key and then writes it: the second lookup of the same string is
    // answered from the last few, without slicing and hashing the key again.
    for (let i = 0; i < MEMO; i++) {
      if (memoKeys[i] === k) {
        groupKey = memoGroups[i] as string;
        return memoAt[i] as number;
      }
    }
    const at = locate(k, create);
    if (at >= 0) {
      groupKey = flat(groupKey);
      memoKeys[memoNext] = k;
      memoGroups[memoNext] = groupKey;
      memoAt[memoNext] = at;
      memoNext = (memoNext + 1) % MEMO;
    }
    return at;
  }

  function locate(k: string, create: boolean): number {
    const tag = k.charCodeAt(0);
    if (tag !== TAG_GCRA && tag !== TAG_BUDGET) return -1;
    const start = tag === TAG_GCRA ? 2 : k.indexOf('|', 2) + 1;
    const colon = k.lastIndexOf(':');
    if (colon <= start) return -1;
    // The table is a few fields: compared in place (endsWith, startsWith), nothing sliced.
    // A field starts with its ':' and holds no other, so endsWith finds the last ':' part.
    let at = -1;
    for (let i = 0; i < fields.length && at < 0; i++) {
      const f = fields[i] as Field;
      if (f.tag === tag && k.length - f.name.length === colon && k.endsWith(f.name) && (tag === TAG_GCRA || (f.period.length === start - 3 && k.startsWith(f.period, 2)))) at = f.at;
    }
    if (at < 0) {
      const width = tag === TAG_GCRA ? 1 : 2;
      if (!create || slots + width > maxSlots) return -1;
      at = slots;
      const period = tag === TAG_GCRA ? '' : k.slice(2, start - 1);
      fields.push({ tag, name: flat(k.slice(colon)), period: flat(period), at });
      if (tag === TAG_GCRA) {
        slotKind.push(GCRA_TAT);
        slotPeriod.push(0);
      } else {
        slotKind.push(BUDGET_START, BUDGET_SPENT);
        slotPeriod.push(Number(period), Number(period));
      }
      slots += width;
    }
    groupKey = `o|${k.slice(start, colon)}`;
    return at;
  }

  /** Entries a group holds (a budget's two slots are one entry). */
  function liveIn(g: Group): number {
    let n = 0;
    for (let i = 0; i < g.length; i++) if (slotKind[i] !== BUDGET_SPENT && !Number.isNaN(g[i])) n++;
    return n;
  }

  /** Clear the group's fields that are idle at `now`; true when nothing is left in it. */
  function sweepGroup(g: Group, now: number): boolean {
    let left = 0;
    for (let i = 0; i < g.length; i++) {
      const v = g[i] as number;
      const kind = slotKind[i];
      if (Number.isNaN(v) || kind === BUDGET_SPENT) continue;
      if (kind === GCRA_TAT ? v <= now : v + (slotPeriod[i] as number) <= now) {
        g[i] = NaN;
        live--;
      } else left++;
    }
    return left === 0;
  }

  function get(k: string): Entry | undefined {
    const at = slotOf(k, false);
    if (at < 0) return map.get(k) as Entry | undefined;
    const g = map.get(groupKey) as Group | undefined;
    const v = g === undefined || at >= g.length ? NaN : (g[at] as number);
    if (Number.isNaN(v)) return undefined;
    if (slotKind[at] === GCRA_TAT) return v;
    return { t: 'budget', periodMs: slotPeriod[at] as number, windowStart: v, spent: (g as Group)[at + 1] as number };
  }

  /** Forget an ungrouped entry. */
  function drop(k: string): void {
    if (map.delete(k)) live--;
  }

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
      if (Array.isArray(e)) {
        if (sweepGroup(e, now)) map.delete(k);
      } else if (idle(e, now)) drop(k);
    }
  }

  /** Write (or delete when idle) and move to the LRU tail; enforce the hard cap. */
  function put(k: string, e: Entry, now: number): void {
    const at = slotOf(k, !idle(e, now));
    if (at < 0) {
      drop(k);
      if (idle(e, now)) return;
      map.set(flat(k), e);
      live++;
    } else {
      let g = map.get(groupKey) as Group | undefined;
      if (idle(e, now)) {
        // Deleting a field leaves the group's other fields where they are in the LRU order.
        if (g === undefined || at >= g.length || Number.isNaN(g[at])) return;
        g[at] = NaN;
        live--;
        if (liveIn(g) === 0) map.delete(groupKey);
        return;
      }
      if (g !== undefined) map.delete(groupKey);
      if (g === undefined || at >= g.length) {
        // Exactly as long as the table is now: a literal or push would leave V8's growth slack.
        const grown: Group = new Array<number>(slots).fill(NaN);
        if (g !== undefined) for (let i = 0; i < g.length; i++) grown[i] = g[i] as number;
        g = grown;
      }
      if (Number.isNaN(g[at])) live++;
      if (typeof e === 'number') g[at] = e;
      else if (e.t === 'budget') {
        g[at] = e.windowStart;
        g[at + 1] = e.spent;
      }
      map.set(groupKey, g);
    }
    while (live > maxEntries) {
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
      const v = map.get(oldest.value);
      live -= Array.isArray(v) ? liveIn(v) : 1;
      map.delete(oldest.value);
    }
    if (live < maxEntries) evictor = null;
  }

  function budgetSpentAt(k: string, now: number, periodMs: number): number {
    return spentIn(get(k), now, periodMs);
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
          const cur = stagedGet(k) ?? get(k);
          const d = gcraConsume(typeof cur === 'number' ? cur : undefined, now, lim, op.cost);
          if (d.allowed) stage(k, d.newTat);
          bucketResults.push({ key: op.key, allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs });
          allowed &&= d.allowed;
        } else {
          const k = windowKey(op.key);
          const cur = stagedGet(k) ?? get(k);
          const d = windowConsume(isWindow(cur) ? cur.state : undefined, now, lim, op.cost);
          if (d.allowed) stage(k, { t: 'window', periodMs: lim.periodMs, state: d.state });
          bucketResults.push({ key: op.key, allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs });
          allowed &&= d.allowed;
        }
      }
      for (const op of budgets) {
        const k = budgetKey(op.key, op.periodMs);
        const d = budgetConsume(spentIn(stagedGet(k) ?? get(k), now, op.periodMs), now, op.limit, op.periodMs, op.cost);
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
            const orig = get(gcraKey(op.key));
            Object.assign(r, gcraPeek(typeof orig === 'number' ? orig : undefined, now, lim));
          } else {
            const orig = get(windowKey(op.key));
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
          const e = get(k);
          put(k, gcraAdjust(typeof e === 'number' ? e : undefined, now, a.limit, a.delta), now);
        } else {
          const k = windowKey(a.key);
          const e = get(k);
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
      const e = get(k);
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
      const e = get(leaseKey(key));
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
      const e = get(k);
      if (typeof e !== 'object' || e.t !== 'lease') return;
      e.leases.delete(leaseId);
      if (e.leases.size === 0) drop(k);
    },

    async budgetSpent(key: string, periodMs: number): Promise<number> {
      ensureOpen();
      checkBudget(key, periodMs, 0, 'cost');
      return budgetSpentAt(budgetKey(key, periodMs), clock(), periodMs);
    },

    async close(): Promise<void> {
      closed = true;
      map.clear();
      live = 0;
    },

    size: () => live,
  };
}
