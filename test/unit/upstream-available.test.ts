// Fast failure sits where it charges nothing: right after authentication, before cost debt,
// the body, cost admission and the GPU slot — and only where a breaker or health check can
// take targets out of rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { compileRoutes } from '../../src/server/routes.js';
import { Limiter } from '../../src/limits/limiter.js';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import { Admission } from '../../src/upstream/admission.js';
import { UpstreamTargets } from '../../src/upstream/targets.js';
import type { UpstreamConfig } from '../../src/config/types.js';
import { NO_EVENTS } from '../../src/observability/events.js';

const config = (breaker: string): string => `
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}", tier: t } ] }
tiers: { t: { requests: { rate: 10, per: 1m }, cost: { rate: 1000, per: 1m } } }
perIp: { requests: { rate: 10, per: 1m } }
upstreams: { llm: { targets: ["http://127.0.0.1:8000", "http://127.0.0.1:8001"], maxConcurrent: 2${breaker} } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`;

function names(breaker: string): { request: string[]; all: string[] } {
  const c = loadConfigText(config(breaker), {});
  const limiter = new Limiter(c, createMemoryStore(), NO_EVENTS);
  const admissions = new Map([['llm', new Admission({ maxConcurrent: 2, queueSize: 10, queueTimeoutMs: 1000 })]]);
  const upstreams = new Map([['llm', new UpstreamTargets(c.upstreams.get('llm') as UpstreamConfig)]]);
  const [route] = compileRoutes(c, NO_EVENTS, { limiter, admissions }, upstreams);
  limiter.leases.close();
  void upstreams.get('llm')?.close();
  assert.ok(route);
  return { request: route.phases.request.map((p) => p.name), all: route.policies.map((p) => p.name) };
}

test('upstream-available runs right after api-key, before anything that charges', () => {
  const { request, all } = names('');
  assert.deepEqual(request.slice(0, 4), ['ip-limit', 'api-key', 'upstream-available', 'cost-debt']);
  assert.ok(all.indexOf('upstream-available') < all.indexOf('body-read'));
  assert.ok(all.indexOf('upstream-available') < all.indexOf('admit'));
  assert.ok(all.indexOf('upstream-available') < all.indexOf('gpu-slot'));
});

test('without breaker and health checks nothing can leave rotation: no check', () => {
  assert.ok(!names(', breaker: { enabled: false }').all.includes('upstream-available'));
  assert.ok(names(', breaker: { enabled: false }, healthCheck: { path: /health }').all.includes('upstream-available'));
});
