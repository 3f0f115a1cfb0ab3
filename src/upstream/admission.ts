/**
 * GPU-slot admission: at most `maxConcurrent` requests of an upstream are at the model server at
 * once; the rest wait in a bounded queue that is fair across keys.
 *
 * Fairness: each owner (API key) has its own FIFO; when a slot frees, the highest priority level
 * with waiters is served, and within it owners take turns (round robin), so one key's flood of
 * 200 requests cannot starve another key's single request: that request waits behind at most one
 * turn of each other owner. The bound is fair too: when the queue is full, a newcomer takes the
 * place of the newest waiter of the owner holding the most places (that waiter is refused), and
 * is refused itself only when it would hold as many places as the biggest owner.
 *
 * No library does weighted-fair queuing with per-owner fair dropping (p-limit / p-queue are FIFO
 * or single-priority), hence this small hand-written scheduler.
 */
import { deny, DenialError } from '../errors.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { AbortLike } from '../pipeline/context.js';

export interface AdmissionOptions {
  maxConcurrent: number;
  queueSize: number;
  queueTimeoutMs: number;
}

interface Waiter {
  owner: string;
  priority: number;
  resolve: (release: () => void) => void;
  reject: (err: DenialError) => void;
  timer: TimerHandle | null;
  /** Removes the abort listener from the caller's signal (so a long-lived signal keeps none). */
  unlisten: (() => void) | null;
  done: boolean;
}

interface Level {
  /** owner → FIFO of waiters; Map iteration order is the round-robin order. */
  owners: Map<string, Waiter[]>;
}

export class Admission {
  readonly options: AdmissionOptions;
  private inUse = 0;
  private queued = 0;
  /** priority → level; served from the highest priority down. */
  private readonly levels = new Map<number, Level>();

  /** `clock` runs the queue timeout; tests pass a manual clock and advance it. */
  constructor(options: AdmissionOptions, private readonly clock: Clock = realClock) {
    this.options = options;
  }

  get slotsInUse(): number { return this.inUse; }
  get queueLength(): number { return this.queued; }

  private retryAfter(): Record<string, string> {
    return { 'retry-after': String(Math.max(1, Math.ceil(this.options.queueTimeoutMs / 1000 / 2))) };
  }

  /**
   * Wait for a slot. Resolves with a release function (call it exactly once, when the response is
   * over); rejects with a DenialError (MG_QUEUE_FULL at once, MG_QUEUE_TIMEOUT after the wait, or
   * MG_QUEUE_TIMEOUT 'client gone' when `signal` aborts).
   */
  acquire(owner: string, priority: number, signal?: AbortLike): Promise<() => void> {
    if (this.inUse < this.options.maxConcurrent && this.queued === 0) {
      this.inUse++;
      return Promise.resolve(this.releaser());
    }
    if (this.queued >= this.options.queueSize && !this.makeRoomFor(owner, priority)) {
      return Promise.reject(new DenialError(deny('MG_QUEUE_FULL', 'admission queue full', this.retryAfter())));
    }
    return new Promise<() => void>((resolve, reject) => {
      const w: Waiter = { owner, priority, resolve, reject, timer: null, unlisten: null, done: false };
      if (signal?.aborted === true) return reject(new DenialError(deny('MG_QUEUE_TIMEOUT', 'client gone')));
      this.enqueue(w);
      w.timer = this.clock.setTimeout(() => this.drop(w, deny('MG_QUEUE_TIMEOUT', 'waited too long for a GPU slot', this.retryAfter())), this.options.queueTimeoutMs);
      if (signal !== undefined) {
        const onAbort = (): void => this.drop(w, deny('MG_QUEUE_TIMEOUT', 'client gone'));
        signal.addEventListener('abort', onAbort, { once: true });
        w.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.dispatch();
    };
  }

  private enqueue(w: Waiter): void {
    let level = this.levels.get(w.priority);
    if (level === undefined) {
      level = { owners: new Map() };
      this.levels.set(w.priority, level);
    }
    const q = level.owners.get(w.owner);
    if (q === undefined) level.owners.set(w.owner, [w]);
    else q.push(w);
    this.queued++;
  }

  /** Remove a waiter that is still queued, and refuse it. */
  private drop(w: Waiter, denial: ReturnType<typeof deny>): void {
    if (w.done) return;
    const level = this.levels.get(w.priority);
    const q = level?.owners.get(w.owner);
    const i = q?.indexOf(w) ?? -1;
    if (q === undefined || level === undefined || i === -1) return;
    q.splice(i, 1);
    if (q.length === 0) level.owners.delete(w.owner);
    this.queued--;
    this.settle(w);
    w.reject(new DenialError(denial));
  }

  private settle(w: Waiter): void {
    w.done = true;
    if (w.timer !== null) this.clock.clearTimeout(w.timer);
    w.unlisten?.();
  }

  /**
   * The queue is full: refuse the newest waiter of the owner with the most places in the lowest
   * priority level at or below the newcomer's, if that owner holds more places than the newcomer
   * would. Returns whether room was made.
   */
  private makeRoomFor(owner: string, priority: number): boolean {
    const priorities = [...this.levels.keys()].filter((p) => p <= priority).sort((a, b) => a - b);
    for (const p of priorities) {
      const level = this.levels.get(p) as Level;
      let biggest: Waiter[] | null = null;
      for (const q of level.owners.values()) if (biggest === null || q.length > biggest.length) biggest = q;
      const mine = p === priority ? (level.owners.get(owner)?.length ?? 0) : 0;
      if (biggest !== null && (p < priority || biggest.length > mine + 1)) {
        const victim = biggest[biggest.length - 1] as Waiter;
        this.drop(victim, deny('MG_QUEUE_FULL', 'displaced by a fairer share', this.retryAfter()));
        return true;
      }
    }
    return false;
  }

  /** Give free slots to waiters: highest priority first, owners in turn within a level. */
  private dispatch(): void {
    while (this.inUse < this.options.maxConcurrent && this.queued > 0) {
      const top = Math.max(...[...this.levels.entries()].filter(([, l]) => l.owners.size > 0).map(([p]) => p));
      const level = this.levels.get(top) as Level;
      const [owner, q] = level.owners.entries().next().value as [string, Waiter[]];
      const w = q.shift() as Waiter;
      // Round robin: the owner goes to the back of the turn order (or leaves it when empty).
      level.owners.delete(owner);
      if (q.length > 0) level.owners.set(owner, q);
      if (level.owners.size === 0) this.levels.delete(top);
      this.queued--;
      this.settle(w);
      this.inUse++;
      w.resolve(this.releaser());
    }
  }
}
