// The console's usage history: cumulative cost sampled on an injected clock into a bounded ring,
// shown as per-interval usage per key, with keys beyond the cap summed as "(other)".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../src/observability/metrics.js';
import { ConsoleState } from '../../src/console/state.js';
import { ManualClock } from '../manual-clock.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('usage per key per interval, bounded to the last N samples, top keys plus (other)', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const clock = new ManualClock(1_000_000);
  const state = new ConsoleState(metrics, () => undefined, clock, { intervalMs: 1000, points: 4, maxKeys: 2 });
  state.start();
  clock.advance(0);
  await settle();
  for (let i = 1; i <= 5; i++) {
    metrics.cost.inc({ key: 'a', route: '/r' }, 10 * i);
    metrics.cost.inc({ key: 'b', route: '/r' }, 1);
    if (i >= 4) metrics.cost.inc({ key: 'c', route: '/r' }, 2);
    if (i === 5) metrics.cost.inc({ key: 'd', route: '/x' }, 3);
    clock.advance(1000);
    await settle();
  }
  const u = state.usage();
  assert.equal(u.times.length, 3, 'points=4 samples → 3 intervals');
  const byKey = Object.fromEntries(u.keys.map((k) => [k.key, k]));
  assert.deepEqual(byKey.a?.perInterval, [30, 40, 50]);
  assert.equal(byKey.a?.total, 150);
  assert.deepEqual(byKey.c?.perInterval, [0, 2, 2], 'a key first seen late counts from zero');
  assert.deepEqual(byKey['(other)']?.perInterval, [1, 1, 4], 'b and d summed');
  assert.equal(u.keys.length, 3);
  state.stop();
  clock.advance(5000);
  await settle();
  assert.equal(state.usage().times.length, 3, 'stopped: no more samples');
});
