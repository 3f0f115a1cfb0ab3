// The pure limit math: worked examples, then fast-check properties of GCRA, the sliding window
// and budgets. The Redis Lua scripts mirror this code, and the store contract checks both agree.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  budgetConsume, gcraAdjust, gcraConsume, gcraPeek, windowAdjust, windowConsume, windowRoll, type GcraLimit, type WindowState,
} from '../../src/limits/gcra.js';

const NOW = 1_700_000_000_000;
const L: GcraLimit = { rate: 10, periodMs: 1000, burst: 5 }; // T = 100 ms

describe('GCRA examples', () => {
  it('burst of 5, then one per 100 ms', () => {
    let tat: number | undefined;
    for (let i = 0; i < 5; i++) {
      const d = gcraConsume(tat, NOW, L, 1);
      assert.equal(d.allowed, true);
      assert.equal(d.remaining, 4 - i);
      assert.equal(d.resetMs, 100 * (i + 1));
      tat = d.newTat;
    }
    const sixth = gcraConsume(tat, NOW, L, 1);
    assert.deepEqual([sixth.allowed, sixth.remaining, sixth.retryAfterMs, sixth.resetMs, sixth.newTat], [false, 0, 100, 500, tat]);
    assert.equal(gcraConsume(tat, NOW + 99, L, 1).allowed, false);
    assert.equal(gcraConsume(tat, NOW + 100, L, 1).allowed, true);
  });

  it('cost over burst never fits; cost equal to burst fits a full bucket', () => {
    assert.equal(gcraConsume(undefined, NOW, L, 6).retryAfterMs, -1);
    assert.equal(gcraConsume(undefined, NOW, L, 5).allowed, true);
  });

  it('non-representable intervals (1000/3 ms) still admit the whole burst', () => {
    const lim = { rate: 3, periodMs: 1000, burst: 3 };
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) {
      const d = gcraConsume(tat, NOW, lim, 1);
      assert.equal(d.allowed, true, `unit ${i + 1}`);
      tat = d.newTat;
    }
    assert.equal(gcraConsume(tat, NOW, lim, 1).allowed, false);
    assert.equal(gcraConsume(tat, NOW + 334, lim, 1).allowed, true);
  });

  it('adjust: refunds never make the bucket fuller than full; charges can go into debt', () => {
    assert.equal(gcraAdjust(undefined, NOW, L, -10), NOW);
    assert.equal(gcraAdjust(NOW + 300, NOW, L, -10), NOW);
    assert.equal(gcraAdjust(NOW + 300, NOW, L, -1), NOW + 200);
    const debt = gcraAdjust(NOW + 500, NOW, L, 2);
    assert.equal(debt, NOW + 700);
    assert.equal(gcraPeek(debt, NOW, L).remaining, 0);
    assert.equal(gcraConsume(debt, NOW, L, 0).allowed, false, 'in debt: even a free request waits');
  });
});

describe('sliding window examples', () => {
  const W = { rate: 5, periodMs: 1000 };
  const start = 1_700_000_000_000; // a window boundary

  it('rate per window, previous window fades linearly', () => {
    let s: WindowState | undefined;
    for (let i = 0; i < 5; i++) {
      const d = windowConsume(s, start + 100, W, 1);
      assert.equal(d.allowed, true);
      s = d.state;
    }
    const no = windowConsume(s, start + 100, W, 1);
    assert.equal(no.allowed, false);
    assert.equal(no.retryAfterMs, 900 + 200); // next window, once 1/5 of the 5 faded
    assert.equal(windowConsume(s, start + 1199, W, 1).allowed, false);
    assert.equal(windowConsume(s, start + 1200, W, 1).allowed, true);
    assert.equal(windowConsume(s, start + 2000, W, 5).allowed, true, 'two windows later: empty');
    assert.deepEqual(windowRoll(s, start + 5000, 1000), { window: (start + 5000) / 1000, curr: 0, prev: 0 });
  });

  it('refund takes from the current window first, never below zero', () => {
    const s = { window: start / 1000, curr: 2, prev: 3 };
    assert.deepEqual(windowAdjust(s, start, 1000, -4), { window: start / 1000, curr: 0, prev: 1 });
    assert.deepEqual(windowAdjust(s, start, 1000, -40), { window: start / 1000, curr: 0, prev: 0 });
  });
});

describe('budget examples', () => {
  it('60 ok, 50 refused until the window resets, cost over limit never', () => {
    const day = 86_400_000;
    const now = 1_700_000_000_000;
    const a = budgetConsume(0, now, 100, day, 60);
    assert.deepEqual([a.allowed, a.spent, a.remaining, a.windowStart], [true, 60, 40, Math.floor(now / day) * day]);
    const b = budgetConsume(60, now, 100, day, 50);
    assert.deepEqual([b.allowed, b.retryAfterMs, b.retryAfterMs === b.resetMs], [false, b.resetMs, true]);
    assert.equal(budgetConsume(0, now, 100, day, 101).retryAfterMs, -1);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const limitArb = fc.record({
  rate: fc.integer({ min: 1, max: 1000 }),
  periodMs: fc.integer({ min: 1, max: 100_000 }),
  burst: fc.integer({ min: 1, max: 50 }),
});
const eventsArb = fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5000 }), cost: fc.integer({ min: 0, max: 60 }) }), { minLength: 1, maxLength: 60 });

describe('GCRA properties', () => {
  it('over any interval, admitted cost <= burst + rate * interval / period', () => {
    fc.assert(fc.property(limitArb, eventsArb, (lim, events) => {
      let tat: number | undefined;
      let now = NOW;
      const admitted: { at: number; cost: number }[] = [];
      for (const e of events) {
        now += e.dt;
        const d = gcraConsume(tat, now, lim, e.cost);
        if (d.allowed) {
          tat = d.newTat;
          admitted.push({ at: now, cost: e.cost });
        }
      }
      for (let i = 0; i < admitted.length; i++) {
        let sum = 0;
        for (let j = i; j < admitted.length; j++) {
          sum += (admitted[j] as { cost: number }).cost;
          const span = (admitted[j] as { at: number }).at - (admitted[i] as { at: number }).at;
          const bound = lim.burst + (lim.rate * span) / lim.periodMs;
          if (sum > bound + 1e-6) return false;
        }
      }
      return true;
    }), { numRuns: 300 });
  });

  it('retryAfterMs is exact: refused just before, allowed at it', () => {
    fc.assert(fc.property(limitArb, eventsArb, fc.integer({ min: 0, max: 60 }), (lim, events, cost) => {
      let tat: number | undefined;
      let now = NOW;
      for (const e of events) {
        now += e.dt;
        const d = gcraConsume(tat, now, lim, e.cost);
        if (d.allowed) tat = d.newTat;
      }
      const d = gcraConsume(tat, now, lim, cost);
      if (d.allowed) return d.retryAfterMs === 0;
      if (cost > lim.burst) return d.retryAfterMs === -1;
      const at = gcraConsume(tat, now + d.retryAfterMs, lim, cost).allowed;
      const before = d.retryAfterMs <= 1 || !gcraConsume(tat, now + d.retryAfterMs - 1, lim, cost).allowed;
      return d.retryAfterMs >= 1 && at && before;
    }), { numRuns: 300 });
  });

  it('consume(c) then adjust(-x) equals consume(c - x)', () => {
    fc.assert(fc.property(limitArb, fc.integer({ min: 0, max: 5000 }), fc.nat(50), fc.nat(50), (lim, lead, c, x) => {
      fc.pre(x <= c && c <= lim.burst);
      const start = NOW + lead * (lim.periodMs / lim.rate) / 100; // some partly drained bucket
      const whole = gcraConsume(start, NOW, lim, c);
      const less = gcraConsume(start, NOW, lim, c - x);
      if (!whole.allowed) return true;
      assert.equal(less.allowed, true, 'consuming less is allowed whenever consuming more is');
      const refunded = gcraAdjust(whole.newTat, NOW, lim, -x);
      return Math.abs(refunded - less.newTat) < 1e-3;
    }), { numRuns: 300 });
  });

  it('remaining never exceeds the burst when a unit takes less than EPS_MS (1,000 per ms; found by the property below)', () => {
    const lim = { kind: 'gcra' as const, rate: 1000, periodMs: 1, burst: 1 };
    assert.equal(gcraConsume(undefined, NOW, lim, 0).remaining, 1);
    assert.equal(gcraPeek(undefined, NOW, lim).remaining, 1);
    assert.equal(gcraPeek(gcraAdjust(undefined, NOW, lim, 0), NOW, lim).remaining, 1);
  });

  it('remaining never exceeds burst and never goes negative; refunds cap at full', () => {
    fc.assert(fc.property(limitArb, eventsArb, fc.integer({ min: -100, max: 100 }), (lim, events, delta) => {
      let tat: number | undefined;
      let now = NOW;
      for (const e of events) {
        now += e.dt;
        const d = gcraConsume(tat, now, lim, e.cost);
        if (d.remaining < 0 || d.remaining > lim.burst) return false;
        if (d.allowed) tat = d.newTat;
      }
      const after = gcraAdjust(tat, now, lim, delta);
      const p = gcraPeek(after, now, lim);
      return after >= now && p.remaining >= 0 && p.remaining <= lim.burst;
    }), { numRuns: 300 });
  });
});

describe('sliding-window properties', () => {
  it('within each fixed window, admitted cost <= rate; retryAfterMs admits', () => {
    const wl = fc.record({ rate: fc.integer({ min: 1, max: 50 }), periodMs: fc.integer({ min: 10, max: 10_000 }) });
    fc.assert(fc.property(wl, eventsArb, (lim, events) => {
      let s: WindowState | undefined;
      let now = NOW;
      const perWindow = new Map<number, number>();
      for (const e of events) {
        now += e.dt;
        const d = windowConsume(s, now, lim, e.cost);
        if (d.allowed) {
          s = d.state;
          const w = Math.floor(now / lim.periodMs);
          perWindow.set(w, (perWindow.get(w) ?? 0) + e.cost);
        } else if (d.retryAfterMs > 0) {
          if (!windowConsume(s, now + d.retryAfterMs, lim, e.cost).allowed) return false;
        } else if (d.retryAfterMs !== -1 || e.cost <= lim.rate) {
          return false;
        }
      }
      return [...perWindow.values()].every((v) => v <= lim.rate + 1e-9);
    }), { numRuns: 300 });
  });
});
