// Exact decisions against a real redis-server (issue 10): a reply that arrived counts however
// late the event loop reads it; a decision the store gave up on consumes nothing (deadline on
// Redis time inside the script; and, when that is off, compensation of the late-applied
// decision); a lease whose reply was lost or whose connection was killed is released, and the
// key's full concurrency comes back. Waits are for events (a reply, a store state), with
// generous caps; no wall-clock bounds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisStore, type RedisStore } from '../../src/limits/stores/redis.js';
import { StoreUnavailableError, type BucketLimit } from '../../src/limits/stores/types.js';
import { Limiter } from '../../src/limits/limiter.js';
import { loadConfigText } from '../../src/config/load.js';
import { REDIS_MISSING, startRedisServer, type RedisServer } from '../redis-server.js';
import { NO_EVENTS } from '../../src/observability/events.js';

const limit: BucketLimit = { kind: 'gcra', rate: 5, periodMs: 3_600_000, burst: 5 };
let seq = 0;

async function readyStore(url: string, extra: { commandTimeoutMs?: number; redisDeadline?: boolean } = {}): Promise<RedisStore> {
  const store = createRedisStore({ url, keyPrefix: `mgx${++seq}`, commandTimeoutMs: 2000, ...extra });
  if (!(await store.waitReady(5000))) {
    await store.close();
    assert.fail('store did not become ready');
  }
  return store;
}

/** Poll `check` (an event in the store) until true; false after `capMs` (a generous cap, not a bound). */
async function eventually(check: () => Promise<boolean>, capMs = 20_000): Promise<boolean> {
  const until = Date.now() + capMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Units left in a bucket, read with a cost-0 decision (changes nothing). */
async function remaining(store: RedisStore, key: string): Promise<number> {
  return (await store.consume([{ key, limit, cost: 0 }], [])).buckets[0]?.remaining ?? NaN;
}

/** Block this process's event loop (as a busy gateway does under a burst). */
function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
}

const server = await startRedisServer();
if (server === null) {
  console.warn(`[redis-exact.test] SKIPPED: ${REDIS_MISSING}`);
  it('redis exact decisions', (t) => { t.skip(REDIS_MISSING); });
} else {
  const srv: RedisServer = server;
  let admin: Redis;
  before(() => { admin = new Redis(srv.url, { maxRetriesPerRequest: 1 }); });
  after(async () => { admin.disconnect(); await srv.stop(); });

  describe('a reply that arrived counts', () => {
    it('the loop blocked 5x past the deadline: the decisions that arrived meanwhile are answers, not timeouts', async () => {
      const store = await readyStore(srv.url, { commandTimeoutMs: 300 });
      try {
        const consume = store.consume([{ key: 'key:lag:req', limit, cost: 1 }], []);
        const acquire = store.acquire('key:lag:conc', 'r1', 1, 5000);
        blockLoop(1500); // replies land in the socket; the 300 ms timers expire long before we read them
        const [c, a] = await Promise.all([consume, acquire]);
        assert.equal(c.allowed, true);
        assert.equal(a.acquired, true);
        assert.equal(await remaining(store, 'key:lag:req'), 4, 'charged exactly once');
        assert.equal(store.repairs().pending, 0, 'nothing to undo');
      } finally {
        await store.close();
      }
    });

    it('every reply carries Redis time; the clock offset is seeded at connect', async () => {
      const store = await readyStore(srv.url);
      try {
        const low = store.clockOffset();
        assert.ok(low !== null, 'seeded by TIME at connect');
        const sentAt = performance.timeOrigin + performance.now();
        const [sec, usec] = await admin.time();
        const redisNow = Number(sec) * 1000 + Number(usec) / 1000;
        // The true offset is at most r - s for any call; the estimate never exceeds it.
        assert.ok(low <= redisNow - sentAt, `${low} <= ${redisNow - sentAt}`);
      } finally {
        await store.close();
      }
    });
  });

  describe('what the store gave up on consumes nothing', () => {
    it('Redis frozen: decisions time out; after resume they expired on Redis time and wrote nothing', async () => {
      const own = await startRedisServer();
      assert.ok(own);
      const store = await readyStore(own.url, { commandTimeoutMs: 500 });
      try {
        assert.equal((await store.consume([{ key: 'key:frz:req', limit, cost: 1 }], [])).allowed, true);
        own.pause();
        for (let i = 0; i < 3; i++) await assert.rejects(store.consume([{ key: 'key:frz:req', limit, cost: 1 }], []), StoreUnavailableError);
        await assert.rejects(store.acquire('key:frz:conc', 'lost', 1, 60_000), StoreUnavailableError);
        own.resume();
        // The next answer on the same connection comes after the queued (expired) scripts ran.
        assert.equal(await eventually(async () => (await store.budgetSpent('key:frz:b', 1000)) === 0), true);
        assert.equal(await remaining(store, 'key:frz:req'), 4, 'the 3 refused decisions consumed nothing');
        assert.equal((await store.acquire('key:frz:conc', 'next', 1, 60_000)).acquired, true, 'the lost acquire holds nothing');
      } finally {
        own.resume();
        await store.close();
        await own.stop();
      }
    });

    it('without the Redis-side deadline, a decision applied after it was given up on is undone (once)', async () => {
      const own = await startRedisServer();
      assert.ok(own);
      const store = await readyStore(own.url, { commandTimeoutMs: 500, redisDeadline: false });
      try {
        own.pause();
        await assert.rejects(store.consume([{ key: 'key:cmp:req', limit, cost: 2 }], [{ key: 'key:cmp:day', limit: 10, periodMs: 86_400_000, cost: 3 }]), StoreUnavailableError);
        await assert.rejects(store.acquire('key:cmp:conc', 'lost', 1, 60_000), StoreUnavailableError);
        own.resume();
        // Redis applies both late; the store undoes the consume and releases the lease.
        assert.equal(await eventually(async () => store.repairs().pending === 0 && store.ready()), true, 'repairs done');
        assert.equal(await remaining(store, 'key:cmp:req'), 5, 'the late-applied consume was compensated');
        assert.equal(await store.budgetSpent('key:cmp:day', 86_400_000), 0, 'its budget charge too');
        assert.equal((await store.acquire('key:cmp:conc', 'next', 1, 60_000)).acquired, true, 'the late lease was released');
        assert.equal(store.repairs().abandoned, 0);
      } finally {
        own.resume();
        await store.close();
        await own.stop();
      }
    });
  });

  describe('leases cannot leak', () => {
    const config = (url: string) => loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
store: { kind: redis, url: "${url}", onError: fail-closed }
auth: { keys: [] }
tiers: { t: { concurrency: 4 } }
upstreams: { llm: { targets: ["http://127.0.0.1:9"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`, {});

    async function fullConcurrency(probe: RedisStore, key: string): Promise<boolean> {
      let got = 0;
      for (let i = 0; i < 4; i++) if ((await probe.acquire(key, `probe-${i}`, 4, 1000)).acquired) got++;
      for (let i = 0; i < 4; i++) await probe.release(key, `probe-${i}`);
      return got === 4;
    }

    it('CLIENT KILL while 3 of 4 leases are held and an acquire is in flight: the key\'s full concurrency comes back', async () => {
      const store = await readyStore(srv.url);
      const probe = await readyStore(srv.url);
      const prefixed = createRedisStore({ url: srv.url, keyPrefix: `mgx${seq - 1}` });
      const limiter = new Limiter(config(srv.url), store, NO_EVENTS);
      try {
        const tier = limiter.tierOf('t');
        const releases: (() => Promise<void>)[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await limiter.lease('kill', tier, `held-${i}`);
          assert.equal(typeof r, 'function');
          releases.push(r as () => Promise<void>);
        }
        const inFlight = limiter.lease('kill', tier, 'in-flight');
        await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // kills the store's (and probe's) connection
        const last = await inFlight; // granted, or refused (fail-closed) and released by the store
        if (typeof last === 'function') releases.push(last);
        await Promise.all(releases.map((r) => r())); // requests end; their releases retry after reconnect
        assert.equal(await prefixed.waitReady(5000), true);
        assert.equal(await eventually(() => fullConcurrency(prefixed, 'key:kill:conc')), true, 'all 4 leases obtainable again');
        assert.equal(limiter.leases.size(), 0);
      } finally {
        limiter.leases.close();
        await Promise.all([store.close(), probe.close(), prefixed.close()]);
      }
    });

    it('a replica that stops (no release, no refresh): its leases expire within the lease TTL', async () => {
      const store = await readyStore(srv.url);
      const limiter = new Limiter(config(srv.url), store, NO_EVENTS, { leases: { ttlMs: 1000 } });
      try {
        const tier = limiter.tierOf('t');
        for (let i = 0; i < 4; i++) assert.equal(typeof (await limiter.lease('dies', tier, `d-${i}`)), 'function');
        const denied = await limiter.lease('dies', tier, 'one-more');
        assert.equal(typeof denied === 'function' ? 'granted' : denied.code, 'MG_CONCURRENCY_LIMIT');
        limiter.leases.close(); // the replica dies: nothing refreshes or releases
        assert.equal(await eventually(() => fullConcurrency(store, 'key:dies:conc')), true);
      } finally {
        await store.close();
      }
    });
  });
}
