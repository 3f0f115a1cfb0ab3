/**
 * Passive outlier detection for one upstream target (Envoy's outlier detection, plus a half-open
 * trial): a pure state machine over the outcomes of the attempts sent to the target, with time
 * from an injected Clock.
 *
 *   closed ──(consecutive 5xx │ consecutive gateway errors │ success rate below minimum)──► open
 *   open ──(openFor × times ejected, at most maxOpenFor, has passed)──► half-open
 *   half-open: exactly one trial attempt at a time
 *     ├─ trial succeeds (or a passing active health check) ──► closed, counters reset
 *     └─ trial fails ──► open again, for the next (longer) duration
 *
 * - An attempt's outcome: 'success' (any answer below 500 — a 4xx is the client's fault, not the
 *   target's), 'server-error' (a 5xx answer, or the connection reset after the request was sent),
 *   'gateway-error' (connect refused or timed out, response timeouts, 502/503/504). A gateway
 *   error counts toward both consecutive rules (as in Envoy); any success resets both.
 * - "Times ejected" is the duration multiplier; it decays by one for every `openFor` the target
 *   then spends in rotation, so a target that failed once last week starts again at `openFor`.
 * - Whether an ejection may happen is asked of the host (`mayEject`: maxEjectedPercent over the
 *   upstream's targets). A refused ejection leaves the target in rotation with its counters
 *   standing, so the next failure asks again; it is reported once per failure streak.
 * - Outcomes of attempts that were started before the target was ejected, and arrive after, are
 *   ignored: the decision has been made.
 *
 * Hand-written: circuit-breaker libraries (cockatiel, opossum) model one breaker around one call
 * site with their own timers and Date.now; none models a group of targets with an ejection cap,
 * an ejection multiplier, or takes an injected clock for tests.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { BreakerConfig } from '../config/types.js';

export type OutlierState = 'closed' | 'open' | 'half-open';
export type AttemptResult = 'success' | 'server-error' | 'gateway-error';
export type EjectReason = 'consecutive-5xx' | 'consecutive-gateway-errors' | 'success-rate' | 'failed-trial';

export type OutlierEvent =
  | { kind: 'ejected'; from: 'closed' | 'half-open'; reason: EjectReason; forMs: number; ejections: number }
  | { kind: 'half-open'; afterMs: number }
  | { kind: 'restored'; reason: 'trial-succeeded' | 'health-check-passed' }
  /** An ejection was due but maxEjectedPercent kept the target in rotation. */
  | { kind: 'ejection-skipped'; reason: EjectReason };

export interface OutlierHost {
  /** True when one more target of the upstream may be ejected (maxEjectedPercent). */
  mayEject(): boolean;
  /** Every transition (and skipped ejection), once. */
  event(e: OutlierEvent): void;
}

/** One attempt on the target, taken with `begin()` and settled once with `finish()`. */
export interface Attempt { readonly trial: boolean; settled: boolean; }

/**
 * maxEjectedPercent: may one more of `total` targets be ejected when `ejected` are? (Envoy's
 * rule: the share ejected after this ejection must not exceed the percentage.) With 100 all may be.
 */
export function mayEject(ejected: number, total: number, percent: number): boolean {
  return (ejected + 1) * 100 <= percent * total;
}

const BUCKETS = 10;

/** Successes and failures over a sliding window, in BUCKETS slices: bounded memory per target. */
class SuccessWindow {
  private readonly bucketMs: number;
  private readonly epochs = new Array<number>(BUCKETS).fill(-1);
  private readonly ok = new Array<number>(BUCKETS).fill(0);
  private readonly fail = new Array<number>(BUCKETS).fill(0);

  constructor(windowMs: number) { this.bucketMs = Math.max(1, windowMs / BUCKETS); }

  add(now: number, success: boolean): void {
    const epoch = Math.floor(now / this.bucketMs);
    const i = epoch % BUCKETS;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.ok[i] = 0;
      this.fail[i] = 0;
    }
    if (success) this.ok[i] = (this.ok[i] ?? 0) + 1;
    else this.fail[i] = (this.fail[i] ?? 0) + 1;
  }

  /** Attempts and successes within the window ending now. */
  totals(now: number): { total: number; ok: number } {
    const epoch = Math.floor(now / this.bucketMs);
    let ok = 0;
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const e = this.epochs[i] ?? -1;
      if (e < 0 || e <= epoch - BUCKETS) continue;
      ok += this.ok[i] ?? 0;
      total += (this.ok[i] ?? 0) + (this.fail[i] ?? 0);
    }
    return { total, ok };
  }

  clear(): void { this.epochs.fill(-1); }
}

export class OutlierDetector {
  private s: OutlierState = 'closed';
  private c5xx = 0;
  private cGateway = 0;
  /** Times ejected: the duration multiplier (decays while in rotation). */
  private ejections = 0;
  private closedSince: number;
  private openUntil = 0;
  private openedFor = 0;
  private trialRunning = false;
  private skipReported = false;
  private timer: TimerHandle | null = null;
  private readonly window: SuccessWindow | null;

  constructor(private readonly cfg: BreakerConfig, private readonly clock: Clock, private readonly host: OutlierHost) {
    this.closedSince = clock.now();
    this.window = cfg.successRate === null ? null : new SuccessWindow(cfg.successRate.windowMs);
  }

  get state(): OutlierState {
    this.refresh();
    return this.s;
  }

  /** A half-open target's single trial is running. */
  get trialInFlight(): boolean { return this.trialRunning; }

  /** Times ejected, as the next ejection would count them before decay (tests, logs). */
  get timesEjected(): number { return this.ejections; }

  /** Whether a new attempt may go to this target now. */
  admits(): boolean {
    const s = this.state;
    return s === 'closed' || (s === 'half-open' && !this.trialRunning);
  }

  /** Milliseconds until this target may take traffic again (0: it may now, or its trial decides). */
  waitMs(): number {
    return this.state === 'open' ? Math.max(0, this.openUntil - this.clock.now()) : 0;
  }

  /** Takes the target for one attempt (a half-open target's single trial), or null when it takes none now. */
  begin(): Attempt | null {
    const s = this.state;
    if (s === 'closed') return { trial: false, settled: false };
    if (s === 'half-open' && !this.trialRunning) {
      this.trialRunning = true;
      return { trial: true, settled: false };
    }
    return null;
  }

  /** Settles an attempt: its outcome, or 'cancelled' (the client left; says nothing about the target). Idempotent. */
  finish(attempt: Attempt, result: AttemptResult | 'cancelled'): void {
    if (attempt.settled) return;
    attempt.settled = true;
    if (attempt.trial) {
      this.trialRunning = false;
      if (this.s === 'half-open') {
        if (result === 'success') this.restore('trial-succeeded');
        else if (result !== 'cancelled') this.eject('failed-trial');
        return;
      }
      // Restored meanwhile by a health check: counted like any attempt below.
    }
    if (result === 'cancelled' || this.state !== 'closed') return;
    const now = this.clock.now();
    if (result === 'success') {
      this.c5xx = 0;
      this.cGateway = 0;
      this.skipReported = false;
      this.window?.add(now, true);
      return;
    }
    this.c5xx++;
    this.cGateway = result === 'gateway-error' ? this.cGateway + 1 : 0;
    this.window?.add(now, false);
    const reason = this.due(now);
    if (reason === null) return;
    if (this.host.mayEject()) this.eject(reason);
    else if (!this.skipReported) {
      this.skipReported = true;
      this.host.event({ kind: 'ejection-skipped', reason });
    }
  }

  /** A passing active health check: a half-open target is back in rotation at once. */
  healthPassed(): void {
    if (this.state === 'half-open') this.restore('health-check-passed');
  }

  /** Stops the timer (gateway close). */
  dispose(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private due(now: number): EjectReason | null {
    const c = this.cfg;
    if (c.consecutiveGatewayErrors > 0 && this.cGateway >= c.consecutiveGatewayErrors) return 'consecutive-gateway-errors';
    if (c.consecutive5xx > 0 && this.c5xx >= c.consecutive5xx) return 'consecutive-5xx';
    const sr = c.successRate;
    if (sr !== null && this.window !== null) {
      const { total, ok } = this.window.totals(now);
      if (total >= sr.requestVolume && ok < sr.minimum * total) return 'success-rate';
    }
    return null;
  }

  private eject(reason: EjectReason): void {
    const now = this.clock.now();
    const from = this.s === 'half-open' ? 'half-open' : 'closed';
    if (from === 'closed') {
      const decay = Math.floor((now - this.closedSince) / this.cfg.openForMs);
      this.ejections = Math.max(0, this.ejections - decay);
    }
    this.ejections++;
    const forMs = Math.min(this.cfg.openForMs * this.ejections, this.cfg.maxOpenForMs);
    this.s = 'open';
    this.c5xx = 0;
    this.cGateway = 0;
    this.trialRunning = false;
    this.skipReported = false;
    this.window?.clear();
    this.openUntil = now + forMs;
    this.openedFor = forMs;
    this.schedule(forMs);
    this.host.event({ kind: 'ejected', from, reason, forMs, ejections: this.ejections });
  }

  private schedule(ms: number): void {
    this.dispose();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.s === 'open' && this.clock.now() < this.openUntil) this.schedule(this.openUntil - this.clock.now());
      else this.refresh();
    }, ms);
  }

  /** open → half-open once its time is over (by the timer, or noticed earlier by a query). */
  private refresh(): void {
    if (this.s !== 'open' || this.clock.now() < this.openUntil) return;
    this.dispose();
    this.s = 'half-open';
    this.trialRunning = false;
    this.host.event({ kind: 'half-open', afterMs: this.openedFor });
  }

  private restore(reason: 'trial-succeeded' | 'health-check-passed'): void {
    this.s = 'closed';
    this.c5xx = 0;
    this.cGateway = 0;
    this.skipReported = false;
    this.closedSince = this.clock.now();
    this.host.event({ kind: 'restored', reason });
  }
}
