/**
 * One deadline per store call, and the background repairs of calls given up on.
 *
 * A reply that arrived counts. A busy event loop (hundreds of ms of lag under a burst) runs an
 * expired timer in the timers phase of a loop turn BEFORE the poll phase of the same turn reads
 * the replies already waiting in the socket. So when the deadline timer fires, the verdict is
 * deferred with setImmediate (the check phase, after poll): the call is given up only if it is
 * still unanswered then. Hand-written because no client library judges timeouts this way (ioredis
 * `commandTimeout` rejects in the timers phase, before the reply in the socket is read).
 *
 * What was given up on must consume nothing: the caller passes `late` (a reply that arrived after
 * all, e.g. a decision Redis applied just before its own deadline check: undo it) and `lost` (the
 * call was given up or failed in flight: release what it may have taken).
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setImmediate: (fn) => { setImmediate(fn); },
};

export interface DeadlineCall<T> {
  timeoutMs: number;
  /** The request, already sent when this returns its promise. */
  reply: Promise<T>;
  /** The error to reject with when given up. */
  timeoutError: () => Error;
  /** A reply that arrived after the call was given up. */
  late?: (value: T) => void;
  /** The call was given up, or failed after it may have been sent. */
  lost?: () => void;
}

export function withDeadline<T>(c: DeadlineCall<T>, timers: Timers = realTimers): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let state: 'waiting' | 'answered' | 'gave-up' = 'waiting';
    const timer = timers.setTimeout(() => {
      // Timers run before poll: let this turn's poll phase read replies already in the socket.
      timers.setImmediate(() => {
        if (state !== 'waiting') return;
        state = 'gave-up';
        reject(c.timeoutError());
        c.lost?.();
      });
    }, c.timeoutMs);
    c.reply.then((v) => {
      if (state === 'waiting') {
        state = 'answered';
        timers.clearTimeout(timer);
        resolve(v);
      } else if (state === 'gave-up') {
        try {
          c.late?.(v);
        } catch {
          // a repair that cannot even be planned must not crash the process (nothing awaits this)
        }
      }
    }, (err: unknown) => {
      if (state !== 'waiting') return; // given up already: `lost` has run
      state = 'answered';
      timers.clearTimeout(timer);
      reject(err);
      c.lost?.();
    });
  });
}

export interface RepairOptions {
  now: () => number;
  timers?: Timers;
  /** First retry delay; doubles up to `maxDelayMs`. Defaults 50 ms and 1 s. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Repairs retried in the background until they succeed or become pointless (`untilMs` after they
 * were queued: e.g. a lease that is no longer refreshed has expired by then). The timers are
 * unref'd: pending repairs never keep a process alive.
 */
export class Repairs {
  private readonly opts: Required<Omit<RepairOptions, 'timers'>> & { timers: Timers };
  private readonly handles = new Set<unknown>();
  private running = 0;
  private failed = 0;
  private closed = false;

  constructor(opts: RepairOptions) {
    this.opts = { timers: realTimers, firstDelayMs: 50, maxDelayMs: 1000, ...opts };
  }

  /**
   * Try `attempt` now and again after each failure, while `untilMs` has not passed. Resolves
   * after the FIRST attempt: true when it succeeded (later retries run in the background).
   */
  run(attempt: () => Promise<void>, untilMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const stopAt = this.opts.now() + untilMs;
    this.running++;
    let first: ((ok: boolean) => void) | null = null;
    const firstDone = new Promise<boolean>((r) => { first = r; });
    const settleFirst = (ok: boolean): void => { first?.(ok); first = null; };
    const step = (delay: number): void => {
      new Promise<void>((r) => { r(attempt()); }).then(() => { this.running--; settleFirst(true); }, () => {
        settleFirst(false);
        if (this.closed || this.opts.now() + delay > stopAt) {
          this.running--;
          this.failed++;
          return;
        }
        const h = this.opts.timers.setTimeout(() => {
          this.handles.delete(h);
          if (this.closed) return;
          step(Math.min(delay * 2, this.opts.maxDelayMs));
        }, delay);
        (h as { unref?: () => void }).unref?.();
        this.handles.add(h);
      });
    };
    step(this.opts.firstDelayMs);
    return firstDone;
  }

  /** Repairs not yet done (running or waiting to retry). */
  pending(): number {
    return this.running;
  }

  /** Repairs abandoned (pointless by then, or the store closed). */
  abandoned(): number {
    return this.failed;
  }

  close(): void {
    this.closed = true;
    for (const h of this.handles) this.opts.timers.clearTimeout(h);
    this.handles.clear();
    this.running = 0;
  }
}
