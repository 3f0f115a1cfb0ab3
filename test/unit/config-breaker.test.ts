// upstreams.*.breaker and upstreams.*.healthCheck: defaults, every key resolved, and every bad
// value refused with its YAML path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfigText } from '../../src/config/load.js';

const base = (upstream: string): string => `
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams:
  llm:
    targets: ["http://127.0.0.1:8000", "http://127.0.0.1:8001"]
${upstream}
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`;

function problems(upstream: string): string[] {
  try {
    loadConfigText(base(upstream), {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

const upstream = (yaml: string) => loadConfigText(base(yaml), {}).upstreams.get('llm');

test('the breaker is on by default with documented thresholds; health checks are off', () => {
  const u = upstream('');
  assert.deepEqual(u?.breaker, { consecutive5xx: 5, consecutiveGatewayErrors: 3, successRate: null, openForMs: 30_000, maxOpenForMs: 300_000, maxEjectedPercent: 50 });
  assert.equal(u?.healthCheck, null);
  assert.equal(upstream('    breaker: { enabled: false }')?.breaker, null);
});

test('every breaker and health-check key resolves', () => {
  const u = upstream(`    breaker: { consecutive5xx: 7, consecutiveGatewayErrors: 0, successRate: { minimum: 0.9, requestVolume: 20, window: 1m }, openFor: 200ms, maxOpenFor: 2s, maxEjectedPercent: 100 }
    healthCheck: { path: /v2/health/ready, interval: 1s, timeout: 300ms, healthyThreshold: 2, unhealthyThreshold: 3 }`);
  assert.deepEqual(u?.breaker, { consecutive5xx: 7, consecutiveGatewayErrors: 0, successRate: { minimum: 0.9, requestVolume: 20, windowMs: 60_000 }, openForMs: 200, maxOpenForMs: 2_000, maxEjectedPercent: 100 });
  assert.deepEqual(u?.healthCheck, { path: '/v2/health/ready', intervalMs: 1_000, timeoutMs: 300, healthyThreshold: 2, unhealthyThreshold: 3 });
  // Omitted health-check keys take their defaults; a short interval shortens the default timeout.
  assert.deepEqual(upstream('    healthCheck: { path: /ping }')?.healthCheck, { path: '/ping', intervalMs: 5_000, timeoutMs: 2_000, healthyThreshold: 1, unhealthyThreshold: 2 });
  assert.equal(upstream('    healthCheck: { path: /ping, interval: 1s }')?.healthCheck?.timeoutMs, 500);
  // openFor above the default maxOpenFor raises the default cap with it.
  assert.equal(upstream('    breaker: { openFor: 10m }')?.breaker?.maxOpenForMs, 600_000);
});

test('bad breaker values are refused with their paths', () => {
  const cases: [string, RegExp][] = [
    ['breaker: { openFor: 1m, maxOpenFor: 30s }', /^upstreams\.llm\.breaker\.maxOpenFor: must be at least openFor/],
    ['breaker: { openFor: 0ms }', /^upstreams\.llm\.breaker\.openFor: must be longer than 0/],
    ['breaker: { maxEjectedPercent: 101 }', /^upstreams\.llm\.breaker\.maxEjectedPercent: must be <= 100/],
    ['breaker: { maxEjectedPercent: -1 }', /^upstreams\.llm\.breaker\.maxEjectedPercent: must be >= 0/],
    ['breaker: { consecutive5xx: -2 }', /^upstreams\.llm\.breaker\.consecutive5xx: must be >= 0/],
    ['breaker: { consecutiveGatewayErrors: 1.5 }', /^upstreams\.llm\.breaker\.consecutiveGatewayErrors: must be integer/],
    ['breaker: { successRate: { minimum: 1.5, requestVolume: 10, window: 1m } }', /^upstreams\.llm\.breaker\.successRate\.minimum: must be <= 1/],
    ['breaker: { successRate: { minimum: 0.5, requestVolume: 0, window: 1m } }', /^upstreams\.llm\.breaker\.successRate\.requestVolume: must be >= 1/],
    ['breaker: { successRate: { minimum: 0.5, requestVolume: 5, window: 0s } }', /^upstreams\.llm\.breaker\.successRate\.window: must be longer than 0/],
    ['breaker: { successRate: { minimum: 0.5 } }', /^upstreams\.llm\.breaker\.successRate\.requestVolume: required key is missing/],
    ['breaker: { openFor: soon }', /^upstreams\.llm\.breaker\.openFor: /],
    ['breaker: { bogus: 1 }', /^upstreams\.llm\.breaker\.bogus: unknown key/],
    ['breaker: { enabled: maybe }', /^upstreams\.llm\.breaker\.enabled: must be boolean/],
  ];
  for (const [yaml, re] of cases) {
    const ps = problems(`    ${yaml}`);
    assert.ok(ps.some((p) => re.test(p)), `${yaml}\n${ps.join('\n')}`);
  }
});

test('bad health-check values are refused with their paths', () => {
  const cases: [string, RegExp][] = [
    ['healthCheck: { path: health }', /^upstreams\.llm\.healthCheck\.path: must match pattern/],
    ['healthCheck: { path: "/he alth" }', /^upstreams\.llm\.healthCheck\.path: must match pattern/],
    ['healthCheck: { interval: 5s }', /^upstreams\.llm\.healthCheck\.path: required key is missing/],
    ['healthCheck: { path: /health, interval: 1s, timeout: 1s }', /^upstreams\.llm\.healthCheck\.timeout: must be shorter than interval/],
    ['healthCheck: { path: /health, interval: 1s, timeout: 2s }', /^upstreams\.llm\.healthCheck\.timeout: must be shorter than interval/],
    ['healthCheck: { path: /health, interval: 0s }', /^upstreams\.llm\.healthCheck\.interval: must be longer than 0/],
    ['healthCheck: { path: /health, timeout: 0ms }', /^upstreams\.llm\.healthCheck\.timeout: must be longer than 0/],
    ['healthCheck: { path: /health, healthyThreshold: 0 }', /^upstreams\.llm\.healthCheck\.healthyThreshold: must be >= 1/],
    ['healthCheck: { path: /health, unhealthyThreshold: 0 }', /^upstreams\.llm\.healthCheck\.unhealthyThreshold: must be >= 1/],
    ['healthCheck: { path: /health, every: 1s }', /^upstreams\.llm\.healthCheck\.every: unknown key/],
  ];
  for (const [yaml, re] of cases) {
    const ps = problems(`    ${yaml}`);
    assert.ok(ps.some((p) => re.test(p)), `${yaml}\n${ps.join('\n')}`);
  }
});
