// The memory store: the shared contract (with an injected clock, so every bound is exact) plus
// what only the memory store promises: bounded memory under a flood of keys, idle state swept,
// and O(1)-ish cost per op.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import type { BucketLimit, RateLimit } from '../../src/limits/stores/types.js';
import { storeContract } from './store-contract.js';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

storeContract('memory', async () => {
  let t = 1_700_000_000_123; // deliberately not aligned to any window
  const store = createMemoryStore({ now: () => t });
  return { store, advance: (ms: number) => { t += ms; }, cleanup: () => store.close() };
});

// Also once on the real clock, as the gateway runs it.
storeContract('memory (real clock)', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

const perIp: BucketLimit = { kind: 'gcra', rate: 10, periodMs: 1000, burst: 20 };

describe('memory store specifics', () => {
  it('a flood of distinct keys stays under maxEntries (evicting the least recently written)', async () => {
    let t = 1_700_000_000_000;
    const store = createMemoryStore({ maxEntries: 10_000, now: () => t });
    const started = process.cpuUsage();
    for (let i = 0; i < 200_000; i++) {
      await store.consume([{ key: `ip:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:rps`, limit: perIp, cost: 1 }], []);
      if (store.size() > 10_000) assert.fail(`size ${store.size()} after ${i + 1} keys`);
      if (i % 1000 === 0) t += 1; // a little time passes, not enough to refill anything
    }
    const cpu = process.cpuUsage(started);
    const elapsed = (cpu.user + cpu.system) / 1000;
    assert.ok(store.size() <= 10_000);
    // O(1) per op: typically ~0.6 s of CPU; 20 s only catches O(n) behaviour (rescanning the map
    // per eviction would take minutes). CPU time, not wall-clock: a loaded machine does not count.
    assert.ok(elapsed < 20_000, `200k consumes took ${elapsed.toFixed(0)} ms of CPU time`);
    await store.close();
  });

  it('eviction is LRU-ish: a key written recently survives a flood of colder ones', async () => {
    const t = 1_700_000_000_000;
    const store = createMemoryStore({ maxEntries: 100, now: () => t });
    const hot = 'key:hot:rps';
    const limit: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 2000 };
    for (let i = 0; i < 1000; i++) {
      await store.consume([{ key: hot, limit, cost: 1 }], []);
      await store.consume([{ key: `ip:cold-${i}:rps`, limit: perIp, cost: 1 }], []);
    }
    const r = await store.consume([{ key: hot, limit, cost: 1 }], []);
    assert.equal(r.buckets[0]?.remaining, 2000 - 1001, 'the hot key kept its state (evicted = full again)');
    assert.ok(store.size() <= 100);
  });

  it('idle state is swept without changing any decision', async () => {
    let t = 1_700_000_000_000;
    const store = createMemoryStore({ now: () => t });
    for (let i = 0; i < 1000; i++) {
      await store.consume([{ key: `ip:idle-${i}:rps`, limit: perIp, cost: 5 }], [{ key: `key:b-${i}`, limit: 10, periodMs: 1000, cost: 1 }]);
      await store.acquire(`key:l-${i}`, 'x', 1, 500);
    }
    assert.equal(store.size(), 3000);
    t += 2000; // every bucket refilled, every budget window over, every lease expired
    const live = 'key:live:rps';
    for (let i = 0; i < 500; i++) await store.consume([{ key: live, limit: perIp, cost: 0.01 }], []);
    assert.ok(store.size() <= 10, `size ${store.size()} after sweeping`);
    // Swept state decides exactly like fresh state.
    const r = await store.consume([{ key: 'ip:idle-1:rps', limit: perIp, cost: 20 }], []);
    assert.equal(r.allowed, true);
    assert.equal(await store.budgetSpent('key:b-1', 1000), 0);
  });

  it('a small map is swept in passes at most once a second (store clock), and idle state still goes', async () => {
    let t = 1_700_000_000_000;
    const store = createMemoryStore({ now: () => t });
    for (let i = 0; i < 5; i++) await store.consume([{ key: `ip:p-${i}:rps`, limit: perIp, cost: 1 }], []);
    assert.equal(store.size(), 5);
    t += 500; // every bucket is full again (idle), but the first pass started 500 ms ago and has ended
    for (let i = 0; i < 20; i++) await store.consume([], []);
    assert.equal(store.size(), 5, 'no second pass within SWEEP_PAUSE_MS of the first one');
    t += 500;
    await store.consume([], []);
    assert.equal(store.size(), 0, 'the next pass deletes them');
    // A clock that goes back starts a pass at once instead of waiting for the old time.
    await store.consume([{ key: 'ip:q:rps', limit: perIp, cost: 1 }], []);
    t -= 10_000;
    await store.consume([], []); // a pass at the earlier time: the bucket is not idle then
    assert.equal(store.size(), 1);
    t += 10_500;
    await store.consume([], []);
    assert.equal(store.size(), 0, 'swept once the clock is past the pass start again');
  });

  it('leases decide exactly as a set that drops every expired lease on every call (random ops, varying TTLs)', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('acquire' as const), k: fc.constantFrom('a', 'b'), id: fc.constantFrom('x', 'y', 'z', 'w'), limit: fc.integer({ min: 1, max: 3 }), ttl: fc.constantFrom(50, 400, 3000) }),
      fc.record({ t: fc.constant('refresh' as const), k: fc.constantFrom('a', 'b'), ids: fc.subarray(['x', 'y', 'z', 'w']), ttl: fc.constantFrom(50, 400, 3000) }),
      fc.record({ t: fc.constant('release' as const), k: fc.constantFrom('a', 'b'), id: fc.constantFrom('x', 'y', 'z', 'w') }),
      fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3500 }) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      let t = 1_700_000_000_000;
      const store = createMemoryStore({ now: () => t });
      const ref = new Map<string, Map<string, number>>();
      const live = (k: string): Map<string, number> => {
        const m = ref.get(k) ?? new Map<string, number>();
        ref.set(k, m);
        for (const [id, exp] of m) if (exp <= t) m.delete(id);
        return m;
      };
      for (const o of ops) {
        if (o.t === 'wait') t += o.ms;
        else if (o.t === 'acquire') {
          const m = live(o.k);
          const acquired = m.has(o.id) || m.size < o.limit;
          if (acquired) m.set(o.id, t + o.ttl);
          assert.deepEqual(await store.acquire(`key:${o.k}:conc`, o.id, o.limit, o.ttl), { acquired, inUse: m.size }, JSON.stringify(ops));
        } else if (o.t === 'refresh') {
          const m = live(o.k);
          let kept = 0;
          for (const id of o.ids) if (m.has(id)) { m.set(id, t + o.ttl); kept++; }
          assert.equal(await store.refresh(`key:${o.k}:conc`, o.ids, o.ttl), kept, JSON.stringify(ops));
        } else {
          live(o.k).delete(o.id);
          await store.release(`key:${o.k}:conc`, o.id);
        }
      }
    }), { numRuns: 300 });
  });

  it('a full bucket is not stored at all', async () => {
    let t = 1_700_000_000_000;
    const store = createMemoryStore({ now: () => t });
    await store.adjust([{ key: 'k:x:y', limit: perIp, delta: -5 }], []);
    assert.equal(store.size(), 0);
    await store.consume([{ key: 'k:x:y', limit: perIp, cost: 1 }], []);
    assert.equal(store.size(), 1);
    t += 100;
    await store.adjust([{ key: 'k:x:y', limit: perIp, delta: -1 }], []);
    assert.equal(store.size(), 0);
  });

  it('refuses calls after close', async () => {
    const store = createMemoryStore();
    await store.close();
    await assert.rejects(store.consume([], []), /closed/);
  });
});

it('memory store: no heap growth per decision below the cap (regression: an idle Map iterator pinned old tables)', async () => {
  const store = createMemoryStore();
  const lim = { kind: 'gcra', rate: 100, periodMs: 60_000, burst: 100 } as const;
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const k = `key:k${i % 5000}`;
      await store.consume([{ key: `${k}:req`, limit: lim, cost: 1 }], [{ key: `${k}:budget`, limit: 1e9, periodMs: 86_400_000, cost: 1 }]);
    }
  };
  await run(50_000); // warm up: all keys exist
  // Read the heap after a collection: on a busy machine garbage not yet collected is not a leak.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  await run(300_000);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  // Leaking ~430 bytes per decision would be ~130 MB here.
  assert.ok(grown < 40 * 1024 * 1024, `heap grew ${(grown / 1e6).toFixed(1)} MB over 300,000 decisions`);
  await store.close();
});

describe('memory store: fields grouped by owner', () => {
  // Keys share an owner (the part before the last ':') in every way the limiter builds them, and
  // some have no ':' at all, an IPv6-like owner, or a field only one owner uses.
  const keys = ['key:a:req', 'key:a:cost', 'key:a:r0:cost', 'key:b:req', 'key:b:cost', 'ip:2001_db8__1:req', 'ip:1.2.3.4:cost', 'nocolon', 'key:a:odd'];
  const limits: RateLimit[] = [
    { kind: 'gcra', rate: 10, periodMs: 1000, burst: 20 },
    { kind: 'gcra', rate: 3, periodMs: 60_000, burst: 5 },
    { kind: 'sliding-window', rate: 6, periodMs: 1000 },
  ];
  const key = fc.constantFrom(...keys);
  const budgetKeyArb = fc.constantFrom('key:a:budget', 'key:b:budget', 'key:a', 'plain');
  const period = fc.constantFrom(1000, 86_400_000);
  const op = fc.oneof(
    fc.record({
      t: fc.constant('consume' as const),
      buckets: fc.array(fc.record({ key, limit: fc.integer({ min: 0, max: 2 }), cost: fc.constantFrom(0, 0.5, 1, 3, 7, 25) }), { maxLength: 4 }),
      budgets: fc.array(fc.record({ key: budgetKeyArb, limit: fc.constantFrom(5, 50), periodMs: period, cost: fc.constantFrom(1, 4, 60) }), { maxLength: 2 }),
    }),
    fc.record({ t: fc.constant('adjust' as const), key, limit: fc.integer({ min: 0, max: 2 }), delta: fc.constantFrom(-30, -1, 2, 9), bkey: budgetKeyArb, periodMs: period, bdelta: fc.constantFrom(-5, 3) }),
    fc.record({ t: fc.constant('lease' as const), key, id: fc.constantFrom('x', 'y'), release: fc.boolean() }),
    fc.record({ t: fc.constant('spent' as const), key: budgetKeyArb, periodMs: period }),
    fc.record({ t: fc.constant('wait' as const), ms: fc.constantFrom(1, 50, 400, 1000, 5000, 90_000) }),
  );

  it('decides exactly as the store with every entry on its own (random ops, full and small field tables)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.constantFrom(1, 2, 3, 32), async (ops, groupSlots) => {
      let t = 1_700_000_000_123;
      const grouped = createMemoryStore({ now: () => t, groupSlots });
      const single = createMemoryStore({ now: () => t, groupSlots: 0 });
      for (const o of ops) {
        const ctx = JSON.stringify({ groupSlots, ops });
        if (o.t === 'wait') t += o.ms;
        else if (o.t === 'consume') {
          const b = o.buckets.map((x) => ({ key: x.key, limit: limits[x.limit] as RateLimit, cost: x.cost }));
          assert.deepEqual(await grouped.consume(b, o.budgets), await single.consume(b, o.budgets), ctx);
        } else if (o.t === 'adjust') {
          const ws = Math.floor(t / o.periodMs) * o.periodMs;
          const adj = [{ key: o.key, limit: limits[o.limit] as RateLimit, delta: o.delta }];
          const badj = [{ key: o.bkey, periodMs: o.periodMs, windowStart: ws, delta: o.bdelta }];
          await grouped.adjust(adj, badj);
          await single.adjust(adj, badj);
        } else if (o.t === 'lease') {
          if (o.release) {
            await grouped.release(o.key, o.id);
            await single.release(o.key, o.id);
          } else assert.deepEqual(await grouped.acquire(o.key, o.id, 1, 500), await single.acquire(o.key, o.id, 1, 500), ctx);
        } else assert.equal(await grouped.budgetSpent(o.key, o.periodMs), await single.budgetSpent(o.key, o.periodMs), ctx);
      }
      // A whole sweep pass at one time leaves exactly the entries that still decide something.
      t += 1000;
      for (let i = 0; i < 20; i++) {
        await grouped.consume([], []);
        await single.consume([], []);
      }
      assert.equal(grouped.size(), single.size(), JSON.stringify({ groupSlots, ops }));
    }), { numRuns: 400 });
  });

  it('the cap counts entries, not groups: owners of three fields each stay under maxEntries', async () => {
    const t = 1_700_000_000_000;
    const store = createMemoryStore({ maxEntries: 1000, now: () => t });
    const lim: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 10 };
    for (let i = 0; i < 5000; i++) {
      await store.consume([{ key: `key:k${i}:req`, limit: lim, cost: 1 }, { key: `key:k${i}:cost`, limit: lim, cost: 2 }], [{ key: `key:k${i}:budget`, limit: 100, periodMs: 86_400_000, cost: 1 }]);
      if (store.size() > 1000) assert.fail(`size ${store.size()} after ${i + 1} owners`);
    }
    assert.ok(store.size() >= 997, `size ${store.size()}: whole owners are evicted, never more than needed`);
    // The newest owner kept all three fields.
    const r = await store.consume([{ key: 'key:k4999:cost', limit: lim, cost: 1 }], []);
    assert.equal(r.buckets[0]?.remaining, 10 - 3);
    assert.equal(await store.budgetSpent('key:k4999:budget', 86_400_000), 1);
  });

  it('takes well under the memory of one entry per key (100 bytes or less per entry for 3-field owners)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = 1_700_000_000_000;
    const lim: BucketLimit = { kind: 'gcra', rate: 1, periodMs: 60_000, burst: 10 };
    const heapOf = async (groupSlots: number): Promise<number> => {
      const store = createMemoryStore({ now: () => t, groupSlots });
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 30_000; i++) {
        const id = `k${i.toString(36).padStart(6, '0')}`;
        await store.consume([{ key: `key:${id}:req`, limit: lim, cost: 1 }, { key: `key:${id}:cost`, limit: lim, cost: 2 }], [{ key: `key:${id}:budget`, limit: 100, periodMs: 86_400_000, cost: 1 }]);
      }
      gc();
      const bytes = (process.memoryUsage().heapUsed - before) / store.size();
      await store.close();
      return bytes;
    };
    const single = await heapOf(0);
    const grouped = await heapOf(32);
    assert.ok(grouped < 100, `grouped: ${grouped.toFixed(0)} bytes per entry`);
    assert.ok(grouped < single * 0.75, `grouped ${grouped.toFixed(0)} against ${single.toFixed(0)} bytes per entry on their own`);
  });
});
