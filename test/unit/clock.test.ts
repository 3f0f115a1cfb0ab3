// The manual test clock itself: timers fire in due order, at their own time, only when advanced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../manual-clock.js';
import { realClock } from '../../src/util/clock.js';

test('manual clock: advance fires due timers in time order, then set order; cleared timers never fire', () => {
  const c = new ManualClock(1000);
  const fired: string[] = [];
  c.setTimeout(() => fired.push(`b@${c.now()}`), 20);
  c.setTimeout(() => fired.push(`a@${c.now()}`), 10);
  c.setTimeout(() => fired.push(`a2@${c.now()}`), 10);
  const gone = c.setTimeout(() => fired.push('gone'), 5);
  c.clearTimeout(gone);
  c.advance(9);
  assert.deepEqual(fired, []);
  assert.equal(c.now(), 1009);
  c.advance(11);
  assert.deepEqual(fired, ['a@1010', 'a2@1010', 'b@1020']);
  assert.equal(c.pending, 0);
  c.clearTimeout(gone); // harmless twice
});

test('manual clock: a timer set by a firing timer runs within the same advance if due', () => {
  const c = new ManualClock();
  const fired: number[] = [];
  c.setTimeout(() => { fired.push(c.now()); c.setTimeout(() => fired.push(c.now()), 5); }, 5);
  c.advance(12);
  assert.deepEqual(fired, [5, 10]);
  assert.equal(c.now(), 12);
});

test('real clock: a timer fires; a cleared one does not', async () => {
  const fired: string[] = [];
  const h = realClock.setTimeout(() => fired.push('cleared'), 0);
  realClock.clearTimeout(h);
  await new Promise<void>((resolve) => { realClock.setTimeout(() => { fired.push('ok'); resolve(); }, 0); });
  assert.deepEqual(fired, ['ok']);
  const before = Date.now();
  const now = realClock.now();
  assert.ok(now >= before && now <= Date.now(), 'the real clock reads Date.now()');
});
