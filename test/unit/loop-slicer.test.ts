// The loop slicer as pure logic: a manual clock that the callers' work advances (each caller
// "takes" the time it adds once through the gate), manual turn ends (the deferred callbacks run
// when the test ends a turn) and a manual "next" step. Nothing here depends on how busy the
// machine is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoopSlicer, type LoopSlicer } from '../../src/util/loop-slicer.js';
import { DenialError } from '../../src/errors.js';

/** Lets settled promises run their continuations. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function harness(budgetMs: number) {
  let t = 0;
  let turns: (() => void)[] = [];
  let nexts: (() => void)[] = [];
  const deferred = { n: 0 };
  const slicer = createLoopSlicer({
    budgetMs,
    now: () => t,
    defer: (fn) => { turns.push(fn); },
    next: (fn) => { nexts.push(fn); },
    onDefer: () => { deferred.n++; },
  });
  const ran: string[] = [];
  const outcomes = new Map<string, string>();
  /** A request: through the gate (at once or later), then `ms` of work. */
  const caller = (name: string, ms: number, signal?: { aborted: boolean; addEventListener(): void; removeEventListener(): void }): 'now' | 'waits' => {
    const g = slicer.gate(signal);
    const work = (): void => { t += ms; ran.push(name); outcomes.set(name, 'ran'); };
    if (g === undefined) {
      work();
      return 'now';
    }
    g.then(work, (e: unknown) => { outcomes.set(name, e instanceof DenialError ? e.denial.code : 'other'); });
    return 'waits';
  };
  /** Ends the turn: runs what was deferred in it, and every step it lets through. */
  const endTurn = async (): Promise<void> => {
    const now = turns;
    turns = [];
    for (const fn of now) fn();
    for (;;) {
      await flush();
      if (nexts.length === 0) return;
      const n = nexts;
      nexts = [];
      for (const fn of n) fn();
    }
  };
  return { slicer, ran, outcomes, caller, endTurn, deferred, pendingTurns: () => turns.length, advance: (ms: number) => { t += ms; } };
}

test('callers within the slice go on at once (no promise); one turn end is scheduled per slice', () => {
  const h = harness(4);
  assert.equal(h.caller('a', 1), 'now');
  assert.equal(h.caller('b', 2), 'now');
  assert.equal(h.caller('c', 0.5), 'now'); // 3 ms into the slice
  assert.deepEqual(h.ran, ['a', 'b', 'c']);
  assert.equal(h.slicer.waiting, 0);
  assert.equal(h.deferred.n, 0);
  assert.equal(h.pendingTurns(), 1);
});

test('once the slice is used, callers wait; the next turn lets them through one by one, in order, until its slice is used', async () => {
  const h = harness(4);
  h.caller('first', 5);
  const order = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
  for (const n of order) assert.equal(h.caller(n, 2), 'waits');
  assert.equal(h.slicer.waiting, 6);
  assert.equal(h.deferred.n, 6);
  await h.endTurn(); // a new slice: w0 (2 ms), w1 (4 ms: used)
  assert.deepEqual(h.ran, ['first', 'w0', 'w1']);
  assert.equal(h.slicer.waiting, 4);
  await h.endTurn();
  assert.deepEqual(h.ran.slice(3), ['w2', 'w3']);
  await h.endTurn();
  assert.deepEqual(h.ran.slice(5), ['w4', 'w5']);
  assert.equal(h.slicer.waiting, 0);
});

test('a caller is let through only after the one before it has run: one long caller uses a whole slice', async () => {
  const h = harness(4);
  h.caller('a', 4);
  h.caller('long', 10);
  h.caller('b', 1);
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'long'], 'b waits: the slice was used by the long caller');
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'long', 'b']);
});

test('a new caller never overtakes a waiting one', async () => {
  const h = harness(4);
  h.caller('a', 4);
  h.caller('b', 1);
  assert.equal(h.caller('c', 1), 'waits', 'the slice is used: c waits behind b');
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'b', 'c']);
  // The queue is empty and this turn's slice has time left: a newcomer goes on at once.
  assert.equal(h.caller('d', 1), 'now');
});

test('a slice closes at the turn end: the next turn opens a fresh one for newcomers', async () => {
  const h = harness(4);
  h.caller('a', 3);
  await h.endTurn(); // nothing waited; the slice closes
  h.advance(100);
  assert.equal(h.caller('b', 3), 'now');
  assert.equal(h.caller('c', 3), 'now', 'b used 3 of a fresh 4 ms slice');
  assert.equal(h.caller('d', 1), 'waits');
});

test('a caller whose client left while waiting goes no further (CLIENT_GONE) and the next one is let through', async () => {
  const h = harness(1);
  h.caller('a', 2);
  const gone = { aborted: false, addEventListener() {}, removeEventListener() {} };
  h.caller('b', 1, gone);
  h.caller('c', 0.5);
  gone.aborted = true;
  await h.endTurn();
  assert.deepEqual(h.ran, ['a', 'c']);
  assert.equal(h.outcomes.get('b'), 'MG_CLIENT_GONE');
});

test('every turn lets at least one waiting caller through, even when the clock passes the slice before the first check', async () => {
  // A clock that moves 1 ms at every reading: a 0.5 ms slice is over by the time it is checked.
  let t = 0;
  let turns: (() => void)[] = [];
  const slicer = createLoopSlicer({ budgetMs: 0.5, now: () => (t += 1), defer: (fn) => { turns.push(fn); }, next: () => undefined });
  const through: number[] = [];
  slicer.gate(); // opens the slice
  for (let i = 0; i < 3; i++) void slicer.gate()?.then(() => through.push(i));
  for (let turn = 1; turn <= 3; turn++) {
    const now = turns;
    turns = [];
    for (const fn of now) fn();
    await flush();
    assert.equal(through.length, turn, `turn ${turn} let one through`);
  }
  assert.deepEqual(through, [0, 1, 2]);
});

test('budget 0 turns slicing off: every caller goes on at once and nothing is scheduled', () => {
  const h = harness(0);
  for (let i = 0; i < 5; i++) assert.equal(h.caller(`w${i}`, 100), 'now');
  assert.equal(h.pendingTurns(), 0);
  assert.throws(() => createLoopSlicer({ budgetMs: -1 }), RangeError);
  assert.throws(() => createLoopSlicer({ budgetMs: Number.NaN }), RangeError);
});

test('with the real setImmediate and microtasks, a burst over the budget is spread over turns of the loop', async () => {
  // The clock is the callers' own (each takes 1 ms once through), the turns are the real loop's:
  // what is checked is the number of distinct turns the burst ran in, not any duration.
  let t = 0;
  const slicer: LoopSlicer = createLoopSlicer({ budgetMs: 3, now: () => t });
  let turn = 0;
  let ticking = true;
  const tick = (): void => { turn++; if (ticking) setImmediate(tick); };
  setImmediate(tick);
  const turnOf: number[] = [];
  const work = (): void => { t += 1; turnOf.push(turn); };
  await Promise.all(Array.from({ length: 12 }, async () => {
    const g = slicer.gate();
    if (g !== undefined) await g;
    work();
  }));
  ticking = false;
  const perTurn = new Map<number, number>();
  for (const x of turnOf) perTurn.set(x, (perTurn.get(x) ?? 0) + 1);
  assert.equal(turnOf.length, 12);
  assert.ok(perTurn.size >= 4, `12 callers of 1 ms at 3 ms per slice need at least 4 turns, ran in ${perTurn.size}`);
  for (const [, n] of perTurn) assert.ok(n <= 3, `no turn ran more than its slice: ${JSON.stringify([...perTurn])}`);
});
