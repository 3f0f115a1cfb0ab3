/**
 * bench:abuse — abuse detection's costs and propagation:
 *   1. ban propagation across 3 replicas on a real Redis (a private redis-server on a free port):
 *      time from the ban being written on replica A until replicas B and C enforce it — with
 *      pub/sub, and with pub/sub off (the version poll, pollInterval 500 ms)
 *   2. RSS of 100,000 banned addresses + 100,000 banned keys in a replica's ban set
 *   3. the hot-path check (an address and a key, banned or not, among those 200,000 bans)
 *   4. one observation (a settled authenticated request through every rule), and RSS of 100,000
 *      distinct addresses tracked
 * The three replicas are three ban stores with their own Redis connections in one process (the
 * propagation path — MULTI, PUBLISH, the subscriber, the poll — is the one a replica runs).
 */
import { cpus } from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import pino from 'pino';
import { startRedisServer } from '../test/redis-server.js';
import { createRedisBanStore, type RedisBanStore } from '../src/abuse/ban-store-redis.js';
import { createMemoryBanStore } from '../src/abuse/ban-store.js';
import { Abuse } from '../src/abuse/abuse.js';
import { createAbuseMetrics } from '../src/abuse/metrics.js';
import { makeBan } from '../src/abuse/bans.js';
import { resolveAbuse, type AbuseConfig } from '../src/config/abuse.js';
import { realClock } from '../src/util/clock.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const f = (n: number, d = 2): string => n.toFixed(d);

function abuse(store = createMemoryBanStore()): Abuse {
  const config = resolveAbuse({}, []) as AbuseConfig;
  return new Abuse({ config, store, clock: realClock, logger: pino({ level: 'silent' }), metrics: createAbuseMetrics(new Registry(), () => ({ ip: 0, cidr: 0, key: 0 })) });
}

async function propagation(url: string, pubsub: boolean, n: number): Promise<void> {
  const prefix = `bench${pubsub ? 'p' : 'q'}${Date.now()}`;
  const stores: RedisBanStore[] = [0, 1, 2].map(() => createRedisBanStore({ url, clock: realClock, pollIntervalMs: 500, pubsub, keyPrefix: prefix }));
  await Promise.all(stores.map((s) => s.waitReady(5000)));
  const replicas = stores.map((s) => abuse(s));
  const lags: number[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `198.18.${i >> 8}.${i & 255}`;
    const seen = replicas.slice(1).map((r) => new Promise<number>((resolve) => {
      const on = (b: { value: string }): void => { if (b.value === ip) { r.off('applied', on); resolve(performance.now()); } };
      r.on('applied', on);
    }));
    const t0 = performance.now();
    await (replicas[0] as Abuse).ban('ip', ip, 'bench', 60_000);
    for (const t of await Promise.all(seen)) lags.push(t - t0);
    // Spread the bans over the poll period, so the poll lag is sampled at every phase.
    if (!pubsub) await new Promise((r) => setTimeout(r, 137));
  }
  say(`| ${pubsub ? 'pub/sub' : 'version poll only (pub/sub off), pollInterval 500 ms'} | ${n} bans × 2 replicas | ${f(pct(lags, 0.5))} | ${f(pct(lags, 0.99))} | ${f(Math.max(...lags))} |`);
  await Promise.all(replicas.map((r) => r.close()));
}

function timeIt(label: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < 10_000; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  say(`| ${label} | ${f(ns, 0)} ns |`);
}

async function main(): Promise<void> {
  say(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  const redis = await startRedisServer();
  if (redis === null) {
    say('redis-server not installed: propagation skipped');
  } else {
    say('\n| propagation | samples | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|');
    try {
      await propagation(redis.url, true, 200);
      await propagation(redis.url, false, 30);
    } finally { await redis.stop(); }
  }

  // 2. 100k banned addresses + 100k banned keys.
  const a = abuse();
  gc();
  const before = process.memoryUsage().rss;
  const now = Date.now();
  for (let i = 0; i < 100_000; i++) {
    a.bans.add(makeBan('ip', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'bench', now, 3_600_000));
    a.bans.add(makeBan('key', `key-${i}`, 'bench', now, 3_600_000));
  }
  gc();
  say(`\n100,000 banned addresses + 100,000 banned keys: RSS +${f((process.memoryUsage().rss - before) / 2 ** 20, 1)} MB\n`);

  // 3. The hot-path checks among those bans.
  say('| check (200,000 bans in force) | cost per call |\n|---|---|');
  let hits = 0;
  timeIt('`ipBan`, banned IPv4 address', 1_000_000, (i) => { if (a.ipBan(`10.0.${(i >> 8) & 255}.${i & 255}`) !== null) hits++; });
  const fixed = Array.from({ length: 1024 }, (_, i) => `172.16.${i >> 8}.${i & 255}`);
  timeIt('`ipBan`, address not banned', 1_000_000, (i) => a.ipBan(fixed[i & 1023] as string));
  timeIt('`ipBan`, IPv6 address not banned', 1_000_000, () => a.ipBan('2001:db8::1'));
  timeIt('`keyBan`, banned key', 1_000_000, (i) => a.keyBan(`key-${i % 100_000}`));
  const empty = abuse();
  timeIt('`ipBan` with no ban in force', 1_000_000, (i) => empty.ipBan(fixed[i & 1023] as string));
  void hits;

  // 4. Observations (memory store).
  const o = abuse();
  const t0 = process.hrtime.bigint();
  const N = 200_000;
  for (let i = 0; i < N; i++) {
    await o.observe({ ip: `10.1.${(i >> 8) & 255}.${i & 255}`, keyId: `k${i % 500}`, exempt: false, code: null, injectionFlagged: false, promptChars: 100 + (i % 900), bodyBytes: 400, elapsedMs: 0 });
  }
  say(`\none observation (authenticated request, every rule): ${f(Number(process.hrtime.bigint() - t0) / N / 1000)} µs`);
  const m = abuse();
  const traffic = async (ip: (i: number) => string): Promise<void> => {
    for (let i = 0; i < 100_000; i++) {
      await m.observe({ ip: ip(i), keyId: `k${i % 1000}`, exempt: false, code: null, injectionFlagged: false, promptChars: i % 977, bodyBytes: 1, elapsedMs: 0 });
      await m.observe({ ip: ip(i), keyId: null, exempt: false, code: 'MG_AUTH_INVALID', injectionFlagged: false, promptChars: null, bodyBytes: null, elapsedMs: 0 });
    }
  };
  await traffic(() => '9.9.9.9');
  gc();
  const b2 = process.memoryUsage().rss;
  await traffic((i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  gc();
  say(`100,000 distinct addresses tracked (auth failures and requests of 1,000 keys): RSS +${f((process.memoryUsage().rss - b2) / 2 ** 20, 1)} MB`);
}

await main();
