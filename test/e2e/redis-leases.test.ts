// Concurrency leases through a real gateway and a real Redis cannot leak: the gateway's Redis
// connection is killed (CLIENT KILL) while two requests hold the key's two leases, and Redis
// refuses new connections (maxclients) while those requests end, so their releases fail; once
// Redis accepts connections again the releases are retried on the reconnected connection and
// the key's full concurrency comes back, instead of staying locked until a 15-minute expiry.
// Waits are for events (the model server holding both requests, the releases queued for retry,
// the store's state), with a generous cap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';
import { createRedisStore } from '../../src/limits/stores/redis.js';
import { startStack, post, bearer, chat, codeOf, sleep } from '../helpers.js';

let redis: RedisServer | null = null;
before(async () => { redis = await startRedisServer(); if (redis === null) console.warn(`SKIPPED: ${REDIS_MISSING}`); });
after(async () => { await redis?.stop(); });

async function until(check: () => boolean | Promise<boolean>, capMs = 20_000): Promise<boolean> {
  const end = Date.now() + capMs;
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return true;
    if (Date.now() > end) return false;
    await sleep(20);
  }
}

test('CLIENT KILL of the gateway\'s Redis connection while both leases of a key are held: full concurrency is back once the requests end', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const s = await startStack({
    tier: 't', timeout: '2s', sim: { mode: 'hang' },
    limits: `store: { kind: redis, url: "${redis.url}", onError: fail-closed }\ntiers: { t: { concurrency: 2 } }`,
  });
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const probe = createRedisStore({ url: redis.url, commandTimeoutMs: 5000 });
  try {
    assert.equal(await probe.waitReady(5000), true);
    const holders = [0, 1].map(() => post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key)));
    assert.equal(await until(() => s.sim.inFlight === 2), true, 'both requests reached the model server');
    const third = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
    assert.equal(codeOf(third), 'MG_CONCURRENCY_LIMIT', 'both leases are held');
    await admin.config('SET', 'maxclients', '1'); // nobody but the admin connection may (re)connect
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the gateway's (and the probe's) connection
    s.sim.options.mode = 'normal';
    const ended = await Promise.all(holders); // the upstream timeout ends them (504)
    assert.deepEqual(ended.map((r) => r.status), [504, 504]);
    const leases = s.gw.limiter.leases;
    assert.equal(await until(() => leases.pendingReleases() === 2), true, 'both releases failed and wait to be retried');
    await admin.config('SET', 'maxclients', '10000');
    const free = async (): Promise<boolean> => {
      const got = [await probe.acquire('key:test-key:conc', 'p1', 2, 1000), await probe.acquire('key:test-key:conc', 'p2', 2, 1000)];
      await probe.release('key:test-key:conc', 'p1');
      await probe.release('key:test-key:conc', 'p2');
      return got.every((g) => g.acquired);
    };
    assert.equal(await until(free), true, 'the key\'s two leases are obtainable again');
    const again = await Promise.all([0, 1].map(() => post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 2 }), bearer(s.key))));
    assert.deepEqual(again.map((r) => r.status), [200, 200], 'two concurrent requests admitted again');
  } finally {
    await admin.config('SET', 'maxclients', '10000').catch(() => undefined);
    admin.disconnect();
    await probe.close();
    await s.close();
  }
});
