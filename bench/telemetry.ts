/**
 * Cost of the one telemetry path (src/observability/events.ts): the same signal counted directly
 * (what the ad-hoc sinks did: a metric update, a log line) and emitted as an event through the
 * bus to its subscribers. Prints ns per event, the median of 7 runs of 200,000 events each.
 *
 *   request.answered   every request: requests_total, the duration histogram, rejections_total
 *   upstream.failed    a failure: a counter and a warn line (to a destination that drops it)
 *
 * Run: npm run bench:telemetry
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { EventBus, type TelemetryEvent } from '../src/observability/events.js';
import { createMetrics, outcomeOf } from '../src/observability/metrics.js';
import { createTelemetry } from '../src/observability/telemetry.js';
import { metricsSubscriber } from '../src/observability/subscribers/metrics.js';

const N = 200_000;
const RUNS = 7;
const ROUTES = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'];
const STATUSES = [200, 200, 200, 429, 502];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * Runs the variants interleaved (run r of each, then run r + 1 of each), so a load change on a
 * shared machine hits all of them alike; prints and returns each median.
 */
function compare(variants: [string, (i: number) => void][]): number[] {
  for (const [, step] of variants) for (let i = 0; i < 50_000; i++) step(i); // warm-up: JIT, label combinations
  const runs: number[][] = variants.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    variants.forEach(([, step], v) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) step(i);
      (runs[v] as number[]).push(Number(process.hrtime.bigint() - t0) / N);
    });
  }
  return variants.map(([name], v) => {
    const ns = median(runs[v] as number[]);
    console.log(`${name.padEnd(52)} ${ns.toFixed(0).padStart(6)} ns/event`);
    return ns;
  });
}

/** A pino logger that serialises every line and drops it (the cost of logging, not of the pipe). */
const dropping = (): pino.Logger => pino({ level: 'info', base: { service: 'modelgate' } }, { write: (_s: string): boolean => true });

console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} ×${cpus().length}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

// request.answered: metrics only, on every request.
{
  const m = createMetrics({ defaultMetrics: false });
  const m2 = createMetrics({ defaultMetrics: false });
  const bus = new EventBus();
  bus.subscribe(metricsSubscriber(m2), 'metrics');
  const m3 = createMetrics({ defaultMetrics: false });
  const full = createTelemetry(m3, dropping());
  const [direct = 0, viaBus = 0, viaAll = 0] = compare([['request.answered  direct metric updates', (i) => {
    const route = ROUTES[i % 3] as string;
    const status = STATUSES[i % 5] as number;
    m.requests.inc({ route, status: String(status) });
    m.duration.observe({ route, outcome: outcomeOf(status) }, 0.012);
    if (status !== 200) m.rejections.inc({ route, code: 'MG_RATE_LIMITED_COST' });
  }], ['request.answered  via the bus (metrics only)', (i) => {
    const status = STATUSES[i % 5] as number;
    bus.emit({ type: 'request.answered', route: ROUTES[i % 3] as string, status, seconds: 0.012, code: status === 200 ? undefined : 'MG_RATE_LIMITED_COST' });
  }], ['request.answered  via the bus (metrics+log+audit)', (i) => {
    const status = STATUSES[i % 5] as number;
    full.emit({ type: 'request.answered', route: ROUTES[i % 3] as string, status, seconds: 0.012, code: status === 200 ? undefined : 'MG_RATE_LIMITED_COST' });
  }]]);
  console.log(`  bus overhead: +${(viaBus - direct).toFixed(0)} ns (metrics only), +${(viaAll - direct).toFixed(0)} ns (three subscribers)`);
}

// upstream.failed: a counter and a warn line.
{
  const m = createMetrics({ defaultMetrics: false });
  const log = dropping();
  const m2 = createMetrics({ defaultMetrics: false });
  const full = createTelemetry(m2, dropping());
  const [direct = 0, viaAll = 0] = compare([['upstream.failed   direct metric + log line', (i) => {
    m.upstreamErrors.inc({ upstream: 'llm', kind: 'unreachable' });
    log.warn({ reqId: 'req-1', upstream: 'llm', kind: 'unreachable', code: 'ECONNREFUSED', target: `http://10.0.0.${i % 4}:8000` }, 'upstream failure');
  }], ['upstream.failed   via the bus (metrics+log+audit)', (i) => {
    const e: TelemetryEvent = { type: 'upstream.failed', reqId: 'req-1', keyId: 'acme', route: '/v1/chat/completions', upstream: 'llm', kind: 'unreachable', detail: { code: 'ECONNREFUSED', target: `http://10.0.0.${i % 4}:8000` } };
    full.emit(e);
  }]]);
  console.log(`  bus overhead: +${(viaAll - direct).toFixed(0)} ns`);
}
process.exit(0);
