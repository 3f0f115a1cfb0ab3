/**
 * Injected timers for unit tests of time logic: time moves only when the test says so. Mimics one
 * Node loop turn closely enough for the store deadline: `advance` runs the due timers (timers
 * phase); immediates queued by them wait for `runImmediates` (check phase), so a test can put a
 * reply "in the socket" (poll phase) in between.
 */
import type { Timers } from '../../src/limits/stores/deadline.js';

interface Timer { at: number; fn: () => void; id: number; }

export class FakeTimers implements Timers {
  now = 1_000_000;
  private timers: Timer[] = [];
  private immediates: (() => void)[] = [];
  private seq = 0;

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + Math.max(0, ms), fn, id: ++this.seq };
    this.timers.push(t);
    return t.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  setImmediate(fn: () => void): void {
    this.immediates.push(fn);
  }

  /** Move the clock, running every timer that falls due (in order), with microtasks in between. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = next.at;
      next.fn();
      await flush();
    }
    this.now = until;
    await flush();
  }

  async runImmediates(): Promise<void> {
    const q = this.immediates;
    this.immediates = [];
    for (const fn of q) fn();
    await flush();
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}

/** Let every queued microtask (promise callback) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
