/** The scan pool's telemetry in tests: a metrics registry fed by the event bus, and its task counter. */
import { createMetrics } from '../../src/observability/metrics.js';
import { createTelemetry } from '../../src/observability/telemetry.js';
import { createLogger } from '../../src/observability/logger.js';

export type TestMetrics = ReturnType<typeof createMetrics>;

/** A metrics registry and the event bus that feeds it (give `events` to the pool). */
export function telemetry(): { metrics: TestMetrics; events: ReturnType<typeof createTelemetry> } {
  const metrics = createMetrics({ defaultMetrics: false });
  return { metrics, events: createTelemetry(metrics, createLogger('silent')) };
}

/** The exposition lines of the metric `name` (all its series). */
export async function metric(m: TestMetrics, name: string): Promise<string> {
  return (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(name)).join('\n');
}

/** modelgate_scan_pool_tasks_total{outcome,task} of a running gateway, read from its /metrics. */
export async function gatewayPoolTasks(adminUrl: string, task: string, outcome = 'ok'): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`modelgate_scan_pool_tasks_total{outcome="${outcome}",task="${task}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}
