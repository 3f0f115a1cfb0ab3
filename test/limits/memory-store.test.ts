// The memory store: the shared contract (with an injected clock, so every bound is exact) plus
// what only the memory store promises: bounded memory under a flood of keys, idle state swept,
// and O(1)-ish cost per op.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import type { BucketLimit } from '../../src/limits/stores/types.js';
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
