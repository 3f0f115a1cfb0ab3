/**
 * Upstream targets: one undici Pool per target with keep-alive, round robin over the targets that
 * can take traffic now, and each target's breaker (outlier.ts) and health checks (health.ts).
 *
 * A target takes traffic when its health checks (if on) last said healthy and its breaker is
 * closed — or half-open with its single trial free. `order()` lists those for one request, in
 * round-robin order; `acquire()` takes one for an attempt right before sending (a target ejected
 * meanwhile, or whose trial another request took, is skipped: the request never left, so moving
 * on is safe); `finish()` reports the attempt's outcome to the breaker, exactly once.
 *
 * How breaker and health checks combine (per target, per replica):
 *   - in rotation   = health healthy (or checks off) AND breaker closed;
 *   - a failing check takes a target out of rotation whatever the breaker says, and a passing one
 *     never shortens an ejection: the target stays out for its `openFor`;
 *   - once `openFor` is over (half-open), the first of these restores it: a trial request that
 *     succeeds, or a passing health check. A failed trial ejects it again, for longer.
 *   - maxEjectedPercent counts breaker ejections (open or half-open), not failed health checks.
 */
import { Pool } from 'undici';
import type { UpstreamConfig } from '../config/types.js';
import { deny, type Denial } from '../errors.js';
import { realClock, type Clock } from '../util/clock.js';
import { OutlierDetector, mayEject, type Attempt, type AttemptResult, type OutlierEvent } from './outlier.js';
import { HealthMonitor, httpProbe, type HealthState, type Probe } from './health.js';
import { upstreamTlsOptions } from './tls.js';
import type { Emitter } from '../observability/events.js';

export interface Target {
  url: URL;
  origin: string;
  pool: Pool;
  /** null: breaker off. */
  outlier: OutlierDetector | null;
  /** null: health checks off. */
  health: HealthMonitor | null;
}

/** A change of a target's state, for metrics and the log (the target.changed event). */
export type TargetChange = ({ source: 'breaker' } & OutlierEvent) | { source: 'health'; from: HealthState; to: HealthState };

export interface TargetOptions {
  clock?: Clock;
  /** Where target.changed events go (every transition once). */
  events?: Emitter;
  /** The health probe of a target (default: an HTTP GET of healthCheck.path, health.ts). */
  probe?: (target: URL) => Probe;
}

/** One attempt on one target: settle it with `finish()` exactly once. */
export interface Ticket { readonly target: Target; readonly attempt: Attempt | null; }

const NO_BREAKER: Attempt = { trial: false, settled: true };

export class UpstreamTargets {
  readonly config: UpstreamConfig;
  readonly targets: Target[];
  /** notAfter (ms) of the client certificate of upstreams.*.tls, if any (expiry gauge). */
  readonly certNotAfterMs: number | null;
  private next = 0;
  private readonly clock: Clock;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(config: UpstreamConfig, opts: TargetOptions = {}) {
    this.config = config;
    this.clock = opts.clock ?? realClock;
    const events = opts.events;
    // https targets: CA, client certificate and server name of upstreams.*.tls (never unverified).
    const tls = upstreamTlsOptions(config.tls);
    this.certNotAfterMs = tls.certNotAfterMs;
    this.targets = config.targets.map((url) => {
      const t: Target = {
        url,
        origin: url.origin,
        pool: new Pool(url.origin, {
          connections: config.connections,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          connect: { timeout: config.connectTimeoutMs, ...tls.connect },
          headersTimeout: config.timeoutMs,
          bodyTimeout: config.timeoutMs,
        }),
        outlier: null,
        health: null,
      };
      const report = (change: TargetChange): void => events?.emit({ type: 'target.changed', upstream: config.name, target: t.origin, change, up: this.inRotation(t) });
      if (config.breaker !== null) {
        t.outlier = new OutlierDetector(config.breaker, this.clock, {
          mayEject: () => mayEject(this.ejectedCount(), this.targets.length, config.breaker?.maxEjectedPercent ?? 0),
          event: (e) => report({ source: 'breaker', ...e }),
        });
      }
      const hc = config.healthCheck;
      if (hc !== null) {
        let probe: Probe;
        if (opts.probe !== undefined) probe = opts.probe(url);
        else {
          const p = httpProbe(url.origin, hc, tls.connect);
          this.closers.push(p.close);
          probe = p.probe;
        }
        t.health = new HealthMonitor(hc, this.clock, probe, {
          changed: (from, to) => report({ source: 'health', from, to }),
          passed: () => t.outlier?.healthPassed(),
        });
      }
      return t;
    });
  }

  /** In rotation: healthy (or unchecked) and the breaker closed. What the up gauge shows. */
  inRotation(t: Target): boolean {
    return (t.health === null || t.health.state === 'healthy') && (t.outlier === null || t.outlier.state === 'closed');
  }

  /** Takes a new attempt now: healthy, and closed or half-open with its trial free. */
  takes(t: Target): boolean {
    return (t.health === null || t.health.state === 'healthy') && (t.outlier === null || t.outlier.admits());
  }

  /** Whether any target can take a request now (else: fast failure, `unavailable()`). */
  available(): boolean {
    for (const t of this.targets) if (this.takes(t)) return true;
    return false;
  }

  /** The targets this request should try, in round-robin order over those that take traffic now. */
  order(): Target[] {
    const n = this.targets.length;
    if (n === 1) return this.takes(this.targets[0] as Target) ? this.targets : [];
    const avail = this.targets.filter((t) => this.takes(t));
    const m = avail.length;
    if (m <= 1) return avail;
    const start = this.next % m;
    this.next = (this.next + 1) % 1_000_000_007;
    const out: Target[] = [];
    for (let i = 0; i < m; i++) out.push(avail[(start + i) % m] as Target);
    return out;
  }

  /** Takes `t` for one attempt right before sending; null when it no longer takes one (skip it). */
  acquire(t: Target): Ticket | null {
    if (t.health !== null && t.health.state !== 'healthy') return null;
    if (t.outlier === null) return { target: t, attempt: NO_BREAKER };
    const attempt = t.outlier.begin();
    return attempt === null ? null : { target: t, attempt };
  }

  /** The attempt's outcome ('cancelled': the client left, which says nothing about the target). */
  finish(ticket: Ticket, result: AttemptResult | 'cancelled'): void {
    if (ticket.attempt !== null) ticket.target.outlier?.finish(ticket.attempt, result);
  }

  /**
   * Retry-After, in seconds, when no target takes traffic: until the soonest ejection ends, or a
   * health-check interval for a target that is not healthy; at least 1.
   */
  retryAfterSeconds(): number {
    let best = Infinity;
    for (const t of this.targets) {
      const health = t.health === null || t.health.state === 'healthy' ? 0 : this.config.healthCheck?.intervalMs ?? 0;
      best = Math.min(best, Math.max(health, t.outlier?.waitMs() ?? 0));
    }
    return Math.max(1, Math.ceil((Number.isFinite(best) ? best : 1000) / 1000));
  }

  /** 503 MG_UPSTREAM_UNAVAILABLE with Retry-After. */
  unavailable(): Denial {
    return deny('MG_UPSTREAM_UNAVAILABLE', `no target of upstream ${this.config.name} can take traffic`, { 'retry-after': String(this.retryAfterSeconds()) });
  }

  /** Starts health checks; resolves after every target's first check (at most one timeout). */
  async start(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.health?.start()));
  }

  /** Stops health checks and breaker timers; closes the pools and probe clients. */
  async close(): Promise<void> {
    for (const t of this.targets) {
      t.health?.stop();
      t.outlier?.dispose();
    }
    await Promise.all([
      ...this.targets.map((t) => t.pool.close().catch(() => undefined)),
      ...this.closers.map((c) => c()),
    ]);
  }

  private ejectedCount(): number {
    let n = 0;
    for (const t of this.targets) if (t.outlier !== null && t.outlier.state !== 'closed') n++;
    return n;
  }
}
