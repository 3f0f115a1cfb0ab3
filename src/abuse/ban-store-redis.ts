/**
 * Bans shared through Redis (store.kind redis). Layout, all under one hash tag so that a Redis
 * Cluster keeps them in one slot:
 *
 *   {mg:abuse}:bans          hash   ban id → ban (JSON); an expired ban is dropped when read
 *   {mg:abuse}:bans:version  string bumped by every add and remove (in the same MULTI)
 *   {mg:abuse}:c:<counter>:<bucket ms>:<bucket>  counters of `hit`, a tenth of a window each
 *                            (ban-store.ts `hitBuckets`; each expires two buckets after the window)
 *   channel {mg:abuse}:bans:events   every change, with the version it made
 *
 * Every replica subscribes to the channel and applies a change the moment it is published (a
 * ban made on one replica is enforced by the others within milliseconds). Polling the version
 * key every `pollIntervalMs` is the fallback: a message missed while the subscriber reconnected,
 * or arriving out of order, shows as a version this replica has not seen, and the whole set is
 * read again. A message older than what was last read is ignored (it may undo a later lift), and
 * so is a full read older than a message applied while it was in flight (see `reload`).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Clock, TimerHandle } from '../util/clock.js';
import { parseBan, type Ban } from './bans.js';
import { hitBuckets, type BanChange, type BanStore } from './ban-store.js';

export interface RedisBanStoreOptions {
  url: string;
  clock: Clock;
  /** Key prefix (the limits store's, default "mg"). */
  keyPrefix?: string;
  /** Version poll period, ms (the fallback of pub/sub). */
  pollIntervalMs: number;
  /** Subscribe to changes (default true); false leaves only polling (benchmarks, tests). */
  pubsub?: boolean;
  /**
   * A command without a reply by then fails (default 2000 ms): against a frozen Redis, a counter
   * `hit` fails over to the replica's own count instead of waiting forever (and piling up).
   */
  commandTimeoutMs?: number;
  /** Connection-level errors (counted, never thrown). */
  onError?: (err: Error) => void;
}

export type RedisBanStore = BanStore & {
  /** Resolves once the first full read is done (false after `ms`). */
  waitReady(ms: number): Promise<boolean>;
  /** The version of the last full read or applied change. */
  knownVersion(): number;
};

interface Message { op: 'add' | 'remove'; v: number; ban?: Ban; id?: string }

export function createRedisBanStore(opts: RedisBanStoreOptions): RedisBanStore {
  const tag = `{${opts.keyPrefix ?? 'mg'}:abuse}`;
  const BANS = `${tag}:bans`;
  const VERSION = `${tag}:bans:version`;
  const CHANNEL = `${tag}:bans:events`;
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 50, 1000),
  };
  const cmd = new Redis(opts.url, { ...common, commandTimeout: opts.commandTimeoutMs ?? 2000 });
  // A subscriber connection must queue its SUBSCRIBE until connected (and ioredis re-subscribes
  // on reconnect by itself).
  const sub = opts.pubsub === false ? null : new Redis(opts.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
  const listeners: ((c: BanChange) => void)[] = [];
  const emit = (c: BanChange): void => { for (const l of listeners) l(c); };
  const onError = (err: Error): void => opts.onError?.(err);
  cmd.on('error', onError);
  sub?.on('error', onError);
  let known = -1;
  /** Messages applied so far: a read that saw fewer than were applied meanwhile may be stale. */
  let applied = 0;
  let closed = false;
  let reading: Promise<void> | null = null;
  /** A read was asked for while one was in flight: read again when it ends (never join it). */
  let again = false;
  let ready: () => void = () => undefined;
  const firstRead = new Promise<void>((resolve) => { ready = resolve; });

  /**
   * The whole set and its version, read together (MULTI). Two orderings make a read stale: its
   * MULTI ran in Redis before a change whose message (on the other connection) is handled here
   * before the read's reply; and a read asked for (a gap, a poll) while an older one is in flight.
   * Either would put the local set back behind a change already applied — a fresh ban dropped,
   * a lifted one back — until the next poll. So a read asked for during another runs after it,
   * and a reply older than a message applied while it was in flight is dropped and read again.
   * A read that raced with no message is taken whatever its version: after Redis restarted
   * empty the version starts again from 0, and that must be accepted.
   */
  function reload(): Promise<void> {
    if (reading !== null) { again = true; return reading; }
    reading = (async () => {
      try {
        do {
          again = false;
          await readAll();
        } while (again && !closed);
      } finally {
        reading = null;
      }
    })();
    return reading;
  }

  async function readAll(): Promise<void> {
    const seen = applied;
    try {
      const res = await cmd.multi().hgetall(BANS).get(VERSION).exec();
      if (res === null) return;
      const [[e1, all], [e2, v]] = res as [[Error | null, Record<string, string>], [Error | null, string | null]];
      if (e1 !== null || e2 !== null) return;
      const version = v === null ? 0 : Number(v);
      if (applied !== seen && version < known) { again = true; return; }
      const now = opts.clock.now();
      const bans: Ban[] = [];
      const expired: string[] = [];
      for (const [id, text] of Object.entries(all)) {
        const b = parseBan(text);
        if (b === null || b.expiresAt <= now) expired.push(id);
        else bans.push(b);
      }
      known = version;
      emit({ op: 'reload', bans });
      ready();
      if (expired.length > 0) void cmd.hdel(BANS, ...expired).catch(() => undefined);
    } catch {
      // Redis down: the next poll tries again; the local set stays as it was.
    }
  }

  sub?.on('message', (_channel: string, text: string) => {
    let m: Message;
    try { m = JSON.parse(text) as Message; } catch { return; }
    if (typeof m.v !== 'number' || m.v <= known) return;
    if (m.v !== known + 1) { void reload(); return; } // a gap: read everything
    known = m.v;
    applied++;
    if (m.op === 'add' && m.ban !== undefined) {
      const b = parseBan(JSON.stringify(m.ban));
      if (b !== null) emit({ op: 'add', ban: b });
    } else if (m.op === 'remove' && typeof m.id === 'string') {
      emit({ op: 'remove', id: m.id });
    }
  });
  // Subscribed (first time or after a reconnect): whatever happened meanwhile is read in full.
  sub?.on('ready', () => { void sub.subscribe(CHANNEL).then(() => reload(), () => undefined); });
  cmd.on('ready', () => { void reload(); });

  let timer: TimerHandle | null = null;
  const poll = (): void => {
    timer = null;
    if (closed) return;
    void cmd.get(VERSION).then((v) => {
      if ((v === null ? 0 : Number(v)) !== known) return reload();
      return undefined;
    }).catch(() => undefined).finally(() => {
      if (!closed) timer = opts.clock.setTimeout(poll, opts.pollIntervalMs);
    });
  };
  timer = opts.clock.setTimeout(poll, opts.pollIntervalMs);

  async function change(m: Omit<Message, 'v'>, write: (multi: ReturnType<Redis['multi']>) => void): Promise<void> {
    // One MULTI: the write, the version bump and the announcement, in that order, atomically.
    const multi = cmd.multi();
    write(multi);
    multi.incr(VERSION);
    const res = await multi.exec();
    if (res === null) throw new Error('ban write aborted');
    for (const [err] of res) if (err !== null) throw err;
    const v = Number(res[res.length - 1]?.[1]);
    await cmd.publish(CHANNEL, JSON.stringify({ ...m, v }));
  }

  return {
    shared: true,
    async addBan(ban) {
      await change({ op: 'add', ban }, (m) => { m.hset(BANS, ban.id, JSON.stringify(ban)); });
    },
    async removeBan(id) {
      const text = await cmd.hget(BANS, id);
      if (text === null) return null;
      await change({ op: 'remove', id }, (m) => { m.hdel(BANS, id); });
      return parseBan(text);
    },
    async listBans(now) {
      const all = await cmd.hgetall(BANS);
      const out: Ban[] = [];
      for (const text of Object.values(all)) {
        const b = parseBan(text);
        if (b !== null && b.expiresAt > now) out.push(b);
      }
      return out;
    },
    async version() {
      const v = await cmd.get(VERSION);
      return v === null ? 0 : Number(v);
    },
    async hit(counter, windowMs, now) {
      const { ms, n } = hitBuckets(windowMs);
      const b = Math.floor(now / ms);
      const key = `${tag}:c:${counter}:${ms}`;
      const before: string[] = [];
      for (let i = b - n; i < b; i++) before.push(`${key}:${i}`);
      // Kept one bucket longer than read, so that a replica whose clock is a little behind still sees it.
      const res = await cmd.multi().incr(`${key}:${b}`).pexpire(`${key}:${b}`, (n + 2) * ms).mget(...before).exec();
      if (res === null) throw new Error('counter write aborted');
      for (const [err] of res) if (err !== null) throw err;
      let sum = Number(res[0]?.[1]);
      for (const v of (res[2]?.[1] ?? []) as (string | null)[]) if (v !== null) sum += Number(v);
      return sum;
    },
    watch(listener) { listeners.push(listener); },
    async waitReady(ms) {
      // Start-up, not logic: a real timer even when the rules run on a test clock.
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => { t = setTimeout(() => resolve(false), ms); });
      const ok = await Promise.race([firstRead.then(() => true), timeout]);
      clearTimeout(t);
      return ok;
    },
    knownVersion: () => known,
    async close() {
      closed = true;
      if (timer !== null) opts.clock.clearTimeout(timer);
      listeners.length = 0;
      cmd.disconnect();
      sub?.disconnect();
    },
  };
}
