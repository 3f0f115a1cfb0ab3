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
   * Counts one event of `counter` and returns the count over the last `windowMs` (a sliding
   * window estimated from two fixed windows, as Cloudflare's rate limiting does), shared by every
   * replica of the store.
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

/** One replica's bans and counters (store.kind memory). Counters are bounded by an LRU. */
export function createMemoryBanStore(opts: { maxCounters?: number } = {}): BanStore {
  const bans = new Map<string, Ban>();
  const counters = new LRUCache<string, { win: number; current: number; previous: number }>({ max: opts.maxCounters ?? 100_000 });
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
      const win = windowIndex(windowMs, now);
      let c = counters.get(counter);
      if (c === undefined) { c = { win, current: 0, previous: 0 }; counters.set(counter, c); }
      if (c.win !== win) {
        c.previous = c.win === win - 1 ? c.current : 0;
        c.current = 0;
        c.win = win;
      }
      c.current++;
      return slidingCount(c.current, c.previous, windowMs, now);
    },
    watch(listener) { listeners.push(listener); },
    async close() { listeners.length = 0; },
  };
}
