/**
 * ONE contract suite, run unchanged against every store (memory with an injected clock, Redis in
 * real time against its own redis-server). Time-dependent checks go through `wait()`, which
 * advances the injected clock when there is one and really sleeps otherwise. Real-time bounds are
 * tolerant (a loaded 2-core machine) but still meaningful: where a scenario needs several calls to
 * land within a short span and the machine was too slow, it is retried with a fresh key rather than
 * asserted loosely.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BucketLimit, BucketOp, BudgetOp, Store, WindowLimit } from '../../src/limits/stores/types.js';

export interface ContractHarness {
  store: Store;
  /** Advance the store's clock (memory); absent = real time. */
  advance?: (ms: number) => void;
  cleanup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const DAY = 86_400_000;

interface Ctx {
  store: Store;
  exact: boolean;
  wait(ms: number): Promise<void>;
  key(name: string): string;
  /** Wait until a fresh epoch-aligned window of `periodMs` has just begun (by the store's clock). */
  alignToWindow(periodMs: number): Promise<void>;
  /** Runs `body` up to 4 times while it returns 'too-slow' (real time only). */
  timed(body: () => Promise<'ok' | 'too-slow'>): Promise<void>;
}

export function storeContract(name: string, make: () => Promise<ContractHarness>): void {
  async function withStore(fn: (c: Ctx) => Promise<void>): Promise<void> {
    const h = await make();
    const run = randomUUID().slice(0, 8);
    const c: Ctx = {
      store: h.store,
      exact: h.advance !== undefined,
      wait: async (ms) => { if (h.advance) h.advance(ms); else await sleep(ms); },
      key: (n) => `key:t-${run}:${n}`,
      async alignToWindow(periodMs) {
        const r = await h.store.consume([], [{ key: c.key(`align-${periodMs}`), limit: 1, periodMs, cost: 0 }]);
        await c.wait((r.budgets[0]?.resetMs ?? 0) + (c.exact ? 0 : 15));
      },
      async timed(body) {
        for (let i = 0; i < 4; i++) if ((await body()) === 'ok') return;
        assert.fail('machine too slow for this timing scenario 4 times in a row');
      },
    };
    try {
      await fn(c);
    } finally {
      await h.cleanup();
    }
  }
  const one = async (s: Store, op: BucketOp) => {
    const r = await s.consume([op], []);
    const b = r.buckets[0];
    assert.ok(b);
    assert.equal(r.allowed, b.allowed);
    return b;
  };

  describe(`store contract: ${name}`, () => {
    it('GCRA: burst, then the steady rate (10/s, burst 5)', () => withStore(async (c) => {
      const limit: BucketLimit = { kind: 'gcra', rate: 10, periodMs: 1000, burst: 5 };
      let attempt = 0;
      await c.timed(async () => {
        const key = c.key(`burst-${attempt++}`);
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) {
          const r = await one(c.store, { key, limit, cost: 1 });
          // A unit refills every 100 ms: on a machine too slow to finish the burst in 60 ms, retry.
          if (!c.exact && performance.now() - t0 > 60) return 'too-slow';
          assert.equal(r.allowed, true, `request ${i + 1} of the burst`);
          assert.equal(r.remaining, 4 - i);
        }
        const sixth = await one(c.store, { key, limit, cost: 1 });
        const elapsed = performance.now() - t0;
        if (!c.exact && elapsed > 60) return 'too-slow';
        assert.equal(sixth.allowed, false);
        assert.equal(sixth.remaining, 0);
        // One unit (T = 100 ms) must have drained since the burst began.
        if (c.exact) assert.equal(sixth.retryAfterMs, 100);
        else assert.ok(sixth.retryAfterMs >= 100 - elapsed - 2 && sixth.retryAfterMs <= 100, `retryAfter ${sixth.retryAfterMs}`);
        await c.wait(sixth.retryAfterMs + (c.exact ? 0 : 10));
        assert.equal((await one(c.store, { key, limit, cost: 1 })).allowed, true, 'allowed after retryAfter');
        const again = await one(c.store, { key, limit, cost: 1 });
        // The next unit is due 200 ms after the burst began.
        if (!c.exact && performance.now() - t0 > 180) return 'too-slow';
        assert.equal(again.allowed, false, 'only one unit had been refilled');
        return 'ok';
      });
    }));

    it('GCRA: cost is consumed as units; cost > burst is refused forever (-1)', () => withStore(async (c) => {
      const limit: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 5 };
      const key = c.key('cost');
      const a = await one(c.store, { key, limit, cost: 3 });
      assert.deepEqual([a.allowed, a.remaining, a.retryAfterMs], [true, 2, 0]);
      const b = await one(c.store, { key, limit, cost: 3 });
      assert.deepEqual([b.allowed, b.remaining], [false, 0]);
      assert.ok(b.retryAfterMs > 50_000 && b.retryAfterMs <= 60_000, `one unit refills in ~60 s, got ${b.retryAfterMs}`);
      assert.equal((await one(c.store, { key, limit, cost: 2 })).allowed, true);
      const fresh = c.key('cost-over');
      const over = await one(c.store, { key: fresh, limit, cost: 6 });
      assert.deepEqual([over.allowed, over.retryAfterMs, over.remaining], [false, -1, 0]);
      assert.equal((await one(c.store, { key: fresh, limit, cost: 5 })).allowed, true, 'a refusal takes nothing');
    }));

    it('all-or-nothing across buckets and budgets', () => withStore(async (c) => {
      const big: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 5 };
      const small: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 2 };
      const A = c.key('aon-a'); const B = c.key('aon-b'); const G = c.key('aon-budget');
      assert.equal((await one(c.store, { key: B, limit: small, cost: 2 })).allowed, true);
      const r = await c.store.consume(
        [{ key: A, limit: big, cost: 3 }, { key: B, limit: small, cost: 1 }],
        [{ key: G, limit: 100, periodMs: DAY, cost: 10 }],
      );
      assert.equal(r.allowed, false);
      assert.deepEqual(r.buckets.map((b) => [b.key, b.allowed]), [[A, true], [B, false]]);
      assert.equal(r.budgets[0]?.allowed, true);
      assert.equal(r.buckets[0]?.remaining, 5, 'not applied: reports the unchanged bucket');
      assert.equal(r.budgets[0]?.remaining, 100);
      assert.equal((await one(c.store, { key: A, limit: big, cost: 5 })).allowed, true, 'A was left untouched');
      assert.equal(await c.store.budgetSpent(G, DAY), 0, 'budget was left untouched');
      // A refusing budget blocks the buckets too.
      const C = c.key('aon-c');
      const r2 = await c.store.consume([{ key: C, limit: big, cost: 1 }], [{ key: G, limit: 100, periodMs: DAY, cost: 101 }]);
      assert.equal(r2.allowed, false);
      assert.equal(r2.budgets[0]?.retryAfterMs, -1);
      assert.equal((await one(c.store, { key: C, limit: big, cost: 5 })).allowed, true);
      // Two ops on one key in one call see each other.
      const D = c.key('aon-dup');
      const dup = await c.store.consume([{ key: D, limit: big, cost: 3 }, { key: D, limit: big, cost: 3 }], []);
      assert.deepEqual(dup.buckets.map((b) => b.allowed), [true, false]);
      assert.equal((await one(c.store, { key: D, limit: big, cost: 5 })).allowed, true);
      const empty = await c.store.consume([], []);
      assert.deepEqual([empty.allowed, empty.buckets.length, empty.budgets.length], [true, 0, 0]);
    }));

    it('reservation then correction; never fuller than full', () => withStore(async (c) => {
      const limit: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 5 };
      const key = c.key('reserve');
      assert.equal((await one(c.store, { key, limit, cost: 5 })).allowed, true);
      assert.equal((await one(c.store, { key, limit, cost: 1 })).allowed, false);
      await c.store.adjust([{ key, limit, delta: -4 }], []);
      const four = await one(c.store, { key, limit, cost: 4 });
      assert.deepEqual([four.allowed, four.remaining], [true, 0]);
      assert.equal((await one(c.store, { key, limit, cost: 1 })).allowed, false);
      const full = c.key('reserve-full');
      await c.store.adjust([{ key: full, limit, delta: -100 }], []);
      const r = await one(c.store, { key: full, limit, cost: 5 });
      assert.deepEqual([r.allowed, r.remaining], [true, 0], 'a refund on a full bucket adds nothing');
      assert.equal((await one(c.store, { key: full, limit, cost: 1 })).allowed, false);
      const extra = c.key('reserve-extra');
      await c.store.adjust([{ key: extra, limit, delta: 3 }], []);
      assert.equal((await one(c.store, { key: extra, limit, cost: 3 })).allowed, false);
      assert.equal((await one(c.store, { key: extra, limit, cost: 2 })).allowed, true, 'a charge takes units');
    }));

    it('budgets: spend, refuse, refund, budgetSpent', () => withStore(async (c) => {
      const key = c.key('budget');
      const op = (cost: number): BudgetOp => ({ key, limit: 100, periodMs: DAY, cost });
      const a = await c.store.consume([], [op(60)]);
      assert.equal(a.allowed, true);
      assert.equal(a.budgets[0]?.remaining, 40);
      assert.equal(a.budgetWindowStart, Math.floor(a.budgetWindowStart / DAY) * DAY, 'epoch-aligned');
      assert.equal(a.budgets[0]?.windowStart, a.budgetWindowStart);
      const b = await c.store.consume([], [op(50)]);
      assert.equal(b.allowed, false);
      const rb = b.budgets[0];
      assert.ok(rb && rb.retryAfterMs > 0 && rb.retryAfterMs === rb.resetMs && rb.resetMs <= DAY, 'retry when the window resets');
      assert.equal(await c.store.budgetSpent(key, DAY), 60);
      await c.store.adjust([], [{ key, periodMs: DAY, delta: -30, windowStart: a.budgetWindowStart }]);
      assert.equal(await c.store.budgetSpent(key, DAY), 30);
      assert.equal((await c.store.consume([], [op(50)])).allowed, true);
      assert.equal(await c.store.budgetSpent(key, DAY), 80);
      // A correction for a past window changes nothing now.
      await c.store.adjust([], [{ key, periodMs: DAY, delta: -80, windowStart: a.budgetWindowStart - DAY }]);
      assert.equal(await c.store.budgetSpent(key, DAY), 80);
      await c.store.adjust([], [{ key, periodMs: DAY, delta: -1000, windowStart: a.budgetWindowStart }]);
      assert.equal(await c.store.budgetSpent(key, DAY), 0, 'never below zero');
      assert.equal(await c.store.budgetSpent(c.key('never-used'), DAY), 0);
      // Budgets of different periods each report their own window.
      const two = await c.store.consume([], [{ key, limit: 100, periodMs: DAY, cost: 1 }, { key: c.key('hourly'), limit: 10, periodMs: 3_600_000, cost: 1 }]);
      assert.equal(two.budgetWindowStart, two.budgets[0]?.windowStart);
      assert.equal(two.budgets[1]?.windowStart, Math.floor((two.budgets[1]?.windowStart ?? 1) / 3_600_000) * 3_600_000);
    }));

    it('budgets roll over to a fresh window', () => withStore(async (c) => {
      const P = 400;
      const key = c.key('rollover');
      await c.alignToWindow(P);
      const a = await c.store.consume([], [{ key, limit: 100, periodMs: P, cost: 100 }]);
      assert.equal(a.allowed, true);
      const b = await c.store.consume([], [{ key, limit: 100, periodMs: P, cost: 1 }]);
      assert.equal(b.allowed, false);
      assert.ok((b.budgets[0]?.resetMs ?? 0) <= P);
      await c.wait((b.budgets[0]?.resetMs ?? 0) + (c.exact ? 0 : 20));
      const d = await c.store.consume([], [{ key, limit: 100, periodMs: P, cost: 1 }]);
      assert.equal(d.allowed, true, 'new window');
      assert.equal(d.budgetWindowStart, a.budgetWindowStart + P);
      assert.equal(await c.store.budgetSpent(key, P), 1);
    }));

    it('sliding window: at most rate per window, previous window fades out', () => withStore(async (c) => {
      const P = 500;
      const limit: WindowLimit = { kind: 'sliding-window', rate: 5, periodMs: P };
      const key = c.key('sliding');
      await c.alignToWindow(P);
      for (let i = 0; i < 5; i++) assert.equal((await one(c.store, { key, limit, cost: 1 })).allowed, true);
      const r = await one(c.store, { key, limit, cost: 1 });
      const tRefused = performance.now();
      assert.equal(r.allowed, false);
      // Next window, once 1/5 of the previous window's count has faded: ~(P - elapsed) + 0.2 P.
      assert.ok(r.retryAfterMs > 0.2 * P && r.retryAfterMs <= 1.2 * P, `retryAfter ${r.retryAfterMs}`);
      assert.ok(r.resetMs > P && r.resetMs <= 2 * P, `reset ${r.resetMs}`);
      if (c.exact) assert.equal(r.retryAfterMs, 600);
      assert.equal((await one(c.store, { key, limit, cost: 6 })).retryAfterMs, -1);
      await c.wait(r.retryAfterMs + (c.exact ? 0 : 10));
      assert.equal((await one(c.store, { key, limit, cost: 1 })).allowed, true, 'allowed after retryAfter');
      const no = await one(c.store, { key, limit, cost: 1 });
      // The previous window still counts ~4 units (it takes 100 ms more to fade one); only a very
      // slow machine (late timer) lets it fade enough to admit this one.
      if (c.exact || performance.now() - tRefused < r.retryAfterMs + 60) assert.equal(no.allowed, false, 'estimate still near the rate');
      const other = c.key('sliding-cost');
      const x = await one(c.store, { key: other, limit, cost: 2 });
      assert.deepEqual([x.allowed, x.remaining], [true, 3]);
      await c.store.adjust([{ key: other, limit, delta: -2 }], []);
      assert.equal((await one(c.store, { key: other, limit, cost: 5 })).allowed, true, 'refund returns units');
    }));

    it('concurrency leases: limit, release, idempotence, TTL', () => withStore(async (c) => {
      const key = c.key('lease');
      assert.deepEqual(await c.store.acquire(key, 'a', 2, 60_000), { acquired: true, inUse: 1 });
      assert.deepEqual(await c.store.acquire(key, 'b', 2, 60_000), { acquired: true, inUse: 2 });
      assert.deepEqual(await c.store.acquire(key, 'c', 2, 60_000), { acquired: false, inUse: 2 });
      assert.deepEqual(await c.store.acquire(key, 'b', 2, 60_000), { acquired: true, inUse: 2 }, 're-acquire is idempotent');
      await c.store.release(key, 'a');
      assert.deepEqual(await c.store.acquire(key, 'c', 2, 60_000), { acquired: true, inUse: 2 });
      await c.store.release(key, 'nobody');
      await c.store.release(c.key('no-such-lease'), 'x');
      assert.equal((await c.store.acquire(key, 'd', 2, 60_000)).acquired, false, 'unknown release freed nothing');
      const ttlKey = c.key('lease-ttl');
      assert.equal((await c.store.acquire(ttlKey, 'long', 2, 60_000)).acquired, true);
      assert.equal((await c.store.acquire(ttlKey, 'dies', 2, 150)).acquired, true);
      assert.equal((await c.store.acquire(ttlKey, 'x', 2, 60_000)).acquired, false);
      await c.wait(c.exact ? 150 : 250);
      assert.deepEqual(await c.store.acquire(ttlKey, 'x', 2, 60_000), { acquired: true, inUse: 2 }, 'the crashed holder expired');
      assert.equal((await c.store.acquire(ttlKey, 'y', 2, 60_000)).acquired, false, 'the long lease survived the short one');
    }));

    it('lease refresh: extends held leases only; an expired or released lease stays gone', () => withStore(async (c) => {
      const T = c.exact ? 1000 : 600;
      let attempt = 0;
      await c.timed(async () => {
        const key = c.key(`refresh-${attempt++}`);
        const t0 = performance.now();
        assert.equal((await c.store.acquire(key, 'a', 2, T)).acquired, true);
        assert.equal((await c.store.acquire(key, 'b', 2, T)).acquired, true);
        await c.store.release(key, 'b');
        await c.wait(T / 2);
        assert.equal(await c.store.refresh(key, ['a', 'b', 'ghost'], T), 1, 'only the held lease is extended');
        await c.wait(T * 0.75); // past a's first expiry, within the refreshed one
        const late = !c.exact && performance.now() - t0 > T * 1.4;
        if (late) return 'too-slow';
        assert.deepEqual(await c.store.acquire(key, 'c', 1, T), { acquired: false, inUse: 1 }, 'a is still held after its first TTL');
        await c.wait(T);
        assert.equal(await c.store.refresh(key, ['a'], T), 0, 'a expired: refresh does not bring it back');
        assert.deepEqual(await c.store.acquire(key, 'c', 1, T), { acquired: true, inUse: 1 });
        assert.equal(await c.store.refresh(c.key('no-such-lease'), ['x'], T), 0);
        return 'ok';
      });
    }));

    it('remaining and resetMs are sane', () => withStore(async (c) => {
      const limit: BucketLimit = { kind: 'gcra', rate: 10, periodMs: 1000, burst: 5 };
      let attempt = 0;
      let b: Awaited<ReturnType<typeof one>> | undefined;
      await c.timed(async () => {
        const key = c.key(`sane-${attempt++}`);
        const t0 = performance.now();
        const a = await one(c.store, { key, limit, cost: 1 });
        assert.equal(a.remaining, 4);
        assert.ok(a.resetMs > 0 && a.resetMs <= 100, `reset ${a.resetMs}`);
        b = await one(c.store, { key, limit, cost: 2 });
        // A unit drains every 100 ms: a machine that took longer between the calls retries.
        if (!c.exact && performance.now() - t0 > 60) return 'too-slow';
        assert.ok(b.remaining >= 2 && b.remaining <= 3, `remaining ${b.remaining}`);
        assert.ok(b.resetMs > 200 && b.resetMs <= 300, `reset ${b.resetMs}`);
        if (c.exact) assert.deepEqual([b.remaining, b.resetMs], [2, 300]);
        return 'ok';
      });
      const bud = await c.store.consume([], [{ key: c.key('sane-budget'), limit: 10, periodMs: 60_000, cost: 3 }]);
      const r = bud.budgets[0];
      assert.ok(r && r.remaining === 7 && r.resetMs > 0 && r.resetMs <= 60_000 && r.retryAfterMs === 0);
      assert.equal(r.windowStart, Math.floor((r.windowStart ?? 1) / 60_000) * 60_000, 'budget results carry their window');
      assert.equal(b?.windowStart, undefined, 'bucket results carry none');
    }));

    it('rejects nonsense input (not as StoreUnavailableError)', () => withStore(async (c) => {
      const bad = { kind: 'gcra', rate: 0, periodMs: 1000, burst: 5 } as const;
      await assert.rejects(c.store.consume([{ key: c.key('bad'), limit: bad, cost: 1 }], []), RangeError);
      await assert.rejects(c.store.consume([], [{ key: c.key('bad'), limit: 1, periodMs: 0, cost: 1 }]), RangeError);
      await assert.rejects(c.store.acquire(c.key('bad'), 'x', -1, 1000), RangeError);
    }));
  });
}
