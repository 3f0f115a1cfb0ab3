// Cached label children (src/observability/label-children.ts) in the metrics subscriber: for the
// same events, /metrics is the same text as with the label objects passed on every call (the
// code before the cache, kept here as the reference), and a cache that overflows and is emptied
// still counts into the same series.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Counter, Registry } from 'prom-client';
import { createMetrics, outcomeOf, type Metrics } from '../../src/observability/metrics.js';
import { metricsSubscriber } from '../../src/observability/subscribers/metrics.js';
import { LabelChildren } from '../../src/observability/label-children.js';
import type { TelemetryEvent } from '../../src/observability/events.js';

/** The subscriber's per-request cases as they were before the cache: a label object per call. */
function reference(metrics: Metrics, e: TelemetryEvent): void {
  switch (e.type) {
    case 'request.refused':
      metrics.rejections.inc({ route: e.route, code: e.code });
      metrics.requests.inc({ route: e.route, status: String(e.status) });
      return;
    case 'request.answered':
      metrics.requests.inc({ route: e.route, status: String(e.status) });
      metrics.duration.observe({ route: e.route, outcome: outcomeOf(e.status) }, e.seconds);
      if (e.code !== undefined) metrics.rejections.inc({ route: e.route, code: e.code });
      return;
    case 'request.settled': {
      const u = e.usage;
      if (u === undefined) return;
      const key = metrics.keys.label(u.keyId);
      if (u.cost !== undefined) metrics.cost.inc({ key, route: e.route }, u.cost);
      if (u.tokens === undefined) return;
      metrics.tokens.inc({ key, route: e.route, type: 'prompt' }, u.tokens.prompt);
      metrics.tokens.inc({ key, route: e.route, type: 'completion' }, u.tokens.completion);
      return;
    }
    default:
      throw new Error(`not generated: ${e.type}`);
  }
}

const route = fc.constantFrom('/v1/chat/completions', '/v1/embeddings', '(none)');
const status = fc.constantFrom(200, 400, 401, 429, 499, 502, 503);
const code = fc.constantFrom('MG_RATE_LIMITED', 'MG_AUTH_INVALID', 'MG_OUTPUT_BLOCKED');
const event: fc.Arbitrary<TelemetryEvent> = fc.oneof(
  fc.record({ route, code, status }).map((r) => ({ type: 'request.refused' as const, reqId: 'r', detail: undefined, ...r })),
  fc.record({ route, status, seconds: fc.double({ min: 0, max: 20, noNaN: true }), code: fc.option(code, { nil: undefined }) }).map((r) => ({ type: 'request.answered' as const, ...r })),
  fc.record({
    route, keyId: fc.constantFrom('acme', 'beta', 'gamma', 'delta'),
    cost: fc.option(fc.nat(5000), { nil: undefined }),
    tokens: fc.option(fc.record({ prompt: fc.nat(4000), completion: fc.nat(4000) }), { nil: undefined }),
    none: fc.boolean(),
  }).map((r) => ({
    type: 'request.settled' as const, reqId: 'r', keyId: r.keyId, route: r.route, access: {} as never,
    usage: r.none ? undefined : { keyId: r.keyId, cost: r.cost, tokens: r.tokens },
  })),
);

test('property: /metrics is the same text with cached children as with a label object per call', async () => {
  await fc.assert(fc.asyncProperty(fc.array(event, { maxLength: 200 }), async (events) => {
    // maxKeySeries 2: the capped "(other)" key is part of the traffic.
    const cached = createMetrics({ defaultMetrics: false, maxKeySeries: 2 });
    const plain = createMetrics({ defaultMetrics: false, maxKeySeries: 2 });
    const sub = metricsSubscriber(cached);
    for (const e of events) {
      sub(e);
      reference(plain, e);
    }
    assert.equal(await cached.registry.metrics(), await plain.registry.metrics());
  }), { numRuns: 200 });
});

test('a cache that overflows is emptied and refilled; the counts stay in the same series', async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['a', 'b'], registers: [registry] });
  const made: string[] = [];
  const children = new LabelChildren(([a, b]) => { made.push(`${a}/${b}`); return c.labels({ a, b }); }, 2);
  for (let round = 0; round < 3; round++) for (const [a, b] of [['1', 'x'], ['2', 'x'], ['3', 'y']]) children.get(a as string, b as string).inc(round + 1);
  assert.ok(children.size <= 2);
  assert.ok(made.length > 3, 'the cache was emptied and children made again');
  const values = (await c.get()).values.map((v) => `${v.labels.a}/${v.labels.b}=${v.value}`).sort();
  assert.deepStrictEqual(values, ['1/x=6', '2/x=6', '3/y=6']);
});
