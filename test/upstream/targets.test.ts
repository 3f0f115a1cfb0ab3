// Target selection with breakers and health checks (src/upstream/targets.ts, health.ts), driven
// by a ManualClock and a scripted probe: round robin over what takes traffic, maxEjectedPercent
// across targets, Retry-After, health thresholds and timeouts, the interplay of a passing check
// with an ejection, and timers stopped on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../manual-clock.js';
import { loadConfigText } from '../../src/config/load.js';
import { UpstreamTargets, type Target, type TargetChange } from '../../src/upstream/targets.js';
import type { UpstreamConfig } from '../../src/config/types.js';

const ORIGINS = ['http://127.0.0.1:9001', 'http://127.0.0.1:9002', 'http://127.0.0.1:9003'];

function config(upstreamYaml: string, n = 3): UpstreamConfig {
  const c = loadConfigText(`
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams:
  llm:
    targets: [${ORIGINS.slice(0, n).map((o) => `"${o}"`).join(', ')}]
${upstreamYaml}
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`, {});
  return c.upstreams.get('llm') as UpstreamConfig;
}

type Verdict = boolean | 'hang';

interface Harness {
  u: UpstreamTargets;
  clock: ManualClock;
  /** What each target's next health checks answer, by origin. */
  health: Map<string, Verdict>;
  probes: Map<string, number>;
  changes: { target: string; change: TargetChange; up: boolean }[];
}

function harness(upstreamYaml: string, n = 3): Harness {
  const clock = new ManualClock(5_000_000);
  const health = new Map<string, Verdict>(ORIGINS.map((o) => [o, true]));
  const probes = new Map<string, number>();
  const changes: Harness['changes'] = [];
  const u = new UpstreamTargets(config(upstreamYaml, n), {
    clock,
    events: { emit: (e) => { if (e.type === 'target.changed') changes.push({ target: e.target, change: e.change, up: e.up }); } },
    probe: (url) => () => {
      probes.set(url.origin, (probes.get(url.origin) ?? 0) + 1);
      const v = health.get(url.origin) ?? true;
      return v === 'hang' ? new Promise<boolean>(() => undefined) : Promise.resolve(v);
    },
  });
  return { u, clock, health, probes, changes };
}

/** Lets the probes' promise chains run (they are resolved, not timed). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

function fail(u: UpstreamTargets, t: Target, times: number, result: 'gateway-error' | 'server-error' = 'gateway-error'): void {
  for (let i = 0; i < times; i++) {
    const ticket = u.acquire(t);
    if (ticket === null) return;
    u.finish(ticket, result);
  }
}

const at = (u: UpstreamTargets, i: number): Target => u.targets[i] as Target;

test('round robin over the targets that take traffic; an ejected one is left out evenly', async () => {
  const { u } = harness('    breaker: { consecutiveGatewayErrors: 3, maxEjectedPercent: 50 }');
  const firsts = Array.from({ length: 6 }, () => u.order()[0]?.origin);
  assert.deepEqual(firsts, [...ORIGINS, ...ORIGINS]);
  assert.equal(u.order().length, 3, 'the rest follow for failover');
  fail(u, at(u, 1), 3);
  assert.equal(at(u, 1).outlier?.state, 'open');
  const counts = new Map<string, number>();
  for (let i = 0; i < 100; i++) {
    const o = u.order();
    assert.equal(o.length, 2);
    counts.set(o[0]?.origin ?? '', (counts.get(o[0]?.origin ?? '') ?? 0) + 1);
  }
  assert.deepEqual([...counts.entries()].sort(), [[ORIGINS[0], 50], [ORIGINS[2], 50]]);
  assert.equal(u.acquire(at(u, 1)), null, 'an ejected target is skipped at send time too');
  await u.close();
});

test('maxEjectedPercent 50 of 3: one ejected, the others kept in rotation and reported once', async () => {
  const { u, clock, changes } = harness('    breaker: { consecutiveGatewayErrors: 3, openFor: 1s, maxEjectedPercent: 50 }');
  for (const t of u.targets) fail(u, t, 5);
  assert.deepEqual(u.targets.map((t) => t.outlier?.state), ['open', 'closed', 'closed']);
  assert.deepEqual(changes.map((c) => [c.target, c.change.source === 'breaker' && c.change.kind, c.up]), [
    [ORIGINS[0], 'ejected', false],
    [ORIGINS[1], 'ejection-skipped', true],
    [ORIGINS[2], 'ejection-skipped', true],
  ]);
  assert.equal(u.available(), true);
  // Once the first is back, the next failure of another one ejects it.
  clock.advance(1_000);
  const trial = u.acquire(at(u, 0));
  assert.ok(trial?.attempt?.trial === true);
  u.finish(trial, 'success');
  fail(u, at(u, 1), 1);
  assert.deepEqual(u.targets.map((t) => t.outlier?.state), ['closed', 'open', 'closed']);
  await u.close();
});

test('maxEjectedPercent 100: all ejected → unavailable with Retry-After until the soonest ejection ends', async () => {
  const { u, clock } = harness('    breaker: { consecutive5xx: 2, consecutiveGatewayErrors: 2, openFor: 3s, maxOpenFor: 1m, maxEjectedPercent: 100 }');
  fail(u, at(u, 0), 2);
  clock.advance(1_000);
  fail(u, at(u, 1), 2, 'server-error');
  fail(u, at(u, 2), 2);
  assert.equal(u.available(), false);
  assert.deepEqual(u.order(), []);
  assert.equal(u.retryAfterSeconds(), 2, 'target 0 is back in 2 s');
  const d = u.unavailable();
  assert.equal(d.code, 'MG_UPSTREAM_UNAVAILABLE');
  assert.equal(d.headers?.['retry-after'], '2');
  clock.advance(1_500);
  assert.equal(u.retryAfterSeconds(), 1, 'at least 1');
  clock.advance(500);
  assert.equal(u.available(), true, 'half-open: one trial may go');
  assert.deepEqual(u.order().map((t) => t.origin), [ORIGINS[0]]);
  const trial = u.acquire(at(u, 0));
  assert.ok(trial?.attempt?.trial === true);
  assert.equal(u.available(), false, 'its trial is running: nothing else goes');
  assert.equal(u.acquire(at(u, 0)), null);
  u.finish(trial, 'gateway-error');
  assert.equal(at(u, 0).outlier?.waitMs(), 6_000, 'ejected again for 2 × openFor');
  await u.close();
});

test('the breaker off: targets are never ejected', async () => {
  const { u } = harness('    breaker: { enabled: false }');
  for (const t of u.targets) fail(u, t, 50);
  assert.equal(u.available(), true);
  assert.equal(u.order().length, 3);
  await u.close();
});

test('health checks: no traffic before the first passing check; first failure marks unhealthy', async () => {
  const { u, health, changes } = harness('    healthCheck: { path: /health, interval: 1s, timeout: 200ms, healthyThreshold: 2, unhealthyThreshold: 2 }');
  assert.equal(u.available(), false, 'unknown until checked');
  assert.deepEqual(u.order(), []);
  assert.equal(u.retryAfterSeconds(), 1);
  health.set(ORIGINS[1] as string, false);
  await u.start();
  assert.deepEqual(u.targets.map((t) => t.health?.state), ['healthy', 'unhealthy', 'healthy']);
  assert.deepEqual(u.order().map((t) => t.origin).sort(), [ORIGINS[0], ORIGINS[2]]);
  assert.equal(u.acquire(at(u, 1)), null);
  assert.deepEqual(changes.map((c) => [c.target, c.change.source === 'health' && c.change.to, c.up]).sort(), [
    [ORIGINS[0], 'healthy', true], [ORIGINS[1], 'unhealthy', false], [ORIGINS[2], 'healthy', true],
  ]);
  await u.close();
});

test('health thresholds: unhealthyThreshold failures in a row take a target out, healthyThreshold passes bring it back', async () => {
  const { u, clock, health, probes } = harness('    healthCheck: { path: /health, interval: 1s, timeout: 200ms, healthyThreshold: 2, unhealthyThreshold: 2 }', 1);
  await u.start();
  const t = at(u, 0);
  assert.equal(t.health?.state, 'healthy');
  health.set(t.origin, false);
  clock.advance(1_000); await flush();
  assert.equal(t.health?.state, 'healthy', 'one failure is not enough');
  health.set(t.origin, true);
  clock.advance(1_000); await flush();
  health.set(t.origin, false);
  clock.advance(1_000); await flush();
  assert.equal(t.health?.state, 'healthy', 'failures must be in a row');
  clock.advance(1_000); await flush();
  assert.equal(t.health?.state, 'unhealthy');
  assert.equal(u.available(), false);
  assert.equal(u.retryAfterSeconds(), 1, 'the check interval');
  health.set(t.origin, true);
  clock.advance(1_000); await flush();
  assert.equal(t.health?.state, 'unhealthy', 'one pass is not enough');
  clock.advance(1_000); await flush();
  assert.equal(t.health?.state, 'healthy');
  assert.equal(probes.get(t.origin), 7, 'one check per interval');
  await u.close();
  assert.equal(clock.pending, 0, 'no timer left after close');
});

test('a check that does not answer within the timeout fails; the next is an interval after it ended', async () => {
  const { u, clock, health, probes } = harness('    healthCheck: { path: /health, interval: 1s, timeout: 300ms, unhealthyThreshold: 1 }', 1);
  await u.start();
  const t = at(u, 0);
  health.set(t.origin, 'hang');
  clock.advance(1_000); await flush();
  assert.equal(probes.get(t.origin), 2);
  assert.equal(t.health?.state, 'healthy', 'still waiting');
  clock.advance(299); await flush();
  assert.equal(t.health?.state, 'healthy');
  clock.advance(1); await flush();
  assert.equal(t.health?.state, 'unhealthy');
  clock.advance(999); await flush();
  assert.equal(probes.get(t.origin), 2, 'the next check is an interval after the last ended');
  clock.advance(1); await flush();
  assert.equal(probes.get(t.origin), 3);
  await u.close();
  assert.equal(clock.pending, 0);
});

test('breaker and health checks: a passing check never shortens an ejection, but restores a half-open target', async () => {
  const { u, clock, changes } = harness(`    breaker: { consecutiveGatewayErrors: 2, openFor: 3s, maxEjectedPercent: 100 }
    healthCheck: { path: /health, interval: 1s, timeout: 200ms }`, 1);
  await u.start();
  const t = at(u, 0);
  fail(u, t, 2);
  assert.equal(t.outlier?.state, 'open');
  clock.advance(1_000); await flush();
  clock.advance(1_000); await flush();
  assert.equal(t.outlier?.state, 'open', 'passing checks while open change nothing');
  assert.equal(u.available(), false);
  clock.advance(1_000); await flush(); // openFor over: half-open, and the check at the same instant passes
  assert.equal(t.outlier?.state, 'closed');
  const last = changes.at(-1)?.change;
  assert.ok(last?.source === 'breaker' && last.kind === 'restored' && last.reason === 'health-check-passed');
  assert.equal(changes.at(-1)?.up, true);
  await u.close();
});

test('a failing health check takes a closed target out; maxEjectedPercent does not count it', async () => {
  const { u, clock, health } = harness(`    breaker: { consecutiveGatewayErrors: 2, maxEjectedPercent: 50 }
    healthCheck: { path: /health, interval: 1s, timeout: 200ms, unhealthyThreshold: 1 }`, 2);
  await u.start();
  health.set(ORIGINS[0] as string, false);
  clock.advance(1_000); await flush();
  assert.equal(at(u, 0).health?.state, 'unhealthy');
  assert.equal(at(u, 0).outlier?.state, 'closed');
  fail(u, at(u, 1), 2);
  assert.equal(at(u, 1).outlier?.state, 'open', 'one of two may be ejected: the unhealthy one is not counted');
  assert.equal(u.available(), false);
  await u.close();
});
