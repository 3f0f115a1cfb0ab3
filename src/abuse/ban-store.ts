/**
 * Where bans and the cross-replica counters live. The memory store serves one replica; the Redis
 * store (ban-store-redis.ts) shares bans between replicas — each change is published to every
 * replica at once (pub/sub), and a version key polled every `pollInterval` catches what pub/sub
 * missed (a subscriber reconnecting, a message lost). Kept beside the limits store rather than in
 * its contract: a ban store needs a subscription, which the limit decisions never do.
 */
import { LRUCache } from 'lru-cache';
import type { Ban } from './bans.js';

/** A change to the set of bans, as every replica receives it. */
export type BanChange =
  | { op: 'add'; ban: Ban }
  | { op: 'remove'; id: string }
  /** The full set, read from the store (start-up, a version gap, a reconnect). */
  | { op: 'reload'; bans: Ban[] };

export interface BanStore {
  /** True when bans reach other replicas (Redis). */
  readonly shared: boolean;
  /** Adds or replaces a ban and tells every replica (this one included, through `watch`). */
  addBan(ban: Ban): Promise<void>;
  /** Lifts a ban; returns it, or null when there was none. */
  removeBan(id: string): Promise<Ban | null>;
  /** Every ban not yet expired at `now`. */
  listBans(now: number): Promise<Ban[]>;
  /** Bumped by every add and remove. */
  version(): Promise<number>;
  /**
   * Counts one event of `counter` and returns the events of the last `windowMs`, shared by every
   * replica of the store. Never fewer: every event younger than `windowMs` is in the count (a
   * burst that straddles a window edge is counted whole). At most a little more: events up to
   * `windowMs + windowMs / HIT_BUCKETS` old may still be in it (see `hitBuckets`).
   */
  hit(counter: string, windowMs: number, now: number): Promise<number>;
  /** Receives every change, from any replica, in the order this replica learns of them. */
  watch(listener: (change: BanChange) => void): void;
  close(): Promise<void>;
}

/** The sliding-window estimate: the previous window weighted by how much of it still overlaps. */
export function slidingCount(current: number, previous: number, windowMs: number, now: number): number {
  const into = (now % windowMs) / windowMs;
  return current + previous * (1 - into);
}

export function windowIndex(windowMs: number, now: number): number {
  return Math.floor(now / windowMs);
}

/** Buckets per window of `hit`: the count may include events up to one bucket older than the window. */
export const HIT_BUCKETS = 10;

/**
 * How `hit` cuts a window: `n` buckets of `ms` (n × ms ≥ windowMs), the count being the sum of
 * the current bucket and the n before it. Why not the two-window estimate of the limits
 * (`slidingCount`): it weights the previous window by its overlap as if its events were spread
 * evenly, so 20 failures in 2 s that straddle a window edge count as 19.9 — a threshold of 20
 * is then never reached. A ban rule must not miss a burst; counting up to a tenth of a window
 * too long is the safe side. (Bounded memory: n + 1 counters per subject, unlike a log of times.)
 */
export function hitBuckets(windowMs: number): { ms: number; n: number } {
  const ms = Math.max(1, Math.ceil(windowMs / HIT_BUCKETS));
  return { ms, n: Math.ceil(windowMs / ms) };
}

/** One counter's last n + 1 buckets, as a ring (slot = bucket index mod n + 1). */
interface Ring { last: number; counts: number[] }

/** One replica's bans and counters (store.kind memory). Counters are bounded by an LRU. */
export function createMemoryBanStore(opts: { maxCounters?: number } = {}): BanStore {
  const bans = new Map<string, Ban>();
  const counters = new LRUCache<string, Ring>({ max: opts.maxCounters ?? 100_000 });
  const listeners: ((c: BanChange) => void)[] = [];
  let version = 0;
  const emit = (c: BanChange): void => { for (const l of listeners) l(c); };
  return {
    shared: false,
    async addBan(ban) {
      bans.set(ban.id, ban);
      version++;
      emit({ op: 'add', ban });
    },
    async removeBan(id) {
      const ban = bans.get(id) ?? null;
      if (ban === null) return null;
      bans.delete(id);
      version++;
      emit({ op: 'remove', id });
      return ban;
    },
    async listBans(now) {
      for (const [id, b] of bans) if (b.expiresAt <= now) bans.delete(id);
      return [...bans.values()];
    },
    async version() { return version; },
    async hit(counter, windowMs, now) {
      const { ms, n } = hitBuckets(windowMs);
      const b = Math.floor(now / ms);
      const key = `${counter}:${ms}`;
      let r = counters.get(key);
      if (r === undefined) { r = { last: b, counts: new Array<number>(n + 1).fill(0) }; counters.set(key, r); }
      // Buckets passed since the last event start empty (a clock that went back counts in the last).
      for (let i = r.last + 1; i <= b && i <= r.last + n + 1; i++) r.counts[i % (n + 1)] = 0;
      if (b > r.last) r.last = b;
      r.counts[r.last % (n + 1)]! += 1;
      let sum = 0;
      for (const c of r.counts) sum += c;
      return sum;
    },
    watch(listener) { listeners.push(listener); },
    async close() { listeners.length = 0; },
  };
}
