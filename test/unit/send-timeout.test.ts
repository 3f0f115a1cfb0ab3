// The slow-reader watchdog on an injected clock: it cuts a client that accepts no bytes for the
// whole timeout, never one that keeps taking bytes however slowly, and stands down on drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { SendWatchdog } from '../../src/upstream/send-timeout.js';
import { ManualClock } from '../manual-clock.js';
import { readBounded } from '../../src/upstream/body-relay.js';
import { TooLargeError } from '../../src/upstream/failure.js';

function setup(timeout = 1000): { clock: ManualClock; dog: SendWatchdog; queued: { n: number }; stalls: number[] } {
  const clock = new ManualClock();
  const queued = { n: 0 };
  const stalls: number[] = [];
  const dog = new SendWatchdog(timeout, () => queued.n, () => stalls.push(clock.now()), clock);
  return { clock, dog, queued, stalls };
}

test('a client that accepts nothing is cut once the whole timeout has passed, not before', () => {
  const { clock, dog, queued, stalls } = setup(1000);
  queued.n = 50_000;
  dog.arm();
  clock.advance(999);
  assert.deepEqual(stalls, []);
  clock.advance(1);
  assert.deepEqual(stalls, [1000]);
  clock.advance(10_000);
  assert.equal(stalls.length, 1, 'cut once');
  assert.equal(clock.pending, 0);
});

test('a slow reader that keeps taking bytes is never cut; the clock restarts at its last progress', () => {
  const { clock, dog, queued, stalls } = setup(1000);
  queued.n = 100_000;
  dog.arm();
  for (let i = 0; i < 40; i++) {
    clock.advance(500);
    queued.n -= 1000; // 2 KB/s: slow, but alive
  }
  assert.equal(stalls.length, 0);
  const lastProgress = clock.now();
  clock.advance(3000);
  assert.equal(stalls.length, 1);
  const at = stalls[0] as number;
  assert.ok(at - lastProgress >= 1000 && at - lastProgress <= 1250, `cut ${at - lastProgress} ms after the last byte moved`);
});

test('arming again while armed does not restart the clock; disarm (drain) stands down', () => {
  const { clock, dog, queued, stalls } = setup(1000);
  queued.n = 10;
  dog.arm();
  clock.advance(600);
  dog.arm();
  clock.advance(400);
  assert.equal(stalls.length, 1, 'the second arm did not extend the timeout');
  const b = setup(1000);
  b.queued.n = 10;
  b.dog.arm();
  b.clock.advance(900);
  b.dog.disarm();
  b.clock.advance(5000);
  assert.deepEqual(b.stalls, []);
  assert.equal(b.dog.armed, false);
});

test('when everything queued was taken the watch ends by itself', () => {
  const { clock, dog, queued, stalls } = setup(1000);
  queued.n = 10;
  dog.arm();
  clock.advance(300);
  queued.n = 0;
  clock.advance(5000);
  assert.deepEqual(stalls, []);
  assert.equal(dog.armed, false);
});

test('readBounded: the body up to the cap; over it (declared or counted) TooLargeError and the body destroyed', async () => {
  const chunks = (n: number, size: number): Buffer[] => Array.from({ length: n }, () => Buffer.alloc(size, 1));
  assert.equal((await readBounded(Readable.from(chunks(4, 100)), 400)).length, 400);
  const counted = Readable.from(chunks(10, 100));
  await assert.rejects(readBounded(counted, 450), TooLargeError);
  assert.ok(counted.destroyed);
  const declared = Readable.from(chunks(1, 10));
  await assert.rejects(readBounded(declared, 100, 101), TooLargeError);
  assert.ok(declared.destroyed, 'not read at all');
});
