/**
 * Event-loop health as metrics: how late the loop runs (perf_hooks.monitorEventLoopDelay) and how
 * busy it is (performance.eventLoopUtilization).
 *
 *   modelgate_event_loop_delay_seconds{stat="p50|p90|p99|max"}
 *   modelgate_event_loop_utilization_ratio
 *
 * Both describe the last completed window (WINDOW_MS, 10 s): a timer closes the window, takes the
 * percentiles and the utilisation of that window, and starts a new one. The window is reset by
 * time, not by the scrape, on purpose: several scrapers (an HA pair of Prometheus servers, the
 * operator console reading the same registry) would otherwise each see only the slice since the
 * other's scrape, and a scrape would change what it measures. The cost is that a value is up to
 * one window old; a stall shows on the next window close.
 *
 * Delay is what the loop added beyond the sampling timer's own interval (the histogram records the
 * whole interval between ticks, RESOLUTION_MS included; that part is subtracted), so an idle
 * process reports ≈ 0 and a 50 ms synchronous stall reports ≈ 0.05 s in `max`.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** Sampling interval of the delay histogram, ms (Node's default). */
export const RESOLUTION_MS = 10;
/** Length of one reporting window, ms. */
export const WINDOW_MS = 10_000;

const STATS = ['p50', 'p90', 'p99', 'max'] as const;
export type DelayStat = (typeof STATS)[number];

export interface EventLoopWindow {
  /** Delay beyond the sampling interval, seconds, by statistic. */
  delay: Record<DelayStat, number>;
  /** Fraction of the window the loop was busy (0..1). */
  utilization: number;
}

export interface EventLoopMonitor {
  /** Close the current window now (what the timer does every WINDOW_MS); returns its values. */
  roll(): EventLoopWindow;
  /** The last completed window. */
  readonly last: EventLoopWindow;
  stop(): void;
}

function beyond(ns: number): number {
  return Math.max(0, ns / 1e6 - RESOLUTION_MS) / 1000;
}

function read(h: IntervalHistogram): Record<DelayStat, number> {
  if (h.count === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  return { p50: beyond(h.percentile(50)), p90: beyond(h.percentile(90)), p99: beyond(h.percentile(99)), max: beyond(h.max) };
}

/**
 * Starts sampling and registers the two gauges on `registry`. `windowMs: 0` starts no timer (tests
 * call roll()). The timer is unref'd: it never keeps the process alive.
 */
export function monitorEventLoop(registry: Registry, opts: { windowMs?: number } = {}): EventLoopMonitor {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let last: EventLoopWindow = { delay: read(h), utilization: 0 };
  new Gauge({
    name: 'modelgate_event_loop_delay_seconds',
    help: `Event-loop delay beyond the ${RESOLUTION_MS} ms sampling interval over the last ${WINDOW_MS / 1000} s window, by statistic (p50, p90, p99, max)`,
    labelNames: ['stat'],
    registers: [registry],
    collect() {
      for (const s of STATS) this.set({ stat: s }, last.delay[s]);
    },
  });
  new Gauge({
    name: 'modelgate_event_loop_utilization_ratio',
    help: `Fraction of the last ${WINDOW_MS / 1000} s window the event loop was busy (performance.eventLoopUtilization)`,
    registers: [registry],
    collect() {
      this.set(last.utilization);
    },
  });
  const roll = (): EventLoopWindow => {
    const now = performance.eventLoopUtilization();
    last = { delay: read(h), utilization: performance.eventLoopUtilization(now, elu).utilization };
    elu = now;
    h.reset();
    return last;
  };
  const windowMs = opts.windowMs ?? WINDOW_MS;
  const timer = windowMs > 0 ? setInterval(roll, windowMs).unref() : null;
  return {
    roll,
    get last() { return last; },
    stop() {
      if (timer !== null) clearInterval(timer);
      h.disable();
    },
  };
}
