// The loop slicer as pure logic: a manual clock that the work itself advances (each piece of work
// "takes" the time it adds) and a manual turn boundary (the deferred callbacks run when the test
// says a turn ends). Nothing here depends on how busy the machine is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoopSlicer } from '../../src/util/loop-slicer.js';
import { DenialError } from '../../src/errors.js';

function harness(budgetMs: number) {
  let t = 0;
  let turns: (() => void)[] = [];
  const slicer = createLoopSlicer({ budgetMs, now: () => t, defer: (fn) => { turns.push(fn); } });
  const ran: string[] = [];
  /** Work that takes `ms` of the clock and records its name. */
  const work = (name: string, ms: number) => (): string => { t += ms; ran.push(name); return name; };
  /** Ends the turn: runs what was deferred in it (callbacks deferred by those wait for the next end). */
  const endTurn = async (): Promise<void> => {
    const now = turns;
    turns = [];
    for (const fn of now) fn();
    await new Promise((r) => setImmediate(r)); // settle the promises the turn resolved
  };
  return { slicer, ran, work, endTurn, pendingTurns: () => turns.length };
}

/** The outcome of a run, observed from the start (a waiting run's rejection is handled, not left unhandled). */
function outcome<T>(r: T | Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return Promise.resolve(r).then((value) => ({ value }), (error: unknown) => ({ error }));
}

test('work within the budget runs at once and returns its value, not a promise', () => {
  const h = harness(4);
  const a = h.slicer.run(h.work('a', 1));
  const b = h.slicer.run(h.work('b', 2));
  assert.equal(a, 'a');
  assert.equal(b, 'b');
  assert.deepEqual(h.ran, ['a', 'b']);
  assert.equal(h.slicer.waiting, 0);
  assert.equal(h.pendingTurns(), 1, 'one turn end is scheduled, not one per run');
});

test('beyond the budget, work waits for the next turn and runs there in arrival order', async () => {
  const h = harness(4);
  h.slicer.run(h.work('a', 3));
  h.slicer.run(h.work('b', 3)); // 3 ms used < 4: runs, and the turn has now used 6
  const c = h.slicer.run(h.work('c', 1));
  const d = h.slicer.run(h.work('d', 1));
  assert.ok(c instanceof Promise && d instanceof Promise);
  assert.deepEqual(h.ran, ['a', 'b']);
  assert.equal(h.slicer.waiting, 2);
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'b', 'c', 'd']);
  assert.equal(await c, 'c');
  assert.equal(await d, 'd');
  assert.equal(h.slicer.waiting, 0);
});

test('a turn runs at most its budget of waiting work; the rest waits for later turns', async () => {
  const h = harness(4);
  h.slicer.run(h.work('first', 5));
  const rest = Array.from({ length: 6 }, (_, i) => h.slicer.run(h.work(`w${i}`, 2)));
  assert.equal(h.slicer.waiting, 6);
  await h.endTurn(); // fresh budget: w0 (2), w1 (4 used: stop)
  assert.deepEqual(h.ran, ['first', 'w0', 'w1']);
  await h.endTurn();
  assert.deepEqual(h.ran.slice(3), ['w2', 'w3']);
  await h.endTurn();
  assert.deepEqual(h.ran.slice(5), ['w4', 'w5']);
  assert.deepEqual(await Promise.all(rest), ['w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
  assert.equal(h.pendingTurns(), 0, 'nothing waits, so no further turn is scheduled');
});

test('waiting work has the new turn\'s budget first; work arriving once it is spent waits behind it', async () => {
  const h = harness(4);
  h.slicer.run(h.work('a', 10));
  const b = h.slicer.run(h.work('b', 10));
  await h.endTurn(); // b runs on the fresh budget and uses all of it
  const c = h.slicer.run(h.work('c', 1)); // the turn that ran b is over budget: c waits
  assert.ok(c instanceof Promise);
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'b', 'c']);
  assert.equal(await b, 'b');
});

test('work of a client that left while waiting is not run, and its promise says CLIENT_GONE', async () => {
  const h = harness(1);
  h.slicer.run(h.work('a', 2));
  const gone = { aborted: false, addEventListener() {}, removeEventListener() {} };
  const b = outcome(h.slicer.run(h.work('b', 1), gone));
  const c = h.slicer.run(h.work('c', 1));
  gone.aborted = true;
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'c']);
  const r = await b;
  assert.ok('error' in r && r.error instanceof DenialError && r.error.denial.code === 'MG_CLIENT_GONE');
  assert.equal(await c, 'c');
});

test('a throw is the caller\'s: at once when run at once, as a rejection when it waited; the queue goes on', async () => {
  const h = harness(1);
  assert.throws(() => h.slicer.run(() => { throw new Error('now'); }));
  h.slicer.run(h.work('a', 2));
  const bad = outcome(h.slicer.run((): string => { throw new Error('later'); }));
  const ok = h.slicer.run(h.work('ok', 0));
  await h.endTurn();
  const r = await bad;
  assert.ok('error' in r && r.error instanceof Error && r.error.message === 'later');
  assert.equal(await ok, 'ok');
});

test('budget 0 turns slicing off: everything runs at once, nothing is scheduled', () => {
  const h = harness(0);
  for (let i = 0; i < 5; i++) assert.equal(h.slicer.run(h.work(`w${i}`, 100)), `w${i}`);
  assert.equal(h.pendingTurns(), 0);
  assert.throws(() => createLoopSlicer({ budgetMs: -1 }), RangeError);
  assert.throws(() => createLoopSlicer({ budgetMs: Number.NaN }), RangeError);
});

test('with the real setImmediate, a burst over the budget is spread over several turns of the loop', async () => {
  // The clock is the work's own (each piece "takes" 1 ms), the turns are the real loop's: what is
  // checked is the number of distinct turns the burst ran in, not any duration.
  let t = 0;
  const slicer = createLoopSlicer({ budgetMs: 3, now: () => t });
  let turn = 0;
  let ticking = true;
  const tick = (): void => { turn++; if (ticking) setImmediate(tick); };
  setImmediate(tick);
  const turnOf: number[] = [];
  const all = Array.from({ length: 12 }, () => slicer.run(() => { t += 1; turnOf.push(turn); }));
  await Promise.all(all);
  ticking = false;
  const perTurn = new Map<number, number>();
  for (const x of turnOf) perTurn.set(x, (perTurn.get(x) ?? 0) + 1);
  assert.equal(turnOf.length, 12);
  assert.ok(perTurn.size >= 4, `12 pieces of 1 ms at 3 ms per turn need at least 4 turns, ran in ${perTurn.size}`);
  for (const [, n] of perTurn) assert.ok(n <= 3, `no turn ran more than its budget: ${JSON.stringify([...perTurn])}`);
});
