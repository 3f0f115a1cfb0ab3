// The breaker's state machine (src/upstream/outlier.ts) driven by a ManualClock: every
// transition, the ejection multiplier and its cap, the single half-open trial, success rate,
// and which outcomes count against a target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../manual-clock.js';
import { OutlierDetector, mayEject, type OutlierEvent } from '../../src/upstream/outlier.js';
import { errorResult, statusResult } from '../../src/upstream/failure.js';
import type { BreakerConfig } from '../../src/config/types.js';

const CFG: BreakerConfig = { consecutive5xx: 5, consecutiveGatewayErrors: 3, successRate: null, openForMs: 1_000, maxOpenForMs: 2_500, maxEjectedPercent: 100 };

function detector(cfg: Partial<BreakerConfig> = {}, allow = () => true): { d: OutlierDetector; clock: ManualClock; events: OutlierEvent[] } {
  const clock = new ManualClock(1_000_000);
  const events: OutlierEvent[] = [];
  const d = new OutlierDetector({ ...CFG, ...cfg }, clock, { mayEject: allow, event: (e) => events.push(e) });
  return { d, clock, events };
}

/** One attempt with this outcome; asserts the target took it. */
function run(d: OutlierDetector, result: 'success' | 'server-error' | 'gateway-error' | 'cancelled'): void {
  const a = d.begin();
  assert.ok(a !== null, 'the target takes the attempt');
  d.finish(a, result);
}

test('what counts against a target: 5xx and resets, connect failures and timeouts; never a 4xx', () => {
  assert.equal(statusResult(200), 'success');
  assert.equal(statusResult(400), 'success');
  assert.equal(statusResult(404), 'success');
  assert.equal(statusResult(429), 'success');
  assert.equal(statusResult(500), 'server-error');
  assert.equal(statusResult(501), 'server-error');
  for (const s of [502, 503, 504]) assert.equal(statusResult(s), 'gateway-error');
  for (const c of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'EHOSTUNREACH']) assert.equal(errorResult(c), 'gateway-error', c);
  for (const c of ['ECONNRESET', 'UND_ERR_SOCKET', 'Error']) assert.equal(errorResult(c), 'server-error', c);
});

test('consecutive gateway errors eject; a success in between resets the count', () => {
  const { d, events } = detector();
  run(d, 'gateway-error');
  run(d, 'gateway-error');
  run(d, 'success');
  run(d, 'gateway-error');
  run(d, 'gateway-error');
  assert.equal(d.state, 'closed');
  run(d, 'gateway-error');
  assert.equal(d.state, 'open');
  assert.deepEqual(events, [{ kind: 'ejected', from: 'closed', reason: 'consecutive-gateway-errors', forMs: 1_000, ejections: 1 }]);
  assert.equal(d.begin(), null, 'an open target takes nothing');
  assert.equal(d.admits(), false);
});

test('consecutive 5xx eject; a 5xx resets the gateway-error count but counts itself', () => {
  const { d, events } = detector();
  run(d, 'gateway-error');
  run(d, 'gateway-error');
  run(d, 'server-error'); // 3 × 5xx-class, gateway streak broken
  run(d, 'gateway-error');
  assert.equal(d.state, 'closed');
  run(d, 'server-error');
  assert.equal(d.state, 'open');
  assert.equal(events[0]?.kind === 'ejected' && events[0].reason, 'consecutive-5xx');
});

test('a rule with threshold 0 is off', () => {
  const { d } = detector({ consecutiveGatewayErrors: 0, consecutive5xx: 0 });
  for (let i = 0; i < 50; i++) run(d, 'gateway-error');
  assert.equal(d.state, 'closed');
});

test('open → half-open after openFor; exactly one trial at a time; a cancelled trial frees the slot', () => {
  const { d, clock, events } = detector();
  for (let i = 0; i < 3; i++) run(d, 'gateway-error');
  clock.advance(999);
  assert.equal(d.state, 'open');
  assert.equal(d.waitMs(), 1);
  clock.advance(1);
  assert.equal(d.state, 'half-open');
  assert.deepEqual(events.at(-1), { kind: 'half-open', afterMs: 1_000 });
  const trial = d.begin();
  assert.ok(trial?.trial === true);
  assert.equal(d.begin(), null, 'a second request while the trial runs is not let through');
  assert.equal(d.admits(), false);
  d.finish(trial, 'cancelled');
  assert.equal(d.state, 'half-open');
  const again = d.begin();
  assert.ok(again?.trial === true, 'the next request gets the trial');
  d.finish(again, 'success');
  d.finish(again, 'gateway-error'); // settled twice: ignored
  assert.equal(d.state, 'closed');
  assert.deepEqual(events.at(-1), { kind: 'restored', reason: 'trial-succeeded' });
  // Counters were reset: it takes the full streak again.
  run(d, 'gateway-error');
  run(d, 'gateway-error');
  assert.equal(d.state, 'closed');
});

test('a failed trial ejects again for longer: openFor × times ejected, capped at maxOpenFor', () => {
  const { d, clock, events } = detector();
  for (let i = 0; i < 3; i++) run(d, 'gateway-error');
  const durations: number[] = [];
  for (let round = 0; round < 4; round++) {
    const last = events.at(-1);
    assert.ok(last?.kind === 'ejected');
    durations.push(last.forMs);
    clock.advance(last.forMs);
    assert.equal(d.state, 'half-open');
    run(d, 'server-error'); // the trial fails: any failure, whatever the thresholds
  }
  assert.deepEqual(durations, [1_000, 2_000, 2_500, 2_500]);
  const ejected = events.filter((e) => e.kind === 'ejected');
  assert.deepEqual(ejected.slice(1).map((e) => e.kind === 'ejected' && [e.from, e.reason]), [['half-open', 'failed-trial'], ['half-open', 'failed-trial'], ['half-open', 'failed-trial'], ['half-open', 'failed-trial']]);
  // Each transition is reported once: ejected, half-open, ejected, half-open, …
  assert.deepEqual(events.map((e) => e.kind), ['ejected', 'half-open', 'ejected', 'half-open', 'ejected', 'half-open', 'ejected', 'half-open', 'ejected']);
});

test('the multiplier decays by one per openFor spent in rotation', () => {
  const { d, clock, events } = detector({ maxOpenForMs: 100_000 });
  const ejectAndRestore = (): number => {
    for (let i = 0; i < 3; i++) run(d, 'gateway-error');
    const e = events.at(-1);
    assert.ok(e?.kind === 'ejected');
    clock.advance(e.forMs);
    run(d, 'success'); // the trial
    return e.forMs;
  };
  assert.equal(ejectAndRestore(), 1_000);
  assert.equal(ejectAndRestore(), 2_000);
  assert.equal(ejectAndRestore(), 3_000);
  clock.advance(2_000); // two openFor in rotation: multiplier 3 → 1
  assert.equal(ejectAndRestore(), 2_000);
  clock.advance(60_000);
  assert.equal(ejectAndRestore(), 1_000);
});

test('outcomes of attempts begun before the ejection are ignored', () => {
  const { d, clock } = detector();
  const late = d.begin();
  assert.ok(late !== null);
  for (let i = 0; i < 3; i++) run(d, 'gateway-error');
  d.finish(late, 'success');
  assert.equal(d.state, 'open');
  clock.advance(1_000);
  assert.equal(d.state, 'half-open');
});

test('a passing health check restores a half-open target, never an open one', () => {
  const { d, clock, events } = detector();
  for (let i = 0; i < 3; i++) run(d, 'gateway-error');
  d.healthPassed();
  assert.equal(d.state, 'open');
  clock.advance(1_000);
  const trial = d.begin();
  assert.ok(trial?.trial === true);
  d.healthPassed();
  assert.equal(d.state, 'closed');
  assert.deepEqual(events.at(-1), { kind: 'restored', reason: 'health-check-passed' });
  d.finish(trial, 'server-error'); // the trial's late failure counts as one ordinary failure
  assert.equal(d.state, 'closed');
  assert.equal(d.admits(), true);
});

test('an ejection the host refuses (maxEjectedPercent) is reported once per failure streak and retried on the next failure', () => {
  let allow = false;
  const { d, events } = detector({}, () => allow);
  for (let i = 0; i < 6; i++) run(d, 'gateway-error');
  assert.equal(d.state, 'closed');
  assert.deepEqual(events, [{ kind: 'ejection-skipped', reason: 'consecutive-gateway-errors' }]);
  allow = true;
  run(d, 'gateway-error');
  assert.equal(d.state, 'open');
});

test('success rate: below the minimum over requestVolume attempts in the window ejects; old attempts leave the window', () => {
  const { d, clock, events } = detector({ consecutive5xx: 0, consecutiveGatewayErrors: 0, successRate: { minimum: 0.5, requestVolume: 10, windowMs: 10_000 } });
  // 6 failures, then 4 successes alternating — 10 attempts, 40 % success only at the 10th.
  for (let i = 0; i < 4; i++) { run(d, 'server-error'); run(d, 'success'); }
  run(d, 'server-error');
  assert.equal(d.state, 'closed', '9 attempts: below the volume');
  clock.advance(20_000); // everything so far leaves the window
  for (let i = 0; i < 9; i++) run(d, 'server-error');
  assert.equal(d.state, 'closed', '9 attempts in the window');
  run(d, 'server-error');
  assert.equal(d.state, 'open');
  const e = events.at(-1);
  assert.ok(e?.kind === 'ejected' && e.reason === 'success-rate');
  // Never below the minimum (successes first, then alternating): never ejected.
  const other = detector({ consecutive5xx: 0, consecutiveGatewayErrors: 0, successRate: { minimum: 0.5, requestVolume: 10, windowMs: 10_000 } });
  for (let i = 0; i < 100; i++) run(other.d, i % 2 === 0 ? 'success' : 'server-error');
  assert.equal(other.d.state, 'closed');
});

test('maxEjectedPercent: the share ejected after the ejection may not exceed it', () => {
  assert.equal(mayEject(0, 3, 50), true);
  assert.equal(mayEject(1, 3, 50), false);
  assert.equal(mayEject(0, 2, 50), true);
  assert.equal(mayEject(1, 2, 50), false);
  assert.equal(mayEject(0, 1, 50), false, 'a lone target is never ejected at 50 %');
  assert.equal(mayEject(0, 1, 100), true);
  assert.equal(mayEject(2, 3, 100), true);
  assert.equal(mayEject(0, 10, 0), false);
});

test('dispose clears the pending timer', () => {
  const { d, clock } = detector();
  for (let i = 0; i < 3; i++) run(d, 'gateway-error');
  assert.equal(clock.pending, 1);
  d.dispose();
  assert.equal(clock.pending, 0);
});
