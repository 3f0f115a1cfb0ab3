/** The metric names modelgate exports, and the ones a PromQL expression uses. */
import { createMetrics } from '../../src/observability/metrics.js';

/**
 * Metrics other parts of modelgate export once merged (TLS on the public listener); the rules
 * and dashboard may name them. Each entry says where it comes from.
 */
export const PENDING_METRICS: ReadonlyMap<string, string> = new Map([
  ['modelgate_tls_cert_expiry_timestamp_seconds', 'server.tls (TLS and certificate hot-reload)'],
  ['modelgate_tls_reload_failures_total', 'server.tls (TLS and certificate hot-reload)'],
]);

/** Every series name /metrics can show: counters, gauges, histogram _bucket/_sum/_count, default process metrics. */
export async function exportedNames(): Promise<Set<string>> {
  const m = createMetrics({ defaultMetrics: true });
  const out = new Set<string>();
  for (const x of await m.registry.getMetricsAsJSON()) {
    out.add(x.name);
    if (String(x.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(x.name + s);
    if (String(x.type) === 'summary') for (const s of ['_sum', '_count']) out.add(x.name + s);
  }
  return out;
}

/** Metric names in a PromQL expression (identifiers starting modelgate_, not recording-rule names with a colon). */
export function metricsIn(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(modelgate_[a-zA-Z0-9_:]*)/g)].map((m) => m[1] as string).filter((n) => !n.includes(':')))];
}
