// Bans shared by 3 replicas through a real Redis: 20 wrong keys from one address — sent to one
// replica, or spread over all three — ban it on every replica (pub/sub; and by polling the
// version key when pub/sub is off); other addresses unaffected; a lift through the admin API of
// any replica reaches all; with Redis frozen, a replica still bans on its own count; a ban
// Redis refused to write reaches the others once it takes writes again. Waits are events (a
// replica applying a ban), never sleeps.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';
import { startStack, chat, bearer, type Stack } from '../helpers.js';
import { from, nextBan, nextLift, WRONG } from './client.js';
import type { Abuse } from '../../src/abuse/abuse.js';
import { createRedisBanStore } from '../../src/abuse/ban-store-redis.js';
import { realClock } from '../../src/util/clock.js';
import { Redis } from 'ioredis';

let redis: RedisServer | null = null;
before(async () => { redis = await startRedisServer(); if (redis === null) console.warn(`SKIPPED: ${REDIS_MISSING}`); });
after(async () => { await redis?.stop(); });

const ADMIN = 'admin-token-for-the-redis-ban-tests-0123';

/** 3 replicas sharing the Redis (and one API key), each with its own simulator. */
async function replicas(url: string, prefix: string, pubsub: boolean): Promise<Stack[]> {
  const out: Stack[] = [];
  for (let i = 0; i < 3; i++) {
    const banStore = pubsub ? undefined : createRedisBanStore({ url, clock: realClock, pollIntervalMs: 200, pubsub: false, keyPrefix: prefix });
    out.push(await startStack({
      admin: `token: ${ADMIN}`,
      extra: `abuse: { authFailures: { threshold: 20, window: 1m, banFor: 15m }, regularIntervals: false }\nstore: { kind: redis, url: "${url}" }`,
      gateway: banStore === undefined ? {} : { banStore },
    }));
  }
  return out;
}

const abuseOf = (s: Stack): Abuse => s.gw.abuse as Abuse;

async function run(t: TestContext, pubsub: boolean, spread: boolean): Promise<void> {
  if (redis === null) return t.skip(REDIS_MISSING);
  const prefix = `t${Date.now()}${pubsub ? 'p' : 'q'}${spread ? 's' : 'o'}`;
  // Each test uses its own addresses (the pub/sub replicas share the store's default prefix).
  const gws = await replicas(redis.url, prefix, pubsub);
  try {
    const ip = spread ? '127.0.1.2' : '127.0.1.3';
    const everywhere = Promise.all(gws.map((s, i) => nextBan(abuseOf(s), (b) => b.value === ip, `ban of ${ip} applied on replica ${i}`)));
    for (let i = 0; i < 20; i++) {
      const s = gws[spread ? i % 3 : 0] as Stack;
      assert.equal((await from(ip, s.url, '/v1/chat/completions', WRONG, chat('hi'))).status, 401);
    }
    const [ban] = await everywhere;
    for (const s of gws) {
      const r = await from(ip, s.url, '/v1/chat/completions', bearer(s.key), chat('hi'));
      assert.equal(r.status, 403, 'refused on every replica');
      assert.equal(r.code, 'MG_TEMPORARILY_BLOCKED');
      assert.equal((await from('127.0.1.9', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200, 'other addresses served');
    }
    // Lift through the admin API of another replica: every replica hears of it.
    const id = (ban as { id: string }).id;
    const lifted = Promise.all(gws.map((s, i) => nextLift(abuseOf(s), id, `ban ${id} lifted on replica ${i}`)));
    const res = await fetch(`${(gws[2] as Stack).gw.adminUrl}/admin/bans/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    await lifted;
    for (const s of gws) assert.equal((await from(ip, s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200);
  } finally {
    await Promise.all(gws.map((s) => s.close()));
  }
}

test('20 wrong keys to one replica: the address is refused on all 3 (pub/sub)', (t) => run(t, true, false));
test('20 wrong keys spread over 3 replicas: counted together, refused on all 3 (pub/sub)', (t) => run(t, true, true));
test('pub/sub off: the version poll carries the ban and the lift to every replica', (t) => run(t, false, false));

test('Redis frozen: a replica counts the failures it cannot write, and 20 to it still ban the address there', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const r = redis;
  const gws = await replicas(r.url, `t${Date.now()}f`, true);
  const s = gws[0] as Stack;
  try {
    const ip = '127.0.1.4';
    const banned = nextBan(abuseOf(s), (b) => b.value === ip, `ban of ${ip} applied on replica 0 while Redis is frozen`);
    r.pause(); // connections stay open, nothing answers: every counter write times out
    for (let i = 0; i < 20; i++) assert.equal((await from(ip, s.url, '/v1/chat/completions', WRONG, chat('hi'))).status, 401);
    await banned;
    const refused = await from(ip, s.url, '/v1/chat/completions', bearer(s.key), chat('hi'));
    assert.equal(refused.status, 403);
    assert.equal(refused.code, 'MG_TEMPORARILY_BLOCKED');
    const metrics = await (await fetch(`${s.gw.adminUrl}/metrics`)).text();
    assert.match(metrics, /modelgate_abuse_store_failures_total\{op="hit"\} 20\b/);
  } finally {
    r.resume();
    await Promise.all(gws.map((g) => g.close()));
  }
});

test('Redis refusing writes (over maxmemory) while a replica bans: the ban reaches every replica once Redis takes writes again', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const r = redis;
  const gws = await replicas(r.url, `t${Date.now()}m`, true);
  const admin = new Redis(r.url, { maxRetriesPerRequest: 1 });
  try {
    const ip = '127.0.1.5';
    const here = nextBan(abuseOf(gws[0] as Stack), (b) => b.value === ip, `ban of ${ip} applied on replica 0`);
    // Every write now fails with an OOM error; the connections stay up (no reconnect, no full read).
    await admin.config('SET', 'maxmemory', '1');
    for (let i = 0; i < 20; i++) assert.equal((await from(ip, (gws[0] as Stack).url, '/v1/chat/completions', WRONG, chat('hi'))).status, 401);
    await here;
    const elsewhere = Promise.all(gws.slice(1).map((s, i) => nextBan(abuseOf(s), (b) => b.value === ip, `ban of ${ip} applied on replica ${i + 1}`)));
    await admin.config('SET', 'maxmemory', '0');
    await elsewhere;
    for (const s of gws) assert.equal((await from(ip, s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 403);
  } finally {
    await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
    admin.disconnect();
    await Promise.all(gws.map((g) => g.close()));
  }
});
