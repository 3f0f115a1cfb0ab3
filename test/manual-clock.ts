/**
 * A clock that moves only when the test says so: `advance(ms)` runs, in time order (then in the
 * order they were set), every timer that falls due, each seeing `now()` at its own due time.
 * Timers set by a firing timer run too if they fall within the advanced span.
 */
import type { Clock, TimerHandle } from '../src/util/clock.js';

interface Timer { at: number; seq: number; fn: () => void; }

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  constructor(start = 0) { this.t = start; }

  now(): number { return this.t; }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as Timer);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number { return this.timers.size; }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | null = null;
      for (const timer of this.timers) {
        if (timer.at <= end && (next === null || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      }
      if (next === null) break;
      this.timers.delete(next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
