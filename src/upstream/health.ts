/**
 * Active health checks for one upstream target: `GET healthCheck.path` every `interval`, each
 * bounded by `timeout`; `healthyThreshold` passes in a row make the target healthy,
 * `unhealthyThreshold` failures in a row unhealthy. A pass is any 2xx answer; anything else, a
 * connection error or the timeout is a failure.
 *
 * - A target starts `unknown` and takes no traffic until a check passes; the first pass makes
 *   it healthy at once (as Envoy does at start-up), whatever `healthyThreshold` says, and the
 *   first failure makes it unhealthy.
 * - The next check is scheduled `interval` after the previous one ended (never two at once).
 * - Each pass is also reported (`onPass`) so that a half-open ejected target can be restored by
 *   it (src/upstream/outlier.ts: `healthPassed`).
 * - Time comes from the injected Clock (timeouts and intervals), so unit tests advance it; the
 *   probe is injected too (`httpProbe` in production: its own undici Client per target, apart
 *   from the traffic pool, so a pool full of long streams never makes a check time out).
 */
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'undici';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { HealthCheckConfig } from '../config/types.js';

export type HealthState = 'unknown' | 'healthy' | 'unhealthy';

/** One check: resolves true when the target is healthy. `signal` aborts at the timeout. */
export type Probe = (signal: AbortSignal) => Promise<boolean>;

export interface HealthHost {
  changed(from: HealthState, to: HealthState): void;
  passed(): void;
}

/** Largest health answer read (then discarded). */
const MAX_HEALTH_BODY = 64 * 1024;

export class HealthMonitor {
  private s: HealthState = 'unknown';
  private passes = 0;
  private fails = 0;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Ends the check in flight (stop()): aborts its probe and clears its timeout. */
  private cancel: (() => void) | null = null;

  constructor(private readonly cfg: HealthCheckConfig, private readonly clock: Clock, private readonly probe: Probe, private readonly host: HealthHost) {}

  get state(): HealthState { return this.s; }

  /** Runs the first check now and resolves when it is done; later checks follow every interval. */
  start(): Promise<void> {
    if (this.running !== null || this.timer !== null) return this.running ?? Promise.resolve();
    this.stopped = false;
    return this.check();
  }

  /** No further checks; a check in flight is aborted (and records nothing). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.cancel?.();
  }

  /** Records one check's result (exposed for unit tests of the thresholds). */
  record(ok: boolean): void {
    const from = this.s;
    if (ok) {
      this.passes++;
      this.fails = 0;
      if (from !== 'healthy' && (from === 'unknown' || this.passes >= this.cfg.healthyThreshold)) this.set('healthy');
      this.host.passed();
    } else {
      this.fails++;
      this.passes = 0;
      if (from !== 'unhealthy' && (from === 'unknown' || this.fails >= this.cfg.unhealthyThreshold)) this.set('unhealthy');
    }
  }

  private set(to: HealthState): void {
    const from = this.s;
    this.s = to;
    this.host.changed(from, to);
  }

  private check(): Promise<void> {
    this.timer = null;
    const run = this.once().then((ok) => {
      this.running = null;
      if (this.stopped) return;
      this.record(ok);
      if (!this.stopped) this.timer = this.clock.setTimeout(() => { void this.check(); }, this.cfg.intervalMs);
    });
    this.running = run;
    return run;
  }

  /** One probe, bounded by the timeout even if the probe ignores its signal. */
  private async once(): Promise<boolean> {
    const ac = new AbortController();
    let timer: TimerHandle | null = null;
    const ended = new Promise<boolean>((resolve) => {
      const end = (): void => {
        if (timer !== null) this.clock.clearTimeout(timer);
        timer = null;
        this.cancel = null;
        ac.abort();
        resolve(false);
      };
      timer = this.clock.setTimeout(end, this.cfg.timeoutMs);
      this.cancel = end;
    });
    try {
      return await Promise.race([this.probe(ac.signal).catch(() => false), ended]);
    } finally {
      if (timer !== null) this.clock.clearTimeout(timer);
      this.cancel = null;
    }
  }
}

/**
 * The production probe: its own undici Client, apart from the traffic pool, and a fresh connection
 * per check (`reset`): a kept-alive connection that the server closes as idle at the moment of a
 * check would fail it falsely, and a new connection also proves the target still accepts them.
 */
export function httpProbe(origin: string, cfg: HealthCheckConfig, tls: ConnectionOptions = {}): { probe: Probe; close(): Promise<void> } {
  const client = new Client(origin, {
    pipelining: 1,
    connect: { timeout: cfg.timeoutMs, ...tls },
    headersTimeout: cfg.timeoutMs,
    bodyTimeout: cfg.timeoutMs,
  });
  return {
    async probe(signal) {
      const r = await client.request({ method: 'GET', path: cfg.path, headers: { 'user-agent': 'modelgate-health-check', accept: '*/*' }, reset: true, signal });
      await r.body.dump({ limit: MAX_HEALTH_BODY }).catch(() => undefined);
      return r.statusCode >= 200 && r.statusCode < 300;
    },
    close: () => client.close().catch(() => undefined),
  };
}
