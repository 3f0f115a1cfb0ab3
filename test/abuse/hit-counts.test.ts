// The shared failure counter of the ban stores (`hit`, what authFailures counts with). Its promise:
// every event younger than the window is in the count — a burst that straddles a window edge is
// counted whole (the two-window estimate it replaced counted 20 failures in 2 s across an edge as
// 19.9, so a threshold of 20 was never reached: the flaky ban test of stop 24) — and nothing older
// than the window plus one bucket is. Checked on the memory store against an exact count, and the
// Redis store (a real redis-server) against the memory store, event for event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMemoryBanStore, hitBuckets, HIT_BUCKETS } from '../../src/abuse/ban-store.js';
import { createRedisBanStore } from '../../src/abuse/ban-store-redis.js';
import { realClock } from '../../src/util/clock.js';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';

/** Event times: a start anywhere, then gaps from 0 (bursts) to two windows (quiet spells). */
const eventsOver = (windowMs: fc.Arbitrary<number>) => fc.record({
  windowMs,
  start: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  gaps: fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 1, maxLength: 60 }),
}).map(({ windowMs, start, gaps }) => {
  const times: number[] = [];
  let t = start;
  for (const g of gaps) { t += Math.floor(g * windowMs * (g < 0.5 ? 0.05 : 1)); times.push(t); }
  return { windowMs, times };
});
const events = eventsOver(fc.oneof(fc.constantFrom(1000, 60_000, 3_600_000), fc.integer({ min: 1, max: 200_000 })));
/**
 * For Redis, windows of 10 s and more: its counters expire in real time (n + 2 buckets after
 * their last event), while the test's clock jumps without real time passing.
 */
const redisEvents = eventsOver(fc.oneof(fc.constantFrom(60_000, 3_600_000), fc.integer({ min: 10_000, max: 200_000 })));

test('buckets: n buckets of ms cover the window (n × ms ≥ window, less than one bucket over)', () => {
  for (const w of [1, 9, 10, 11, 999, 1000, 60_000, 60_001, 86_400_000]) {
    const { ms, n } = hitBuckets(w);
    assert.ok(n * ms >= w && (n - 1) * ms < w, `window ${w}: ${n} × ${ms}`);
    assert.ok(n <= HIT_BUCKETS);
  }
});

test('memory store: never fewer than the events of the last window, never more than those of the window plus one bucket (fast-check)', async () => {
  await fc.assert(fc.asyncProperty(events, async ({ windowMs, times }) => {
    // One counter per run: a small LRU (the default's 100,000 slots are allocated up front, which
    // made 2,000 runs take a minute, two under load, for nothing this property looks at).
    const store = createMemoryBanStore({ maxCounters: 8 });
    const { ms, n } = hitBuckets(windowMs);
    for (let i = 0; i < times.length; i++) {
      const now = times[i] as number;
      const got = await store.hit('auth:192.0.2.1', windowMs, now);
      const seen = times.slice(0, i + 1);
      const atLeast = seen.filter((t) => now - t < windowMs).length;
      const atMost = seen.filter((t) => now - t < (n + 1) * ms).length;
      assert.ok(got >= atLeast && got <= atMost, `event ${i} at ${now}: counted ${got}, expected ${atLeast}..${atMost}`);
    }
  }), { numRuns: 2000 });
});

test('memory store: 20 failures in 2 s straddling a minute edge count as 20; counters are per subject', async () => {
  const store = createMemoryBanStore();
  const edge = 28_333_334 * 60_000; // a multiple of the window
  let last = 0;
  for (let i = 0; i < 20; i++) last = await store.hit('auth:192.0.2.1', 60_000, edge - 1000 + i * 100);
  assert.equal(last, 20);
  assert.equal(await store.hit('auth:192.0.2.2', 60_000, edge + 1000), 1);
  // A minute and a bucket later, all of them are gone.
  assert.equal(await store.hit('auth:192.0.2.1', 60_000, edge + 1000 + 66_000), 1);
});

let redis: RedisServer | null = null;
before(async () => { redis = await startRedisServer(); if (redis === null) console.warn(`SKIPPED: ${REDIS_MISSING}`); });
after(async () => { await redis?.stop(); });

test('redis store: the same counts as the memory store, event for event (real redis-server, fast-check)', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const store = createRedisBanStore({ url: redis.url, clock: realClock, pollIntervalMs: 60_000, pubsub: false, keyPrefix: `hits${Date.now()}` });
  try {
    assert.ok(await store.waitReady(30_000), 'ban store connected'); // commands are not queued before that
    let run = 0;
    await fc.assert(fc.asyncProperty(redisEvents, async ({ windowMs, times }) => {
      const memory = createMemoryBanStore({ maxCounters: 8 });
      const counter = `auth:run${run++}`; // each run its own counter in the one Redis
      for (const now of times) {
        const [r, m] = [await store.hit(counter, windowMs, now), await memory.hit(counter, windowMs, now)];
        assert.equal(r, m, `window ${windowMs} at ${now}`);
      }
    }), { numRuns: 60 });
  } finally {
    await store.close();
  }
});
