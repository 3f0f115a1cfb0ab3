/**
 * Request inspection in slices of the event loop.
 *
 * Scanning a prompt for injection and counting its tokens are synchronous work, ~100–300 µs for a
 * chat message. One request's worth is harmless; but when 50 requests arrive in one turn of the
 * loop (a burst, or 100 busy connections), their inspections all run in that turn — 15–25 ms in
 * which no timer fires (store deadlines, lease renewals, the log writer's flush), no stream chunk
 * is relayed and no cheap request is answered. The slicer caps the inspection work one turn runs:
 * while the turn has used less than `budgetMs` of it, work runs at once (the common case, no
 * promise, no allocation); beyond that it waits, in arrival order, for the next turn
 * (setImmediate, after the poll phase: I/O and timers run first), which runs the queue on a fresh
 * budget, and so on. The total work is the same; it is spread over turns instead of stretching
 * one. Work of a client that left while waiting is not run (CLIENT_GONE).
 *
 * Written by hand: schedulers that exist for Node (p-queue, piscina's task queue) bound
 * concurrency of asynchronous tasks, not the synchronous time spent per turn of the loop.
 */
import { DenialError } from '../errors.js';
import { CLIENT_GONE } from '../pipeline/policy.js';
import type { AbortLike } from '../pipeline/context.js';

export interface LoopSlicer {
  /**
   * `work()` now when this turn has budget left (its value), else later in arrival order (a
   * promise of it). A `signal` that has aborted when the work's turn comes skips it: the promise
   * rejects with DenialError(CLIENT_GONE).
   */
  run<T>(work: () => T, signal?: AbortLike): T | Promise<T>;
  /** Work waiting for a later turn (tests, metrics). */
  readonly waiting: number;
}

export interface LoopSlicerOptions {
  /** Inspection work one turn of the loop may run, ms. 0: no slicing (every run() is immediate). */
  budgetMs: number;
  /** Monotonic clock, ms (default performance.now). */
  now?: () => number;
  /** Runs a callback after this turn's I/O (default setImmediate). */
  defer?: (fn: () => void) => void;
  /** Called for each piece of work that has to wait for a later turn (a metric). */
  onDefer?: () => void;
}

interface Waiting {
  work: () => unknown;
  signal: AbortLike | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export function createLoopSlicer(opts: LoopSlicerOptions): LoopSlicer {
  const budget = opts.budgetMs;
  if (!(budget >= 0) || !Number.isFinite(budget)) throw new RangeError('budgetMs must be a finite number >= 0');
  const now = opts.now ?? (() => performance.now());
  const defer = opts.defer ?? ((fn: () => void) => { setImmediate(fn); });
  const onDefer = opts.onDefer;
  const queue: Waiting[] = [];
  let head = 0;
  /** Inspection time used in the current turn, ms. */
  let used = 0;
  /** A turn end is scheduled (it resets `used` and runs what waits). */
  let armed = false;

  function arm(): void {
    if (armed) return;
    armed = true;
    defer(turn);
  }

  function timed(work: () => unknown): unknown {
    const t0 = now();
    try {
      return work();
    } finally {
      used += now() - t0;
    }
  }

  /** A new turn: a fresh budget for what waits; whatever does not fit waits for the next one. */
  function turn(): void {
    armed = false;
    used = 0;
    while (head < queue.length && used < budget) {
      const w = queue[head] as Waiting;
      queue[head++] = undefined as unknown as Waiting;
      if (w.signal?.aborted === true) {
        w.reject(new DenialError(CLIENT_GONE));
        continue;
      }
      try {
        w.resolve(timed(w.work));
      } catch (err) {
        w.reject(err);
      }
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else {
      arm();
    }
  }

  return {
    run<T>(work: () => T, signal?: AbortLike): T | Promise<T> {
      if (budget === 0) return work();
      // While anything waits, this turn's budget is spent (a turn runs the queue until it is), so
      // new work never overtakes waiting work.
      if (used < budget) {
        arm();
        return timed(work) as T;
      }
      arm();
      onDefer?.();
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, signal, resolve: resolve as (v: unknown) => void, reject });
      });
    },
    get waiting() {
      return queue.length - head;
    },
  };
}
