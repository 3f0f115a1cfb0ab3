// Limits shared through a real Redis (started by the test on a free port): three gateway
// processes enforce one limit exactly, even under a burst that makes their event loops lag far
// past the store timeout; a Redis outage (killed, or frozen with SIGSTOP) does what
// store.onError says, refused requests consume nothing, and exact limiting resumes when Redis
// returns. (How long requests waited during an outage is a wall-clock number: bench/burst.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createRedisStore } from '../../src/limits/stores/redis.js';
import { startStack, post, bearer, chat, codeOf, sleep } from '../helpers.js';
import { burst, count, startReplicas } from '../gateway-replicas.js';

let redis: RedisServer | null = null;
before(async () => { redis = await startRedisServer(); if (redis === null) console.warn(`SKIPPED: ${REDIS_MISSING}`); });
after(async () => { await redis?.stop(); });

const LIMITED = '{ requests: { rate: 100, per: 1h, burst: 100 } }';

test('three gateway processes sharing one Redis, default store timeout: 300 concurrent requests for a key limited to 100 → exactly 100 admitted, no MG_STORE_UNAVAILABLE, on the first requests after start and warm', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const sim: Simulator = await startSimulator();
  // Warnings kept: when a store call fails, its reason (not ready at start, timed out here,
  // reached Redis after its deadline) is in the gateways' warn lines, shown on failure.
  const r = await startReplicas({ redisUrl: redis.url, simUrl: sim.url, n: 3, keyIds: ['cold', 'warm'], tier: LIMITED, store: 'onError: fail-closed', logs: true });
  try {
    for (const id of ['cold', 'warm']) {
      const b = await burst(r.urls, r.keys[id] as string, 300);
      const reasons = [...new Set(r.logs.filter((l) => l.includes('store')).map((l) => l.slice(0, 300)))].slice(0, 5);
      assert.equal(count(b.codes, 'MG_STORE_UNAVAILABLE'), 0, `${id}: store unavailable with Redis healthy; gateway warnings: ${reasons.join(' | ')}`);
      assert.equal(count(b.statuses, 200), 100, `${id}: admitted`);
      assert.equal(count(b.statuses, 429), 200, `${id}: other statuses: ${b.statuses.filter((x) => x !== 200 && x !== 429).join(',')}`);
    }
    assert.equal(sim.requests.length, 200, 'the model server saw exactly the admitted requests');
  } finally {
    await r.close();
    await sim.close();
  }
});

const REDIS_TIER = (url: string, onError: string): string => `
store: { kind: redis, url: "${url}", onError: ${onError}, replicas: 2 }
tiers: { t: { requests: { rate: 10, per: 1h, burst: 10 } } }
`;

for (const mode of ['fail-closed', 'fail-open', 'local'] as const) {
  test(`Redis killed under load, onError: ${mode}`, async (t) => {
    if (redis === null) return t.skip(REDIS_MISSING);
    await redis.restart().catch(() => undefined);
    const s = await startStack({ tier: 't', limits: REDIS_TIER(redis.url, mode) });
    try {
      // Shared limiting works: 4 of the key's 10.
      const warm = await burst([s.url], s.key, 4);
      assert.equal(count(warm.statuses, 200), 4);
      await redis.kill();
      const down = await burst([s.url], s.key, 20);
      if (mode === 'fail-closed') {
        assert.equal(count(down.statuses, 503), 20);
        assert.ok(down.codes.every((c) => c === 'MG_STORE_UNAVAILABLE'));
      } else if (mode === 'fail-open') {
        assert.equal(count(down.statuses, 200), 20);
        assert.match(await s.gw.metrics.registry.getSingleMetricAsString('modelgate_store_failures_total'), /mode="fail-open"\} [1-9]/);
      } else {
        // local: each replica enforces 10 ÷ 2 = 5 in memory.
        assert.equal(count(down.statuses, 200), 5, down.codes.join(','));
        assert.equal(count(down.statuses, 429), 15);
      }
      await redis.restart();
      const store = s.gw.store as unknown as { waitReady(ms: number): Promise<boolean> };
      assert.equal(await store.waitReady(5000), true, 'the store reconnected by itself');
      // Exact limiting resumes from Redis' own state: the restarted (empty) Redis allows 10 again.
      const back = await burst([s.url], s.key, 15);
      assert.ok(count(back.statuses, 200) <= 10, `after recovery: ${count(back.statuses, 200)} admitted`);
      assert.ok(count(back.statuses, 429) >= 5);
    } finally { await s.close(); }
  });
}

test('the gateway starts while Redis is down and applies onError', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  await redis.kill();
  const t0 = Date.now();
  const s = await startStack({ tier: 't', limits: REDIS_TIER(redis.url, 'fail-closed') });
  try {
    assert.ok(Date.now() - t0 < 3000, 'start did not wait for Redis');
    const r = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
    assert.equal(r.status, 503);
    assert.equal(codeOf(r), 'MG_STORE_UNAVAILABLE');
    assert.equal(s.sim.requests.length, 0);
    await redis.restart();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key))).status;
      if (status !== 200) await sleep(50);
    }
    assert.equal(status, 200, 'recovered without a restart');
  } finally { await s.close(); }
});

for (const mode of ['fail-closed', 'local'] as const) {
  test(`Redis frozen (SIGSTOP) under load, onError: ${mode}: every request gets the configured answer, and the refused ones consumed nothing`, async (t) => {
    if (redis === null) return t.skip(REDIS_MISSING);
    await redis.restart();
    const s = await startStack({ tier: 't', limits: REDIS_TIER(redis.url, mode) });
    const probe = createRedisStore({ url: redis.url, commandTimeoutMs: 5000 });
    const left = async (): Promise<number> => (await probe.consume([{ key: 'key:test-key:req', limit: { kind: 'gcra', rate: 10, periodMs: 3_600_000, burst: 10 }, cost: 0 }], [])).buckets[0]?.remaining ?? NaN;
    try {
      assert.equal(await probe.waitReady(5000), true);
      assert.equal(count((await burst([s.url], s.key, 4)).statuses, 200), 4);
      assert.equal(await left(), 6);
      redis.pause();
      const during = await burst([s.url], s.key, 30);
      const more = await burst([s.url], s.key, 10); // still frozen: a second wave
      redis.resume();
      const statuses = [...during.statuses, ...more.statuses];
      const codes = [...during.codes, ...more.codes];
      if (mode === 'fail-closed') {
        assert.equal(count(statuses, 503), 40);
        assert.ok(codes.every((c) => c === 'MG_STORE_UNAVAILABLE'));
        assert.equal(s.sim.requests.length, 4);
      } else {
        // local: each replica enforces 10 ÷ 2 = 5 in memory while the shared store is silent.
        assert.equal(count(statuses, 200), 5, codes.join(','));
        assert.equal(count(statuses, 429), 35);
      }
      // The probe's answer comes after every queued decision has run on Redis: none was applied.
      assert.equal(await left(), 6, 'decisions given up on during the pause consumed nothing');
      const back = await burst([s.url], s.key, 10);
      assert.equal(count(back.statuses, 200), 6, 'exact limiting resumes from the unchanged bucket');
    } finally {
      redis.resume();
      await probe.close();
      await s.close();
    }
  });
}
