// The Redis store: the shared contract against a private redis-server (real time), plus what only
// Redis promises: one round trip per call, server time, TTLs on every key, fast failure while Redis
// is down or frozen, recovery without recreating the store, and Cluster hash-tag rules.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import { createRedisStore, hashTag, REDIS_SCRIPTS, type RedisStore } from '../../src/limits/stores/redis.js';
import { StoreUnavailableError, type BucketLimit, type BucketOp, type BudgetOp, type RateLimit } from '../../src/limits/stores/types.js';
import { REDIS_MISSING, startRedisServer, type RedisServer } from '../redis-server.js';
import { storeContract } from './store-contract.js';

const server = await startRedisServer();
const limit: BucketLimit = { kind: 'gcra', rate: 10, periodMs: 1000, burst: 5 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let seq = 0;

async function readyStore(url: string, extra: { commandTimeoutMs?: number; cluster?: boolean } = {}): Promise<RedisStore> {
  // Generous by default (semantic tests on a possibly loaded machine); failure tests pass 50 ms.
  const store = createRedisStore({ url, keyPrefix: `mgt${++seq}`, commandTimeoutMs: 2000, ...extra });
  if (!(await store.waitReady(5000))) {
    await store.close(); // a leaked client would keep reconnecting and hold the test process open
    assert.fail(`store did not become ready on ${url}`);
  }
  return store;
}

if (server === null) {
  console.warn(`[redis-store.test] SKIPPED: ${REDIS_MISSING}`);
  it('redis store', (t) => { t.skip(REDIS_MISSING); });
} else {
  const srv: RedisServer = server;
  // A one-node cluster takes ~2 s to report cluster_state:ok (Redis's writable delay after
  // start); start it now so that it overlaps with the other tests.
  const clusterServer = startRedisServer({ cluster: true });
  clusterServer.catch(() => undefined); // awaited (and reported) by its test
  after(async () => {
    await srv.stop();
    await (await clusterServer.catch(() => null))?.stop();
  });

  storeContract('redis', async () => {
    const store = await readyStore(srv.url);
    return { store, cleanup: () => store.close() };
  });

  describe('redis store specifics', () => {
    let admin: Redis;
    before(() => { admin = new Redis(srv.url, { maxRetriesPerRequest: 1 }); });
    after(() => { admin.disconnect(); });

    /**
     * What one call costs, seen from both ends: the commands the client WROTE (ioredis's
     * sendCommand, wrapped; Script's NOSCRIPT->EVAL resend goes through it too) and the commands
     * the server EXECUTED (INFO commandstats; this also counts the commands a script runs inside,
     * which are not round trips, so it is used to check which script ran and that TIME ran once).
     */
    async function commandsDuring(fn: () => Promise<unknown>): Promise<{ sent: string[]; executed: Record<string, number> }> {
      type Send = (this: unknown, cmd: { name: string }, ...rest: unknown[]) => unknown;
      const proto = Redis.prototype as unknown as { sendCommand: Send };
      const orig = proto.sendCommand;
      const sent: string[] = [];
      await admin.config('RESETSTAT');
      proto.sendCommand = function (this: unknown, cmd, ...rest) {
        if (this !== admin) sent.push(cmd.name);
        return orig.call(this, cmd, ...rest);
      };
      try {
        await fn();
      } finally {
        proto.sendCommand = orig;
      }
      const info = await admin.info('commandstats');
      const executed: Record<string, number> = {};
      for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        const name = m[1] as string;
        if (name !== 'info' && !name.startsWith('config')) executed[name] = Number(m[2]);
      }
      return { sent, executed };
    }

    it('every call is exactly one round trip (one script or one command)', async () => {
      const store = await readyStore(srv.url);
      try {
        const buckets = [
          { key: 'key:rt:rps', limit, cost: 1 },
          { key: 'key:rt:tokens', limit: { kind: 'sliding-window', rate: 100, periodMs: 1000 } as const, cost: 10 },
          { key: 'ip:127.0.0.1:rps', limit, cost: 1 },
        ];
        const budgets = [{ key: 'key:rt:day', limit: 1000, periodMs: 86_400_000, cost: 5 }, { key: 'key:rt:month', limit: 10_000, periodMs: 2_592_000_000, cost: 5 }];
        let ws = 0;
        const calls: [string, () => Promise<unknown>][] = [
          ['consume (first use: scripts were loaded at connect)', async () => { ws = (await store.consume(buckets, budgets)).budgetWindowStart; }],
          ['consume', () => store.consume(buckets, budgets)],
          ['adjust', () => store.adjust(buckets.map((b) => ({ key: b.key, limit: b.limit, delta: -1 })), [{ key: 'key:rt:day', periodMs: 86_400_000, delta: -5, windowStart: ws }])],
          ['acquire', () => store.acquire('key:rt:conc', 'r1', 4, 10_000)],
          ['release', () => store.release('key:rt:conc', 'r1')],
          ['budgetSpent', () => store.budgetSpent('key:rt:day', 86_400_000)],
        ];
        for (const [what, fn] of calls) {
          const { sent, executed } = await commandsDuring(fn);
          assert.equal(sent.length, 1, `${what} sent ${sent.join(', ')}`);
          const topLevel = (executed.eval ?? 0) + (executed.evalsha ?? 0) + (executed.zrem ?? 0);
          assert.equal(topLevel, 1, `${what} executed ${JSON.stringify(executed)}`);
          if (what !== 'release') assert.equal(executed.time, 1, `${what} read the server clock once`);
        }
        const steady = await commandsDuring(() => store.consume(buckets, budgets));
        assert.deepEqual(steady.sent, ['evalsha'], 'steady state is one EVALSHA');
        assert.equal(steady.executed.evalsha, 1);
      } finally {
        await store.close();
      }
    });

    it('the Lua scripts decide exactly like gcra.ts (random op sequences vs the memory store)', async () => {
      // Slow limits (units per hour/day) so the few ms that pass on the Redis side cannot change
      // a decision or a `remaining`; the memory store runs on a frozen clock.
      const H = 3_600_000;
      const lims: Record<string, RateLimit> = {
        a: { kind: 'gcra', rate: 1, periodMs: H, burst: 10 },
        b: { kind: 'gcra', rate: 3, periodMs: H, burst: 3 },
        w: { kind: 'sliding-window', rate: 8, periodMs: 86_400_000 },
      };
      const step = fc.oneof(
        fc.record({
          t: fc.constant('consume' as const),
          buckets: fc.array(fc.record({ k: fc.constantFrom('a', 'b', 'w'), cost: fc.integer({ min: 0, max: 12 }) }), { maxLength: 3 }),
          budget: fc.option(fc.integer({ min: 0, max: 25 })),
        }),
        fc.record({ t: fc.constant('adjust' as const), k: fc.constantFrom('a', 'b', 'w', 'g'), delta: fc.integer({ min: -6, max: 6 }) }),
      );
      const store = await readyStore(srv.url);
      let run = 0;
      try {
        await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
          const now = Date.now();
          const mem = createMemoryStore({ now: () => now });
          const id = `key:diff-${++run}`;
          let ws = Math.floor(now / 86_400_000) * 86_400_000;
          for (const s of steps) {
            if (s.t === 'consume') {
              const buckets: BucketOp[] = s.buckets.map((o) => ({ key: `${id}:${o.k}`, limit: lims[o.k] as RateLimit, cost: o.cost }));
              const budgets: BudgetOp[] = s.budget === null ? [] : [{ key: `${id}:g`, limit: 20, periodMs: 86_400_000, cost: s.budget }];
              const [m, r] = await Promise.all([mem.consume(buckets, budgets), store.consume(buckets, budgets)]);
              const view = (x: typeof m) => [x.allowed, ...[...x.buckets, ...x.budgets].map((o) => `${o.allowed}/${o.remaining}/${o.retryAfterMs === -1}`)];
              assert.deepEqual(view(r), view(m), JSON.stringify(steps));
              if (budgets.length > 0) ws = r.budgetWindowStart;
            } else if (s.k === 'g') {
              const adj = [{ key: `${id}:g`, periodMs: 86_400_000, delta: s.delta, windowStart: ws }];
              await Promise.all([mem.adjust([], adj), store.adjust([], adj)]);
            } else {
              const adj = [{ key: `${id}:${s.k}`, limit: lims[s.k] as RateLimit, delta: s.delta }];
              await Promise.all([mem.adjust(adj, []), store.adjust(adj, [])]);
            }
          }
          assert.equal(await store.budgetSpent(`${id}:g`, 86_400_000), await mem.budgetSpent(`${id}:g`, 86_400_000));
        }), { numRuns: 60 });
      } finally {
        await store.close();
      }
    });

    it('uses Redis server time (TIME), never the local clock', async () => {
      for (const [name, lua] of Object.entries(REDIS_SCRIPTS)) assert.match(lua, /redis\.call\('TIME'\)/, name);
      const store = await readyStore(srv.url);
      const realNow = Date.now;
      try {
        Date.now = () => realNow() + 40 * 86_400_000; // a replica whose clock is 40 days ahead
        const hour = 3_600_000;
        const r = await store.consume([], [{ key: 'key:clock:b', limit: 10, periodMs: hour, cost: 1 }]);
        Date.now = realNow;
        const [sec] = await admin.time();
        const serverWindow = Math.floor((Number(sec) * 1000) / hour) * hour;
        assert.ok(Math.abs(r.budgetWindowStart - serverWindow) <= hour, `window ${r.budgetWindowStart} vs server ${serverWindow}`);
      } finally {
        Date.now = realNow;
        await store.close();
      }
    });

    it('every key it writes has a TTL bounded by its state', async () => {
      const store = await readyStore(srv.url);
      try {
        const prefix = `mgt${seq}`;
        await store.consume(
          [{ key: 'key:ttl:g', limit, cost: 3 }, { key: 'key:ttl:w', limit: { kind: 'sliding-window', rate: 5, periodMs: 2000 }, cost: 1 }],
          [{ key: 'key:ttl:b', limit: 10, periodMs: 5000, cost: 1 }],
        );
        await store.acquire('key:ttl:l', 'x', 2, 3000);
        const keys = await admin.keys(`${prefix}:*`);
        assert.equal(keys.length, 4, keys.join(' '));
        for (const k of keys) {
          const pttl = await admin.pttl(k);
          assert.ok(pttl > 0, `${k} has no TTL (${pttl})`);
          const bound = k.includes(':b:') ? 300 : k.includes(':w:') ? 4000 : k.includes(':g:') ? 5000 : 3000;
          assert.ok(pttl <= bound + 1000, `${k}: PTTL ${pttl} > ${bound} + margin`);
        }
        assert.ok(keys.every((k) => k.startsWith(`${prefix}:{key:ttl}:`)), 'all keys under the scope hash tag');
      } finally {
        await store.close();
      }
    });

    it('fails fast while Redis is down, and recovers on restart without a new store', async () => {
      const own = await startRedisServer();
      assert.ok(own);
      const store = await readyStore(own.url, { commandTimeoutMs: 50 });
      try {
        assert.equal((await store.consume([{ key: 'key:down:x', limit, cost: 1 }], [])).allowed, true);
        await own.kill();
        // (How long a call waits is a wall-clock number: bench/burst.ts measures it.)
        for (let i = 0; i < 5; i++) {
          await assert.rejects(store.consume([{ key: 'key:down:x', limit, cost: 1 }], []), StoreUnavailableError);
          await sleep(20);
        }
        assert.equal(store.ready(), false);
        await own.restart();
        const until = Date.now() + 5000;
        let ok = false;
        while (!ok && Date.now() < until) {
          ok = await store.consume([{ key: 'key:down:x', limit, cost: 1 }], []).then((r) => r.allowed, () => false);
          if (!ok) await sleep(50);
        }
        assert.equal(ok, true, 'calls succeed again after restart (scripts reloaded via EVAL)');
        assert.equal(store.ready(), true);
        assert.ok(store.errorCount() > 0, 'connection errors were counted, not thrown');
      } finally {
        await store.close();
        await own.stop();
      }
    });

    it('never hangs while Redis is blackholed (frozen process)', async () => {
      const own = await startRedisServer();
      assert.ok(own);
      const store = await readyStore(own.url, { commandTimeoutMs: 50 });
      try {
        own.pause();
        for (const call of [
          () => store.consume([{ key: 'key:bh:x', limit, cost: 1 }], []),
          () => store.acquire('key:bh:c', 'l1', 1, 1000),
          () => store.budgetSpent('key:bh:b', 1000),
        ]) {
          await assert.rejects(call(), StoreUnavailableError); // settles: the deadline, not Redis, decides
        }
        own.resume();
        const until = Date.now() + 5000;
        let ok = false;
        while (!ok && Date.now() < until) {
          ok = await store.budgetSpent('key:bh:b', 1000).then(() => true, () => false);
          if (!ok) await sleep(50);
        }
        assert.equal(ok, true, 'answers again once unfrozen');
      } finally {
        own.resume();
        await store.close();
        await own.stop();
      }
    });

    it('a closed store rejects with StoreUnavailableError', async () => {
      const store = await readyStore(srv.url);
      await store.close();
      await assert.rejects(store.budgetSpent('key:closed:b', 1000), StoreUnavailableError);
      assert.equal(store.ready(), false);
    });
  });

  describe('redis store in Cluster mode', () => {
    it('hash tag is a function of the logical key alone', () => {
      assert.equal(hashTag('key:acme-prod:cost'), 'key:acme-prod');
      assert.equal(hashTag('ip:203.0.113.9:requests'), 'ip:203.0.113.9');
      assert.equal(hashTag('solo'), 'solo');
      assert.equal(hashTag('a{b}:c:d'), 'a_b_:c');
      assert.equal(hashTag(':x'), ':x');
    });

    it('one scope per call works; mixing scopes is refused up front', async () => {
      const cl = await clusterServer;
      assert.ok(cl);
      const store = await readyStore(cl.url, { cluster: true });
      try {
        const r = await store.consume(
          [{ key: 'key:c1:rps', limit, cost: 1 }, { key: 'key:c1:tokens', limit, cost: 1 }],
          [{ key: 'key:c1:day', limit: 100, periodMs: 86_400_000, cost: 1 }],
        );
        assert.equal(r.allowed, true);
        assert.equal((await store.acquire('key:c1:conc', 'a', 1, 1000)).acquired, true);
        assert.equal(await store.budgetSpent('key:c1:day', 86_400_000), 1);
        await assert.rejects(
          store.consume([{ key: 'key:c1:rps', limit, cost: 1 }, { key: 'ip:10.0.0.1:rps', limit, cost: 1 }], []),
          (e: unknown) => e instanceof Error && !(e instanceof StoreUnavailableError) && /one hash tag/.test(e.message),
        );
        await assert.rejects(store.adjust([{ key: 'key:c1:rps', limit, delta: -1 }], [{ key: 'ip:x:y', periodMs: 1000, delta: 1, windowStart: 0 }]), /one hash tag/);
      } finally {
        await store.close();
      }
    });
  });
}
