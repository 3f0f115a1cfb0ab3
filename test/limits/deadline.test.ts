// The store deadline (a reply that arrived counts; what was given up on is handed to `late` /
// `lost`), the background repairs, and the clock-offset estimate that turns a local deadline
// into Redis time. Injected timers and clocks: time moves only when the test says so.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Repairs, withDeadline } from '../../src/limits/stores/deadline.js';
import { ClockOffset } from '../../src/limits/stores/clock-offset.js';
import { FakeTimers, flush } from './fake-timers.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

function start(t: FakeTimers, timeoutMs = 50) {
  const reply = deferred<string>();
  const seen = { late: [] as string[], lost: 0, outcome: null as null | { ok: string } | { err: Error } };
  const p = withDeadline({
    timeoutMs, reply: reply.promise, timeoutError: () => new Error('timed out'),
    late: (v) => { seen.late.push(v); }, lost: () => { seen.lost++; },
  }, t);
  p.then((v) => { seen.outcome = { ok: v }; }, (e: Error) => { seen.outcome = { err: e }; });
  return { reply, seen };
}

describe('withDeadline', () => {
  it('a reply read in the same loop turn as the expired timer counts (lagging loop)', async () => {
    const t = new FakeTimers();
    const { reply, seen } = start(t);
    await t.advance(400); // the loop was blocked 400 ms: the timer fires first (timers phase)...
    assert.equal(seen.outcome, null, 'no verdict in the timers phase');
    reply.resolve('allowed'); // ...then the poll phase reads the reply that was waiting
    await flush();
    await t.runImmediates(); // check phase
    assert.deepEqual(seen.outcome, { ok: 'allowed' });
    assert.deepEqual([seen.late, seen.lost], [[], 0]);
  });

  it('still unanswered after the poll phase: given up; a reply after that goes to `late`', async () => {
    const t = new FakeTimers();
    const { reply, seen } = start(t);
    await t.advance(50);
    await t.runImmediates();
    assert.ok(seen.outcome !== null && 'err' in seen.outcome && /timed out/.test(seen.outcome.err.message));
    assert.equal(seen.lost, 1, 'lost: what it may have taken must be released');
    reply.resolve('applied');
    await flush();
    assert.deepEqual(seen.late, ['applied'], 'a late reply is handed over (to be undone)');
  });

  it('an answer before the deadline resolves and clears the timer; no late, no lost', async () => {
    const t = new FakeTimers();
    const { reply, seen } = start(t);
    reply.resolve('ok');
    await flush();
    assert.deepEqual(seen.outcome, { ok: 'ok' });
    assert.equal(t.pendingTimers(), 0);
    await t.advance(100);
    await t.runImmediates();
    assert.deepEqual([seen.late, seen.lost], [[], 0]);
  });

  it('a failure in flight rejects and reports lost once', async () => {
    const t = new FakeTimers();
    const { reply, seen } = start(t);
    reply.reject(new Error('Connection is closed.'));
    await flush();
    assert.ok(seen.outcome !== null && 'err' in seen.outcome && /closed/.test(seen.outcome.err.message));
    await t.advance(100);
    await t.runImmediates();
    assert.equal(seen.lost, 1);
  });
});

describe('Repairs', () => {
  it('retries with backoff until success; resolves after the first attempt', async () => {
    const t = new FakeTimers();
    const r = new Repairs({ now: () => t.now, timers: t, firstDelayMs: 50, maxDelayMs: 1000 });
    let calls = 0;
    const first = await r.run(async () => { if (++calls < 3) throw new Error('down'); }, 10_000);
    assert.equal(first, false);
    assert.deepEqual([calls, r.pending()], [1, 1]);
    await t.advance(50);
    assert.deepEqual([calls, r.pending()], [2, 1]);
    await t.advance(99);
    assert.equal(calls, 2, 'second delay doubles to 100 ms');
    await t.advance(1);
    assert.deepEqual([calls, r.pending(), r.abandoned()], [3, 0, 0]);
  });

  it('gives up once the repair is pointless (untilMs passed)', async () => {
    const t = new FakeTimers();
    const r = new Repairs({ now: () => t.now, timers: t, firstDelayMs: 100, maxDelayMs: 100 });
    let calls = 0;
    await r.run(async () => { calls++; throw new Error('down'); }, 250);
    await t.advance(1000);
    assert.deepEqual([calls, r.pending(), r.abandoned()], [3, 0, 1]);
    assert.equal(t.pendingTimers(), 0);
  });

  it('close() stops every pending retry', async () => {
    const t = new FakeTimers();
    const r = new Repairs({ now: () => t.now, timers: t });
    let calls = 0;
    await r.run(async () => { calls++; throw new Error('down'); }, 60_000);
    r.close();
    await t.advance(10_000);
    assert.deepEqual([calls, r.pending(), t.pendingTimers()], [1, 0, 0]);
  });
});

describe('ClockOffset: local deadline -> Redis time', () => {
  it('keeps the largest lower bound r - e; lag only lowers samples', () => {
    const o = new ClockOffset(60_000);
    assert.equal(o.low(0), null);
    assert.equal(o.deadline(1000, 50), 0, 'no sample yet: no deadline');
    const theta = 5000; // Redis is 5 s ahead
    o.sample(1000, 1001, 1000.5 + theta); // quick reply: bound 4999.5
    o.sample(2000, 2400, 2000.2 + theta); // a 400 ms lag: bound 4600.2, ignored by the max
    assert.equal(o.low(2400), 4999.5);
    assert.equal(o.deadline(3000, 50), 3000 + 50 + 4999.5);
  });

  it('forgets samples older than the window, but always keeps the newest', () => {
    const o = new ClockOffset(1000);
    o.sample(0, 1, 101); // bound 100
    o.sample(500, 510, 560); // bound 50
    assert.equal(o.low(600), 100);
    assert.equal(o.low(1600), 50, 'the old, higher bound expired');
    assert.equal(o.low(99_999), 50, 'the newest sample stays');
    o.reset();
    assert.equal(o.low(0), null);
  });

  it('the converted deadline is never later than the true one (property)', () => {
    fc.assert(fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.array(fc.record({ gap: fc.double({ min: 0, max: 1000, noNaN: true }), rtt: fc.double({ min: 0, max: 500, noNaN: true }), at: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 30 }),
      fc.double({ min: 1, max: 1000, noNaN: true }),
      (theta, calls, timeout) => {
        const o = new ClockOffset(60_000);
        let s = 1_000_000;
        for (const c of calls) {
          s += c.gap;
          const e = s + c.rtt;
          o.sample(s, e, s + c.at * c.rtt + theta); // Redis read its clock somewhere in [s, e]
        }
        const d = o.deadline(s, timeout);
        return d <= s + timeout + theta + 1e-6;
      },
    ));
  });
});
