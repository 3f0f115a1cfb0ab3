/**
 * How far Redis time is ahead of this replica's monotonic clock: a LOWER bound, so that a deadline
 * converted with it is never later in Redis time than the moment this replica gives up.
 *
 * For a call sent at local time s and answered at local time e carrying Redis time r (read
 * between the two), the true offset θ satisfies r − e ≤ θ ≤ r − s. Every reply therefore gives a
 * lower bound r − e; a busy event loop only makes e later, i.e. the sample lower, never higher, so
 * the MAX over recent samples is both valid and robust to lag. Samples older than `windowMs`
 * are forgotten (so that a Redis clock step backwards is forgotten too), except the newest one.
 *
 * Hand-written: it is a sliding-window maximum (a monotonic deque, O(1) amortised per sample)
 * over a few lines of arithmetic; no library does this specific estimate.
 */

/** The local monotonic clock in epoch-like ms: never steps back, unlike Date.now. */
export function monoNow(): number {
  return performance.timeOrigin + performance.now();
}

interface Sample { at: number; low: number; }

export class ClockOffset {
  private readonly window: Sample[] = [];
  private readonly windowMs: number;

  constructor(windowMs = 60_000) {
    this.windowMs = windowMs;
  }

  /** A reply: sent at local `sentAt`, received at local `receivedAt`, carrying Redis time `redisNow`. */
  sample(sentAt: number, receivedAt: number, redisNow: number): void {
    if (!Number.isFinite(redisNow) || !(receivedAt >= sentAt)) return;
    const low = redisNow - receivedAt;
    const w = this.window;
    while (w.length > 0 && (w[w.length - 1] as Sample).low <= low) w.pop();
    w.push({ at: receivedAt, low });
    this.expire(receivedAt);
  }

  /** The lower bound at local time `now`; null before the first sample. */
  low(now: number): number | null {
    this.expire(now);
    return this.window[0]?.low ?? null;
  }

  /**
   * The Redis time at or before which a call sent at local `sentAt` with a `timeoutMs` deadline
   * must have run to still be waited for; 0 (no deadline) before the first sample.
   */
  deadline(sentAt: number, timeoutMs: number): number {
    const low = this.low(sentAt);
    return low === null ? 0 : sentAt + timeoutMs + low;
  }

  reset(): void {
    this.window.length = 0;
  }

  private expire(now: number): void {
    const w = this.window;
    while (w.length > 1 && (w[0] as Sample).at < now - this.windowMs) w.shift();
  }
}
