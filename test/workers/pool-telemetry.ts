/** The scan pool in tests: a metrics registry fed by the event bus, its task counter, and the busy refusal. */
import assert from 'node:assert/strict';
import { DenialError } from '../../src/errors.js';
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

/** `task` refused at once because the pool is full: MG_GATEWAY_BUSY with Retry-After: 1. */
export async function assertBusy(task: Promise<unknown>): Promise<void> {
  await assert.rejects(task, (err: unknown) => {
    assert.ok(err instanceof DenialError);
    assert.equal(err.denial.code, 'MG_GATEWAY_BUSY');
    assert.deepEqual(err.denial.headers, { 'retry-after': '1' });
    return true;
  });
}

/** modelgate_scan_pool_tasks_total{task} has these counts for the outcomes ok and busy. */
export async function assertTasks(m: TestMetrics, task: string, ok: number, busy: number): Promise<void> {
  const tasks = await metric(m, 'modelgate_scan_pool_tasks_total');
  assert.match(tasks, new RegExp(`outcome="ok",task="${task}"} ${ok}\\b`));
  assert.match(tasks, new RegExp(`outcome="busy",task="${task}"} ${busy}\\b`));
}
