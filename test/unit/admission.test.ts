// The fair admission queue as pure logic: slots, FIFO per owner, round robin across owners,
// priority, fair dropping when full, timeouts and aborts. Time is a manual clock the tests
// advance: no test here sleeps or depends on how busy the machine is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission } from '../../src/upstream/admission.js';
import { DenialError } from '../../src/errors.js';
import { ManualClock } from '../manual-clock.js';

/** The outcome of a wait; a granted slot is released at once. */
const code = (p: Promise<() => void>): Promise<string> => p.then((release) => { release(); return 'ok'; }, (e: unknown) => (e instanceof DenialError ? e.denial.code : 'other'));

/** Lets every settled promise run its callbacks (no timers involved). */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A waiter that records its name in `order` when served and keeps its slot until `release`. */
interface Served { order: string[]; releases: (() => void)[]; outcomes: Map<string, string>; }
function served(): Served { return { order: [], releases: [], outcomes: new Map() }; }
function wait(a: Admission, s: Served, name: string, owner: string, priority = 0): void {
  a.acquire(owner, priority).then(
    (release) => { s.order.push(name); s.outcomes.set(name, 'ok'); s.releases.push(release); },
    (e: unknown) => { s.outcomes.set(name, e instanceof DenialError ? e.denial.code : 'other'); },
  );
}
/** Frees the slots one at a time, as a single-slot GPU would, until nothing is left to serve. */
async function drain(a: Admission, s: Served): Promise<void> {
  await flush();
  for (let r = s.releases.shift(); r !== undefined; r = s.releases.shift()) { r(); await flush(); }
}

test('slots are handed out up to maxConcurrent; releases admit waiters', async () => {
  const a = new Admission({ maxConcurrent: 2, queueSize: 10, queueTimeoutMs: 1000 }, new ManualClock());
  const r1 = await a.acquire('x', 0);
  await a.acquire('x', 0);
  assert.equal(a.slotsInUse, 2);
  let third = false;
  const p = a.acquire('x', 0).then((r) => { third = true; return r; });
  await flush();
  assert.equal(third, false);
  assert.equal(a.queueLength, 1);
  r1();
  r1(); // a second call is harmless
  (await p)();
  assert.equal(third, true);
  assert.equal(a.slotsInUse, 1);
});

test('owners take turns; priority goes first', async () => {
  const a = new Admission({ maxConcurrent: 1, queueSize: 100, queueTimeoutMs: 1000 }, new ManualClock());
  const hold = await a.acquire('z', 0);
  const order: string[] = [];
  const waits = [
    ...['a1', 'a2', 'a3'].map((n) => a.acquire('A', 0).then((r) => { order.push(n); r(); })),
    ...['b1', 'b2'].map((n) => a.acquire('B', 0).then((r) => { order.push(n); r(); })),
    a.acquire('VIP', 5).then((r) => { order.push('vip'); r(); }),
  ];
  hold();
  await Promise.all(waits);
  assert.deepEqual(order, ['vip', 'a1', 'b1', 'a2', 'b2', 'a3']);
});

test('fairness, exact order: a flood of 30 from A, then single requests from B, C and D, one slot', async () => {
  const a = new Admission({ maxConcurrent: 1, queueSize: 40, queueTimeoutMs: 30_000 }, new ManualClock());
  const s = served();
  const hold = await a.acquire('holder', 0);
  for (let i = 0; i < 30; i++) wait(a, s, `A${i}`, 'A');
  wait(a, s, 'B0', 'B');
  wait(a, s, 'C0', 'C');
  wait(a, s, 'B1', 'B');
  wait(a, s, 'D0', 'D');
  assert.equal(a.queueLength, 34);
  hold();
  await drain(a, s);
  // Turn order is A, B, C, D (first arrival); an owner with more waiters goes to the back.
  assert.deepEqual(s.order, ['A0', 'B0', 'C0', 'D0', 'A1', 'B1', ...Array.from({ length: 28 }, (_, i) => `A${i + 2}`)]);
  assert.equal(a.slotsInUse, 0);
  assert.equal(a.queueLength, 0);
});

test('fairness with several slots: each newcomer is served within one turn of every other owner', async () => {
  const slots = 8;
  const a = new Admission({ maxConcurrent: slots, queueSize: 40, queueTimeoutMs: 30_000 }, new ManualClock());
  const s = served();
  const holds = await Promise.all(Array.from({ length: slots }, () => a.acquire('holder', 0)));
  for (let i = 0; i < 200; i++) wait(a, s, `A${i}`, 'A');
  await flush();
  assert.equal(a.queueLength, 40);
  assert.equal([...s.outcomes.values()].filter((c) => c === 'MG_QUEUE_FULL').length, 160, 'A alone may not grow past a full queue');
  for (let i = 0; i < 5; i++) wait(a, s, `B${i}`, 'B');
  await flush();
  assert.equal(a.queueLength, 40, 'each B displaced the newest A');
  assert.deepEqual(['A35', 'A36', 'A37', 'A38', 'A39'].map((n) => s.outcomes.get(n)), Array(5).fill('MG_QUEUE_FULL'));
  for (const h of holds) h();
  await flush();
  // The 8 freed slots go out in turn: A0 B0 A1 B1 A2 B2 A3 B3.
  assert.deepEqual(s.order, ['A0', 'B0', 'A1', 'B1', 'A2', 'B2', 'A3', 'B3']);
  await drain(a, s);
  assert.deepEqual(s.order.slice(8, 11), ['A4', 'B4', 'A5']);
  assert.deepEqual(s.order.slice(11), Array.from({ length: 29 }, (_, i) => `A${i + 6}`));
  assert.equal(a.slotsInUse, 0);
});

test('a full queue refuses at once, but a newcomer displaces the biggest owner', async () => {
  const a = new Admission({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 1000 }, new ManualClock());
  const hold = await a.acquire('A', 0);
  const a1 = code(a.acquire('A', 0));
  const a2 = code(a.acquire('A', 0));
  const a3 = code(a.acquire('A', 0));
  assert.equal(await code(a.acquire('A', 0)), 'MG_QUEUE_FULL', 'A may not grow past a full queue');
  const b1 = code(a.acquire('B', 0));
  assert.equal(await a3, 'MG_QUEUE_FULL', "A's newest waiter made room for B");
  hold();
  assert.deepEqual(await Promise.all([a1, a2, b1]), ['ok', 'ok', 'ok']);
});

test('a waiter times out exactly at queueTimeoutMs, with MG_QUEUE_TIMEOUT and Retry-After; its timer is gone once served', async () => {
  const clock = new ManualClock();
  const a = new Admission({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 5000 }, clock);
  const hold = await a.acquire('A', 0);
  const seen: { outcome: unknown } = { outcome: null };
  a.acquire('A', 0).then(() => { seen.outcome = 'ok'; }, (e: unknown) => { seen.outcome = e; });
  clock.advance(4999);
  await flush();
  assert.equal(seen.outcome, null, 'still waiting 1 ms before the timeout');
  assert.equal(a.queueLength, 1);
  clock.advance(1);
  await flush();
  const err = seen.outcome as unknown; // set by the rejection above (TS narrowed it to null)
  assert.ok(err instanceof DenialError);
  assert.equal(err.denial.code, 'MG_QUEUE_TIMEOUT');
  assert.equal(err.denial.headers?.['retry-after'], '3');
  assert.equal(a.queueLength, 0);
  // A waiter that is served in time leaves no timer behind (it cannot fire later).
  const served = a.acquire('B', 0);
  assert.equal(clock.pending, 1);
  hold();
  (await served)();
  assert.equal(clock.pending, 0);
  assert.equal(a.slotsInUse, 0);
});

test('an aborted waiter leaves the queue and frees its listener; an already aborted signal is refused at once', async () => {
  const clock = new ManualClock();
  const a = new Admission({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 1000 }, clock);
  const hold = await a.acquire('A', 0);
  const ac = new AbortController();
  const p = code(a.acquire('A', 0, ac.signal));
  assert.equal(a.queueLength, 1);
  ac.abort();
  assert.equal(await p, 'MG_QUEUE_TIMEOUT');
  assert.equal(a.queueLength, 0);
  assert.equal(clock.pending, 0, 'the timeout timer was cleared');
  assert.equal(await code(a.acquire('A', 0, ac.signal)), 'MG_QUEUE_TIMEOUT', 'no hang on a signal aborted before the call');
  assert.equal(a.queueLength, 0);
  // A served waiter removes its abort listener: a later abort of a long-lived signal does nothing.
  const long = new AbortController();
  let listeners = 0;
  const signal = long.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => { listeners++; add(...args); }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => { listeners--; remove(...args); }) as typeof remove;
  const waiting = a.acquire('B', 0, signal);
  assert.equal(listeners, 1);
  hold();
  const release = await waiting;
  assert.equal(listeners, 0);
  long.abort();
  assert.equal(a.slotsInUse, 1, 'the served request keeps its slot');
  release();
  assert.equal(a.slotsInUse, 0);
  assert.equal(clock.pending, 0);
});
