// The fair admission queue as pure logic: slots, FIFO per owner, round robin across owners,
// priority, fair dropping when full, timeouts and aborts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission } from '../../src/upstream/admission.js';
import { DenialError } from '../../src/errors.js';

/** The outcome of a wait; a granted slot is released at once. */
const code = (p: Promise<() => void>): Promise<string> => p.then((release) => { release(); return 'ok'; }, (e: unknown) => (e instanceof DenialError ? e.denial.code : 'other'));

test('slots are handed out up to maxConcurrent; releases admit waiters', async () => {
  const a = new Admission({ maxConcurrent: 2, queueSize: 10, queueTimeoutMs: 1000 });
  const r1 = await a.acquire('x', 0);
  await a.acquire('x', 0);
  assert.equal(a.slotsInUse, 2);
  let third = false;
  const p = a.acquire('x', 0).then((r) => { third = true; return r; });
  await Promise.resolve();
  assert.equal(third, false);
  assert.equal(a.queueLength, 1);
  r1();
  r1(); // a second call is harmless
  (await p)();
  assert.equal(third, true);
  assert.equal(a.slotsInUse, 1);
});

test('owners take turns; priority goes first', async () => {
  const a = new Admission({ maxConcurrent: 1, queueSize: 100, queueTimeoutMs: 1000 });
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

test('a full queue refuses at once, but a newcomer displaces the biggest owner', async () => {
  const a = new Admission({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 1000 });
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

test('a waiter times out with MG_QUEUE_TIMEOUT; an aborted waiter leaves the queue', async () => {
  const a = new Admission({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 50 });
  const hold = await a.acquire('A', 0);
  assert.equal(await code(a.acquire('A', 0)), 'MG_QUEUE_TIMEOUT');
  const ac = new AbortController();
  const p = code(a.acquire('A', 0, ac.signal));
  ac.abort();
  assert.equal(await p, 'MG_QUEUE_TIMEOUT');
  assert.equal(a.queueLength, 0);
  hold();
  assert.equal(a.slotsInUse, 0);
});
