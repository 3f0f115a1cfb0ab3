// The rules on an injected clock: addresses canonicalised, each rule triggering on its attack,
// bans expiring, and a replay of 10 simulated minutes of realistic legitimate traffic that
// produces no ban and no flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { canonicalCidr, canonicalIp, cidrContains, networkOf } from '../../src/abuse/address.js';
import { Abuse, type Settled } from '../../src/abuse/abuse.js';
import { createMemoryBanStore } from '../../src/abuse/ban-store.js';
import { createAbuseMetrics } from '../../src/abuse/metrics.js';
import { resolveAbuse, type AbuseConfig } from '../../src/config/abuse.js';
import { createLogger } from '../../src/observability/logger.js';
import { ManualClock } from '../manual-clock.js';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mulberry32 } from '../../src/util/prng.js';

test('addresses: one canonical spelling, IPv4-mapped IPv6 is IPv4, prefixes /24 and /64', () => {
  assert.equal(canonicalIp('203.0.113.9'), '203.0.113.9');
  assert.equal(canonicalIp('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(canonicalIp('::FFFF:CB00:7109'), '203.0.113.9');
  assert.equal(canonicalIp('2001:DB8:0:0:0::1'), '2001:db8::1');
  assert.equal(canonicalIp('2001:0db8::0001'), '2001:db8::1');
  assert.equal(canonicalIp('[2001:db8::1]'), '2001:db8::1');
  assert.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(canonicalIp('not an ip'), null);
  assert.equal(canonicalIp('203.0.113.256'), null);
  assert.equal(networkOf('203.0.113.9'), '203.0.113.0/24');
  assert.equal(networkOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(canonicalCidr('203.0.113.77/24'), '203.0.113.0/24');
  assert.equal(canonicalCidr('2001:DB8::5/64'), '2001:db8::/64');
  assert.equal(canonicalCidr('nope/24'), null);
  assert.ok(cidrContains('203.0.113.0/24', '203.0.113.200'));
  assert.ok(!cidrContains('203.0.113.0/24', '203.0.114.1'));
  assert.ok(!cidrContains('2001:db8::/64', '203.0.113.1'));
});

interface Rig { abuse: Abuse; clock: ManualClock; logs: string[]; registry: Registry }

function rig(yaml: Partial<Record<keyof AbuseConfig, unknown>> = {}): Rig {
  const config = resolveAbuse(yaml as never, []) as AbuseConfig;
  const clock = new ManualClock(1_700_000_000_000);
  const logs: string[] = [];
  const registry = new Registry();
  const logger = createLogger('info', new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }));
  let a: Abuse | null = null;
  const metrics = createAbuseMetrics(registry, () => a?.bans.counts(clock.now()) ?? { ip: 0, cidr: 0, key: 0 });
  a = new Abuse({ config, store: createMemoryBanStore(), clock, logger, metrics, exempt: (t) => t === 'internal' });
  return { abuse: a, clock, logs, registry };
}

const req = (over: Partial<Settled>): Settled => ({ ip: '198.51.100.7', keyId: 'k1', exempt: false, code: null, injectionFlagged: false, promptChars: 100, bodyBytes: 300, elapsedMs: 0, ...over });

async function detected(r: Rig): Promise<Record<string, number>> {
  const m = await r.registry.getSingleMetric('modelgate_abuse_detected_total')?.get();
  const out: Record<string, number> = {};
  for (const v of m?.values ?? []) out[`${v.labels.rule}:${v.labels.action}`] = v.value;
  return out;
}

test('authFailures: the 20th failure in a minute bans the address (canonicalised); the ban expires', async () => {
  const r = rig();
  for (let i = 0; i < 19; i++) {
    await r.abuse.observe(req({ ip: i % 2 === 0 ? '::ffff:192.0.2.1' : '192.0.2.1', keyId: null, code: 'MG_AUTH_INVALID' }));
    r.clock.advance(1000);
  }
  assert.equal(r.abuse.ipBan('192.0.2.1'), null);
  await r.abuse.observe(req({ ip: '192.0.2.1', keyId: null, code: 'MG_AUTH_MISSING' }));
  const ban = r.abuse.ipBan('::ffff:192.0.2.1');
  assert.ok(ban !== null);
  assert.equal(ban.rule, 'authFailures');
  assert.equal(r.abuse.retryAfter(ban), '900');
  assert.equal(r.abuse.ipBan('192.0.2.2'), null, 'other addresses unaffected');
  assert.deepEqual(await detected(r), { 'authFailures:ban': 1 });
  assert.equal(r.logs.filter((l) => l.includes('abuse: banned')).length, 1, 'logged once');
  r.clock.advance(15 * 60_000);
  assert.equal(r.abuse.ipBan('192.0.2.1'), null, 'lifted after banFor');
});

test('authFailures: failures spread thinly over time never ban', async () => {
  const r = rig();
  for (let i = 0; i < 200; i++) {
    await r.abuse.observe(req({ ip: '192.0.2.1', keyId: null, code: 'MG_AUTH_INVALID' }));
    r.clock.advance(6_000); // 10 a minute, threshold 20
  }
  assert.equal(r.abuse.ipBan('192.0.2.1'), null);
});

test('authFailures: 20 failures in 2 s across a window edge ban (the burst is counted whole)', async () => {
  const r = rig();
  r.clock.advance(Math.ceil(r.clock.now() / 60_000) * 60_000 - 1000 - r.clock.now()); // 1 s before a minute edge
  for (let i = 0; i < 20; i++) {
    assert.equal(r.abuse.ipBan('192.0.2.1'), null, `not banned before failure ${i + 1}`);
    await r.abuse.observe(req({ ip: '192.0.2.1', keyId: null, code: 'MG_AUTH_INVALID' }));
    r.clock.advance(100);
  }
  assert.ok(r.abuse.ipBan('192.0.2.1') !== null);
});

test('authFailures: a store that cannot count (Redis down) leaves the count to the replica: 20 failures still ban', async () => {
  const config = resolveAbuse({} as never, []) as AbuseConfig;
  const clock = new ManualClock(1_700_000_000_000);
  const registry = new Registry();
  const store = createMemoryBanStore();
  let calls = 0;
  store.hit = async () => { calls++; throw new Error('redis not ready (connecting)'); };
  const logger = createLogger('info', new Writable({ write(_c, _e, cb) { cb(); } }));
  const a = new Abuse({ config, store, clock, logger, metrics: createAbuseMetrics(registry, () => ({ ip: 0, cidr: 0, key: 0 })) });
  for (let i = 0; i < 19; i++) await a.observe(req({ ip: '192.0.2.1', keyId: null, code: 'MG_AUTH_INVALID' }));
  assert.equal(a.ipBan('192.0.2.1'), null);
  await a.observe(req({ ip: '192.0.2.1', keyId: null, code: 'MG_AUTH_INVALID' }));
  assert.ok(a.ipBan('192.0.2.1') !== null, 'banned by the local count');
  assert.equal(calls, 20, 'the store was asked every time');
  const failures = await registry.getSingleMetric('modelgate_abuse_store_failures_total')?.get();
  assert.equal(failures?.values.find((v) => v.labels.op === 'hit')?.value, 20);
});

test('a ban the store refused is written again every pollInterval until it is taken (no full read needed), then no more', async () => {
  const config = resolveAbuse({} as never, []) as AbuseConfig;
  const clock = new ManualClock(1_700_000_000_000);
  const store = createMemoryBanStore();
  const add = store.addBan.bind(store);
  let refusals = 2;
  let calls = 0;
  store.addBan = async (b) => { calls++; if (refusals-- > 0) throw new Error('OOM command not allowed'); return add(b); };
  const logger = createLogger('info', new Writable({ write(_c, _e, cb) { cb(); } }));
  const a = new Abuse({ config, store, clock, logger, metrics: createAbuseMetrics(new Registry(), () => ({ ip: 0, cidr: 0, key: 0 })) });
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20; i++) await a.observe(req({ ip: '192.0.2.1', keyId: null, code: 'MG_AUTH_INVALID' }));
  assert.ok(a.ipBan('192.0.2.1') !== null, 'in force here at once');
  assert.equal(calls, 1);
  assert.deepEqual(await store.listBans(clock.now()), [], 'the store refused it');
  clock.advance(config.pollIntervalMs - 1);
  await turn();
  assert.equal(calls, 1, 'not before pollInterval');
  clock.advance(1);
  await turn();
  assert.equal(calls, 2, 'written again');
  assert.deepEqual(await store.listBans(clock.now()), []);
  clock.advance(config.pollIntervalMs);
  await turn();
  assert.equal(calls, 3);
  assert.equal((await store.listBans(clock.now())).length, 1, 'taken on the third write');
  clock.advance(10 * config.pollIntervalMs);
  await turn();
  assert.equal(calls, 3, 'nothing written once it was taken');
  await a.close();
});

test('errorRate: a key mostly refused by validation is banned; an IP too', async () => {
  const r = rig();
  for (let i = 0; i < 25; i++) {
    await r.abuse.observe(req({ code: i % 10 === 0 ? null : 'MG_REQUEST_INVALID' }));
    r.clock.advance(2000);
  }
  assert.equal(r.abuse.keyBan('k1')?.rule, 'errorRate');
  assert.equal(r.abuse.ipBan('198.51.100.7')?.rule, 'errorRate');
});

test('payloadEscalation: sizes growing request after request are flagged (not banned by default)', async () => {
  const r = rig();
  let size = 1000;
  for (let i = 0; i < 9; i++) {
    await r.abuse.observe(req({ promptChars: size }));
    size = Math.round(size * 1.5);
    r.clock.advance(3000);
  }
  assert.deepEqual(await detected(r), { 'payloadEscalation:flag': 1 });
  assert.equal(r.abuse.keyBan('k1'), null);
});

test('regularIntervals: a script every 2 s is flagged; the same with jitter is not', async () => {
  const bot = rig();
  for (let i = 0; i < 20; i++) { await bot.abuse.observe(req({})); bot.clock.advance(2000); }
  assert.deepEqual(await detected(bot), { 'regularIntervals:flag': 1 });
  const human = rig();
  for (let i = 0; i < 60; i++) { await human.abuse.observe(req({})); human.clock.advance(1000 + ((i * 7919) % 2000)); }
  assert.deepEqual(await detected(human), {});
});

test('keySpread: a key from 50 addresses in a minute is flagged, or suspended when configured; exempt tiers never', async () => {
  const flag = rig();
  for (let i = 0; i < 50; i++) { await flag.abuse.observe(req({ ip: `203.0.113.${i}`, promptChars: 50 + (i % 3) })); flag.clock.advance(1000); }
  assert.deepEqual((await detected(flag))['keySpread:flag'], 1);
  const suspend = rig({ keySpread: { action: 'suspend' } });
  for (let i = 0; i < 50; i++) { await suspend.abuse.observe(req({ ip: `2001:db8::${i.toString(16)}` })); suspend.clock.advance(1000); }
  assert.equal(suspend.abuse.keyBan('k1')?.rule, 'keySpread');
  const exempt = rig({ keySpread: { action: 'suspend' } });
  for (let i = 0; i < 60; i++) { await exempt.abuse.observe(req({ ip: `203.0.113.${i}`, exempt: true })); exempt.clock.advance(500); }
  assert.equal(exempt.abuse.keyBan('k1'), null);
  // by: prefix counts networks: 60 addresses of one /24 are one.
  const prefix = rig({ keySpread: { by: 'prefix' } });
  for (let i = 0; i < 60; i++) { await prefix.abuse.observe(req({ ip: `203.0.113.${i}` })); prefix.clock.advance(300 + ((i * 7919) % 500)); }
  assert.equal((await detected(prefix))['keySpread:flag'], undefined);
});

test('a flag is counted and logged once per verdict, not on every request', async () => {
  const r = rig();
  for (let i = 0; i < 200; i++) { await r.abuse.observe(req({})); r.clock.advance(2000); }
  assert.equal((await detected(r))['regularIntervals:flag'], 1);
  assert.equal(r.logs.filter((l) => l.includes('abuse: flagged')).length, 1);
});

test('false positives: 10 simulated minutes of mixed legitimate traffic give no ban and no flag', async () => {
  const r = rig();
  const rand = mulberry32(42); // deterministic: the replay is the same on every run
  // 200 keys; each from 1–3 addresses (office NAT, laptop, phone) of its own; arrivals with
  // exponential gaps (mean 2–20 s); prompt sizes varied (chat turns, embeddings batches); 3 % of
  // requests refused by validation; a few mistyped keys per address.
  const keys = Array.from({ length: 200 }, (_, i) => ({
    id: `key-${i}`,
    ips: Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, j) => `10.${i % 250}.${j}.${1 + Math.floor(rand() * 250)}`),
    meanGapMs: 2000 + rand() * 18_000,
    next: rand() * 10_000,
  }));
  const start = r.clock.now();
  const end = start + 10 * 60_000;
  let requests = 0;
  for (;;) {
    let k = keys[0] as (typeof keys)[number];
    for (const c of keys) if (c.next < k.next) k = c;
    if (start + k.next >= end) break;
    r.clock.advance(start + k.next - r.clock.now());
    const ip = k.ips[Math.floor(rand() * k.ips.length)] as string;
    const roll = rand();
    const code = roll < 0.03 ? 'MG_REQUEST_INVALID' : roll < 0.035 ? 'MG_AUTH_INVALID' : null;
    await r.abuse.observe(req({ ip, keyId: code === 'MG_AUTH_INVALID' ? null : k.id, code, promptChars: Math.floor(50 + rand() * rand() * 8000), elapsedMs: 0 }));
    requests++;
    k.next += -Math.log(1 - rand()) * k.meanGapMs;
  }
  assert.ok(requests > 10_000, `replayed ${requests} requests`);
  assert.deepEqual(await detected(r), {}, 'no flag, no ban');
  assert.equal(r.abuse.bans.size, 0);
});

test('memory: 100,000 distinct addresses tracked cost at most 64 MB of RSS; state stays bounded (LRU)', async () => {
  const r = rig();
  // A collection before each reading (--expose-gc set at run time), and a warm-up with the same
  // number of observations on one caller, so that the young generation's growth is not counted.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const traffic = async (ip: (i: number) => string): Promise<void> => {
    for (let i = 0; i < 100_000; i++) {
      await r.abuse.observe(req({ ip: ip(i), keyId: `k${i % 1000}`, promptChars: i % 977 }));
      await r.abuse.observe(req({ ip: ip(i), keyId: null, code: 'MG_AUTH_INVALID' }));
      r.clock.advance(3);
    }
  };
  // RSS as the process settles: the lowest of 20 readings, each after a full collection and a
  // turn of the event loop. One reading right after one collection varied from -5 to +70 MB
  // between runs of the same code (pages V8 had not yet given back, more of them on a busy
  // machine); the settled reading varies by a few MB, quiet or under stress-ng.
  const settledRss = async (): Promise<number> => {
    let low = Infinity;
    for (let k = 0; k < 20; k++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      low = Math.min(low, process.memoryUsage().rss);
    }
    return low;
  };
  await traffic(() => '9.9.9.9');
  const before = await settledRss();
  await traffic((i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const grown = (await settledRss() - before) / 2 ** 20;
  assert.ok(grown <= 64, `RSS grew ${grown.toFixed(1)} MB`);
  // Past maxTracked the least recently seen are forgotten: the state stays at the bound.
  for (let i = 0; i < 20_000; i++) await r.abuse.observe(req({ ip: `11.0.${(i >> 8) & 255}.${i & 255}`, keyId: `x${i}` }));
  assert.ok(Object.values(r.abuse.rules.tracked).every((n) => n <= 100_000), JSON.stringify(r.abuse.rules.tracked));
});
