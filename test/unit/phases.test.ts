// The pipeline reads as its phases: every policy of a compiled route sits in the phase its own
// `phase` names, and the flattened list runs request → body → inspect → admit (cost) → injection
// → admit (GPU slot) → forward, as docs/architecture.md draws it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { compileRoutes } from '../../src/server/routes.js';
import { Limiter } from '../../src/limits/limiter.js';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import { Admission } from '../../src/upstream/admission.js';
import { NO_EVENTS } from '../../src/observability/events.js';

const CONFIG = `
server: { cors: { origins: [https://app.example.com] } }
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}", tier: t } ] }
tiers: { t: { requests: { rate: 10, per: 1m }, cost: { rate: 1000, per: 1m }, concurrency: 2 } }
perIp: { requests: { rate: 10, per: 1m } }
upstreams: { llm: { targets: ["http://127.0.0.1:8000"], maxConcurrent: 2 } }
routes:
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    injection: { action: block }
    output: { redact: [email], canary: true }
`;

test('a compiled route runs its policies phase by phase, each where its own phase says', () => {
  const config = loadConfigText(CONFIG, {});
  const limiter = new Limiter(config, createMemoryStore(), NO_EVENTS);
  const admissions = new Map([['llm', new Admission({ maxConcurrent: 2, queueSize: 10, queueTimeoutMs: 1000 })]]);
  const [route] = compileRoutes(config, NO_EVENTS, { limiter, admissions });
  assert.ok(route);
  const p = route.phases;
  const expected: [keyof typeof p, string][] = [
    ['request', 'request'], ['body', 'body'], ['inspect', 'inspect'], ['admitCost', 'admit'],
    ['injection', 'inspect'], ['admitSlot', 'admit'], ['forward', 'forward'],
  ];
  for (const [group, phase] of expected) {
    assert.ok(p[group].length > 0, `${group} is empty`);
    for (const policy of p[group]) assert.equal(policy.phase, phase, `${policy.name} in ${group}`);
  }
  assert.deepEqual(route.policies, expected.flatMap(([group]) => p[group]));
  assert.deepEqual(p.request.map((x) => x.name).slice(0, 3), ['cors', 'ip-limit', 'api-key'], 'cheapest refusals first; per-IP before auth');
  limiter.leases.close();
});
