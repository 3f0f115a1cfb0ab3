// Per-key metric labels are bounded: with 10,000 distinct key ids the per-key families stay within
// maxKeySeries + a fixed number of series; configured keys keep their own series; names carry the
// modelgate_ prefix; duration carries route and outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, outcomeOf } from '../../src/observability/metrics.js';
import { KeySeries, OTHER_KEY } from '../../src/observability/key-series.js';

function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

test('10,000 distinct key ids: cost and tokens series stay ≤ maxKeySeries + fixed, the rest counted as (other)', async () => {
  const m = createMetrics({ defaultMetrics: false, maxKeySeries: 1000 });
  let charged = 0;
  for (let i = 0; i < 10_000; i++) {
    const key = m.keys.label(`key-${i}`);
    m.cost.inc({ key, route: '/v1/chat/completions' }, 3);
    m.tokens.inc({ key, route: '/v1/chat/completions', type: 'prompt' }, 2);
    m.tokens.inc({ key, route: '/v1/chat/completions', type: 'completion' }, 1);
    charged += 3;
  }
  const text = await m.registry.metrics();
  const cost = seriesOf(text, 'modelgate_cost_units_total');
  const tokens = seriesOf(text, 'modelgate_tokens_total');
  assert.equal(cost.length, 1001, 'one per admitted key plus (other)');
  assert.equal(tokens.length, 2 * 1001);
  assert.ok(cost.some((l) => l === `modelgate_cost_units_total{key="${OTHER_KEY}",route="/v1/chat/completions"} ${9000 * 3}`), 'the 9,000 keys beyond the cap are in (other)');
  const total = cost.reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  assert.equal(total, charged, 'nothing is lost by the cap');
});

test('a key that had its own series keeps it after the cap is reached; maxKeySeries 0 puts everything in (other)', () => {
  const k = new KeySeries(2);
  assert.equal(k.label('a'), 'a');
  assert.equal(k.label('b'), 'b');
  assert.equal(k.label('c'), OTHER_KEY);
  assert.equal(k.label('a'), 'a');
  assert.equal(k.size, 2);
  assert.equal(new KeySeries(0).label('a'), OTHER_KEY);
  assert.throws(() => new KeySeries(-1), RangeError);
});

test('every metric name carries the modelgate_ prefix and follows the naming rules', async () => {
  const m = createMetrics({ defaultMetrics: true });
  const names = (await m.registry.getMetricsAsJSON()).map((x) => ({ name: x.name, type: String(x.type) }));
  assert.ok(names.length > 20);
  for (const { name, type } of names) {
    assert.match(name, /^modelgate_[a-z0-9_]+$/, name);
    if (type === 'counter') assert.match(name, /_total$/, `${name}: counters end in _total`);
    else assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total`);
  }
  assert.ok(names.some((n) => n.name === 'modelgate_output_redacted_total'));
  assert.ok(!names.some((n) => n.name.startsWith('inference_')));
});

test('request duration is labelled by route and outcome', async () => {
  assert.deepEqual([200, 302, 400, 401, 429, 499, 500, 502, 503].map(outcomeOf), ['ok', 'ok', 'rejected', 'rejected', 'rejected', 'aborted', 'error', 'error', 'error']);
  const m = createMetrics({ defaultMetrics: false });
  m.duration.observe({ route: '/v1/chat/completions', outcome: 'ok' }, 0.2);
  const text = await m.registry.getSingleMetricAsString('modelgate_request_duration_seconds');
  assert.match(text, /modelgate_request_duration_seconds_count\{route="\/v1\/chat\/completions",outcome="ok"\} 1/);
});
