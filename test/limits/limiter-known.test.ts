// The limiter's memory of cost buckets: a request that certainly cannot fit is refused without
// the full check (before tokenizing, or before the body is read when the key is in debt), never
// one that would fit; a refund seen here forgets what it knew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/limits/limiter.js';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import { loadConfigText } from '../../src/config/load.js';
import { NO_EVENTS } from '../../src/observability/events.js';

const config = loadConfigText(`
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}", tier: t } ] }
tiers: { t: { cost: { rate: 1000, per: 1h, burst: 1000 } } }
upstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`, {});

function limiter(now: () => number): Limiter {
  return new Limiter(config, createMemoryStore({ now }), NO_EVENTS);
}

test('after an admission, a cost over what is left is refused early; a cost that fits is not', async () => {
  let t = Date.now(); // the limiter learns at Date.now(): the store's clock starts there too
  const l = limiter(() => t);
  const tier = l.tierOf('t');
  const r = await l.admit('k', tier, '10.0.0.1', 0, 700);
  assert.ok('reservation' in r);
  // ~300 left (3.6 s per unit at 1000/h).
  assert.equal(l.cannotFit('k', 0, 250, t), undefined, 'fits');
  const early = l.cannotFit('k', 0, 400, t);
  assert.equal(early?.code, 'MG_RATE_LIMITED_COST');
  assert.ok(Number(early?.headers?.['retry-after']) > 0);
  // The full check agrees: it is refused there too.
  const full = await l.admit('k', tier, '10.0.0.1', 0, 400);
  assert.ok('denial' in full && full.denial.code === 'MG_RATE_LIMITED_COST');
  // Time refills the bucket: 400 fits after (400 − 300) × 3.6 s.
  t += 101 * 3600;
  assert.equal(l.cannotFit('k', 0, 400, t), undefined);
  // Over the burst is not this shortcut's call (the full check answers MG_COST_OVER_LIMIT).
  assert.equal(l.cannotFit('k', 0, 5000, t), undefined);
});

test('a refund seen here forgets the bucket; in debt, even a 1-unit request is refused', async () => {
  const t = Date.now();
  const l = limiter(() => t);
  const tier = l.tierOf('t');
  const r = await l.admit('k', tier, '10.0.0.1', 0, 900);
  assert.ok('reservation' in r);
  assert.ok(l.cannotFit('k', 0, 500, t) !== undefined);
  await l.reconcile(r.reservation, 100); // refund 800
  assert.equal(l.cannotFit('k', 0, 500, t), undefined, 'forgotten after the refund');
  // Charged far more than reserved: the bucket is in debt beyond the burst.
  const r2 = await l.admit('k', tier, '10.0.0.1', 0, 500);
  assert.ok('reservation' in r2);
  await l.reconcile(r2.reservation, 3000);
  const refused = await l.admit('k', tier, '10.0.0.1', 0, 10);
  assert.ok('denial' in refused);
  assert.equal(l.inDebt('k', 0, t)?.code, 'MG_RATE_LIMITED_COST');
  assert.equal(l.inDebt('other', 0, t), undefined, 'other keys are unaffected');
});
