// Leases that cannot leak (LeaseKeeper over the memory store, injected clock and timers): held
// leases are refreshed by one timer and never expire while their request lives; a holder that
// stops refreshing frees its slot within the TTL; a failed release is retried until it succeeds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseKeeper } from '../../src/limits/leases.js';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import type { Store } from '../../src/limits/stores/types.js';
import { FakeTimers } from './fake-timers.js';

function setup(ttlMs = 5000) {
  const t = new FakeTimers();
  const store = createMemoryStore({ now: () => t.now });
  const keeper = new LeaseKeeper({ ttlMs, now: () => t.now, timers: t });
  return { t, store, keeper };
}

describe('LeaseKeeper', () => {
  it('held leases are refreshed (one call per lease key) and outlive their TTL many times over', async () => {
    const { t, store, keeper } = setup();
    let refreshCalls = 0;
    const counting: Store = { ...store, refresh: (k, ids, ttl) => { refreshCalls++; return store.refresh(k, ids, ttl); } };
    assert.equal((await keeper.acquire(counting, 'key:a:conc', 'r1', 2)).acquired, true);
    assert.equal((await keeper.acquire(counting, 'key:a:conc', 'r2', 2)).acquired, true);
    await t.advance(60_000);
    assert.equal(refreshCalls, 60, 'every 1 s (TTL / 5), both leases in one call');
    assert.equal((await store.acquire('key:a:conc', 'other', 2, 5000)).acquired, false, 'both still held after 60 s');
    assert.equal(keeper.size(), 2);
  });

  it('a released lease is freed at once and no longer refreshed; the timer stops when none is held', async () => {
    const { t, store, keeper } = setup();
    await keeper.acquire(store, 'key:a:conc', 'r1', 1);
    await keeper.release(store, 'key:a:conc', 'r1');
    assert.equal((await store.acquire('key:a:conc', 'r2', 1, 5000)).acquired, true);
    await t.advance(2000);
    assert.equal(t.pendingTimers(), 0, 'no refresh timer while nothing is held');
  });

  it('a holder that stops refreshing (dead replica) frees its slot within the TTL', async () => {
    const { t, store, keeper } = setup();
    await keeper.acquire(store, 'key:a:conc', 'r1', 1);
    await t.advance(3000);
    keeper.close(); // the replica dies: nothing refreshes or releases any more
    await t.advance(4999);
    assert.equal((await store.acquire('key:a:conc', 'x', 1, 5000)).acquired, false, 'refreshed at 3 s: held until 8 s');
    await t.advance(1);
    assert.equal((await store.acquire('key:a:conc', 'x', 1, 5000)).acquired, true, 'free 5 s after the last refresh');
  });

  it('a refresh never brings back an expired or released lease', async () => {
    const { t, store } = setup();
    await store.acquire('key:a:conc', 'r1', 2, 1000);
    await store.acquire('key:a:conc', 'r2', 2, 1000);
    await store.release('key:a:conc', 'r2');
    await t.advance(999);
    assert.equal(await store.refresh('key:a:conc', ['r1', 'r2', 'ghost'], 1000), 1);
    await t.advance(1000);
    assert.equal(await store.refresh('key:a:conc', ['r1'], 1000), 0, 'expired at 1999');
    assert.equal((await store.acquire('key:a:conc', 'y', 1, 1000)).acquired, true);
  });

  it('a release that fails is retried in the background until it succeeds', async () => {
    const { t, store, keeper } = setup();
    let failures = 2;
    const flaky: Store = { ...store, release: async (k, id) => { if (failures-- > 0) throw new Error('store down'); return store.release(k, id); } };
    await keeper.acquire(flaky, 'key:a:conc', 'r1', 1);
    await keeper.release(flaky, 'key:a:conc', 'r1'); // never rejects
    assert.equal(keeper.pendingReleases(), 1);
    assert.equal((await store.acquire('key:a:conc', 'x', 1, 5000)).acquired, false);
    await t.advance(150); // retries after 50 and 100 ms more
    assert.equal(keeper.pendingReleases(), 0);
    assert.equal((await store.acquire('key:a:conc', 'x', 1, 5000)).acquired, true, 'freed by the retry');
  });

  it('rejects a refresh period that could let leases expire', () => {
    assert.throws(() => new LeaseKeeper({ ttlMs: 1000, refreshMs: 1000 }), RangeError);
  });
});
