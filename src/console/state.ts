/**
 * What the operator console shows, read from the gateway's own state — its metrics registry,
 * refreshed right before each read — and nothing else: no external service, no second source of
 * truth. Usage per key over time comes from sampling the cumulative cost counter at a fixed
 * interval into a bounded ring (the last `points` samples), so the history costs the same memory
 * whatever the traffic; keys beyond `maxKeys` (by usage over the window) are summed as "(other)".
 */
import type { Metrics } from '../observability/metrics.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface ConsoleOptions {
  /** Sampling interval of the usage history (default 10 s). */
  intervalMs?: number;
  /** Samples kept (default 360: one hour at 10 s). */
  points?: number;
  /** Keys shown one by one (default 20); the rest are "(other)". */
  maxKeys?: number;
}

type Row = Record<string, string | number>;

/** A counter's or gauge's values summed by the named labels. */
async function byLabels(metric: { get(): Promise<{ values: { labels: Record<string, string | number | undefined>; value: number }[] }> }, labels: string[]): Promise<Row[]> {
  const sums = new Map<string, Row>();
  for (const v of (await metric.get()).values) {
    const key = labels.map((l) => String(v.labels[l] ?? '')).join('\u0000');
    const row = sums.get(key) ?? Object.fromEntries([...labels.map((l) => [l, String(v.labels[l] ?? '')]), ['value', 0]]) as Row;
    row.value = (row.value as number) + v.value;
    sums.set(key, row);
  }
  return [...sums.values()].filter((r) => r.value !== 0).sort((a, b) => (b.value as number) - (a.value as number));
}

export class ConsoleState {
  private readonly intervalMs: number;
  private readonly points: number;
  private readonly maxKeys: number;
  /** Sample times and, per key, the cumulative cost at each (aligned with `times`). */
  private readonly times: number[] = [];
  private readonly totals = new Map<string, number[]>();
  private timer: TimerHandle | null = null;
  private readonly started: number;

  constructor(private readonly metrics: Metrics, private readonly refresh: () => void, private readonly clock: Clock, opts: ConsoleOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.points = opts.points ?? 360;
    this.maxKeys = opts.maxKeys ?? 20;
    this.started = clock.now();
  }

  /** Starts sampling (first sample now). */
  start(): void {
    const tick = (): void => {
      void this.sample().finally(() => {
        if (this.timer !== null) this.timer = this.clock.setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = this.clock.setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One sample of the cumulative cost per key. */
  async sample(): Promise<void> {
    const now = this.clock.now();
    const perKey = new Map<string, number>();
    for (const v of (await this.metrics.cost.get()).values) {
      const k = String(v.labels.key ?? '');
      perKey.set(k, (perKey.get(k) ?? 0) + v.value);
    }
    this.times.push(now);
    const n = this.times.length;
    for (const [k, total] of perKey) {
      let series = this.totals.get(k);
      if (series === undefined) {
        series = new Array<number>(n - 1).fill(0);
        this.totals.set(k, series);
      }
      series.push(total);
    }
    for (const [k, series] of this.totals) if (series.length < n) series.push(perKey.get(k) ?? series[series.length - 1] ?? 0);
    if (n > this.points) {
      this.times.shift();
      for (const series of this.totals.values()) series.shift();
    }
  }

  /** Usage per interval (differences of the cumulative totals) per key, the top keys and "(other)". */
  usage(): { intervalMs: number; times: number[]; keys: { key: string; total: number; perInterval: number[] }[] } {
    const keys = [...this.totals].map(([key, series]) => {
      const perInterval = series.slice(1).map((v, i) => Math.max(0, v - (series[i] as number)));
      return { key, total: series[series.length - 1] ?? 0, perInterval, window: perInterval.reduce((a, b) => a + b, 0) };
    }).sort((a, b) => b.window - a.window || b.total - a.total);
    const shown = keys.slice(0, this.maxKeys).map(({ key, total, perInterval }) => ({ key, total, perInterval }));
    const rest = keys.slice(this.maxKeys);
    if (rest.length > 0) {
      const perInterval = (rest[0] as { perInterval: number[] }).perInterval.map((_, i) => rest.reduce((s, k) => s + (k.perInterval[i] ?? 0), 0));
      shown.push({ key: '(other)', total: rest.reduce((s, k) => s + k.total, 0), perInterval });
    }
    return { intervalMs: this.intervalMs, times: this.times.slice(1), keys: shown };
  }

  /** Everything the console's pages show, as JSON. */
  async snapshot(): Promise<Record<string, unknown>> {
    this.refresh();
    const m = this.metrics;
    return {
      now: this.clock.now(),
      uptimeSeconds: Math.round((this.clock.now() - this.started) / 1000),
      requests: await byLabels(m.requests, ['status']),
      rejections: await byLabels(m.rejections, ['code']),
      detections: await byLabels(m.injections, ['action']),
      redactions: await byLabels(m.outputRedacted, ['pii_type']),
      leaks: await byLabels(m.canaryLeaks, ['kind']),
      targets: (await m.targetUp.get()).values.map((v) => ({ upstream: String(v.labels.upstream), target: String(v.labels.target), up: v.value === 1 })),
      ejections: await byLabels(m.ejections, ['upstream', 'target', 'reason']),
      slots: (await m.slotsInUse.get()).values.map((v) => ({ upstream: String(v.labels.upstream), inUse: v.value })),
      queue: (await m.queueLength.get()).values.map((v) => ({ upstream: String(v.labels.upstream), length: v.value })),
      inFlight: (await m.inFlight.get()).values[0]?.value ?? 0,
      usage: this.usage(),
    };
  }
}
