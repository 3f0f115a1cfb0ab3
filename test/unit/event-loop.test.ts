// Event-loop metrics (src/observability/event-loop.ts): a synchronous stall shows as delay in the
// window that contains it (and not in the next one: windows are cut by roll(), not by scrapes);
// scraping twice does not change the values; utilisation is a ratio; the gateway's registry
// exports both metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { monitorEventLoop } from '../../src/observability/event-loop.js';
import { createMetrics } from '../../src/observability/metrics.js';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the stall under test */ }
}

/** Resolves after the loop has gone round `n` times through the timers phase (the sampler's ticks land). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 15));
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line !== undefined, series);
  return Number(line.split(' ')[1]);
}

test('a 120 ms stall shows in max and utilisation of its window, not in the next (reset); scrapes do not reset', async () => {
  const registry = new Registry();
  const m = monitorEventLoop(registry, { windowMs: 0 });
  try {
    m.roll();
    await turns(2);
    block(120);
    await turns(3);
    const w = m.roll();
    assert.ok(w.delay.max >= 0.1, `max ${w.delay.max}`);
    assert.ok(w.delay.max < 10, 'seconds, not ms or ns');
    assert.ok(w.delay.p50 <= w.delay.p90 && w.delay.p90 <= w.delay.p99 && w.delay.p99 <= w.delay.max);
    assert.ok(w.utilization > 0 && w.utilization <= 1, `utilization ${w.utilization}`);
    const a = await registry.metrics();
    const b = await registry.metrics();
    assert.equal(a, b, 'a scrape does not change what the next one sees');
    assert.equal(value(a, 'modelgate_event_loop_delay_seconds{stat="max"}'), w.delay.max);
    assert.equal(value(a, 'modelgate_event_loop_utilization_ratio'), w.utilization);
    const next = m.roll();
    assert.deepEqual(next.delay, { p50: 0, p90: 0, p99: 0, max: 0 }, 'the next window starts empty: the stall is not carried over');
  } finally {
    m.stop();
  }
});

test('createMetrics exports both event-loop metrics with the default metrics, none without', async () => {
  const on = createMetrics({ defaultMetrics: true });
  const off = createMetrics({ defaultMetrics: false });
  try {
    const text = await on.registry.metrics();
    for (const s of ['p50', 'p90', 'p99', 'max']) assert.ok(text.includes(`modelgate_event_loop_delay_seconds{stat="${s}"}`), s);
    assert.ok(text.includes('modelgate_event_loop_utilization_ratio '));
    assert.equal((await off.registry.metrics()).includes('modelgate_event_loop'), false);
    assert.equal(off.eventLoop, null);
  } finally {
    on.eventLoop?.stop();
  }
});
