/**
 * Requests' inspection in slices of the event loop.
 *
 * Once a request's body has arrived, the gateway parses it, validates it, counts its tokens, scans
 * it for injection and forwards it: 200–500 µs of synchronous work for a chat request. One
 * request's worth is harmless; but when 100 requests' bodies complete in the same turn of the loop
 * (a burst, or 100 busy connections), all of that runs in that one turn — tens of ms in which no
 * timer fires (store deadlines, lease renewals, the log writer's flush), no stream chunk is relayed
 * and no health check is answered. The slicer is a gate in front of that work (a policy right after
 * the body is read, src/server/routes.ts). A turn opens a slice at the first request it lets
 * through; requests go through at once while the slice is younger than `budgetMs` (the common
 * case: no promise, no allocation); after that they wait, in arrival order, for the next turn
 * (setImmediate, after this turn's I/O), which lets them through one after another — each when the
 * one before has run up to its first wait — until its own slice is used, and so on. The total work
 * is the same; it is spread over turns instead of stretching one, and the loop answers in between.
 * A request whose client left while it waited goes no further (CLIENT_GONE).
 *
 * The budget is wall time since the slice opened, not a sum of measured work: what a request does
 * after the gate (policies, forwarding) is partly asynchronous, and whatever ran in the turn —
 * answers being relayed included — is time the loop was not free.
 *
 * Written by hand: schedulers that exist for Node (p-queue, piscina's task queue) bound the
 * concurrency of asynchronous tasks, not the synchronous time spent per turn of the loop.
 */
import { DenialError } from '../errors.js';
import { CLIENT_GONE } from '../pipeline/policy.js';
import type { AbortLike } from '../pipeline/context.js';

export interface LoopSlicer {
  /**
   * Undefined: go on now. A promise: wait for it (the turn's slice is used); it resolves when this
   * caller's turn comes, or rejects with DenialError(CLIENT_GONE) if `signal` has aborted by then.
   */
  gate(signal?: AbortLike): Promise<void> | undefined;
  /** Callers waiting for a later turn (tests, metrics). */
  readonly waiting: number;
}

export interface LoopSlicerOptions {
  /** Wall time of a turn's slice, ms. 0: no slicing (every gate() goes on at once). */
  budgetMs: number;
  /** Monotonic clock, ms (default performance.now). */
  now?: () => number;
  /** Runs a callback after this turn's I/O (default setImmediate). */
  defer?: (fn: () => void) => void;
  /** Lets a callback run after the current one's synchronous work (default queueMicrotask). */
  next?: (fn: () => void) => void;
  /** Called for each caller that has to wait for a later turn (a metric). */
  onDefer?: () => void;
}

interface Waiting {
  signal: AbortLike | undefined;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function createLoopSlicer(opts: LoopSlicerOptions): LoopSlicer {
  const budget = opts.budgetMs;
  if (!(budget >= 0) || !Number.isFinite(budget)) throw new RangeError('budgetMs must be a finite number >= 0');
  const now = opts.now ?? (() => performance.now());
  const defer = opts.defer ?? ((fn: () => void) => { setImmediate(fn); });
  const next = opts.next ?? queueMicrotask;
  const onDefer = opts.onDefer;
  const queue: Waiting[] = [];
  let head = 0;
  /** When the current turn's slice opened (valid while `open`). */
  let sliceStart = 0;
  let open = false;
  /** The turn end is scheduled (it closes the slice and lets waiting callers through). */
  let armed = false;

  const waiting = (): number => queue.length - head;

  function arm(): void {
    if (armed) return;
    armed = true;
    defer(turn);
  }

  function openSlice(): void {
    open = true;
    sliceStart = now();
    arm();
  }

  /** A new turn: a new slice for what waits; its first caller goes through whatever the clock says. */
  function turn(): void {
    armed = false;
    open = false;
    if (waiting() === 0) return;
    openSlice();
    release(true);
  }

  /**
   * Lets the next waiting caller through, then comes back (a microtask queued behind the caller's
   * continuation) to check the slice before letting the one after it through. `first`: the
   * turn's first release, which always lets one through (every turn makes progress, even when
   * the clock moved past a tiny slice before the first check).
   */
  function release(first = false): void {
    while (waiting() > 0) {
      if (!first && now() - sliceStart >= budget) return; // the rest: next turn (armed when the slice opened)
      const w = queue[head] as Waiting;
      queue[head++] = undefined as unknown as Waiting;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      if (w.signal?.aborted === true) {
        w.reject(new DenialError(CLIENT_GONE));
        continue;
      }
      w.resolve();
      next(() => release());
      return;
    }
  }

  return {
    gate(signal?: AbortLike): Promise<void> | undefined {
      if (budget === 0) return undefined;
      if (!open) {
        openSlice();
        return undefined;
      }
      // While anyone waits, this turn's slice is used (release() stops only then), so a new
      // caller never overtakes a waiting one.
      if (waiting() === 0 && now() - sliceStart < budget) return undefined;
      onDefer?.();
      return new Promise<void>((resolve, reject) => {
        queue.push({ signal, resolve, reject });
      });
    },
    get waiting() {
      return waiting();
    },
  };
}
