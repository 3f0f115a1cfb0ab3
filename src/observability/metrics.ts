/**
 * Prometheus metrics, in a registry of their own per gateway (tests run several in a process).
 * Labels are bounded: route labels are the configured paths (or "(none)"), codes come from the
 * error table, key ids from authenticated identities and capped (src/observability/key-series.ts:
 * beyond `metrics.maxKeySeries` ids, key="(other)"). No label ever holds a key, a prompt or a
 * path the client chose. Every name carries the modelgate_ prefix.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { KeySeries } from './key-series.js';
import { monitorEventLoop, type EventLoopMonitor } from './event-loop.js';
import type { ExternalFailureReason, ExternalOutcome } from './events.js';

/** modelgate_request_duration_seconds{outcome}: ok (< 400), rejected (4xx), aborted (499: the client left), error (5xx). */
export type Outcome = 'ok' | 'rejected' | 'aborted' | 'error';

export function outcomeOf(status: number): Outcome {
  if (status === 499) return 'aborted';
  if (status >= 500) return 'error';
  return status >= 400 ? 'rejected' : 'ok';
}

export interface Metrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  duration: Histogram<'route' | 'outcome'>;
  rejections: Counter<'route' | 'code'>;
  injections: Counter<'route' | 'action'>;
  /** Detections by the layer that fired (a request two layers caught counts under both). */
  injectionLayers: Counter<'route' | 'layer'>;
  /** The injection score of every scanned request of a route whose learned layer is on. */
  injectionScore: Histogram<'route'>;
  policyFailures: Counter<'policy' | 'outcome'>;
  upstreamErrors: Counter<'upstream' | 'kind'>;
  /** Label with `keys.label(keyId)`, never a raw id. */
  cost: Counter<'key' | 'route'>;
  /** Tokens the model server reported (prompt | completion), by capped key id and route. */
  tokens: Counter<'key' | 'route' | 'type'>;
  /** The bounded key-id label values of `cost` and `tokens`. */
  keys: KeySeries;
  storeFailures: Counter<'mode'>;
  slotsInUse: Gauge<'upstream'>;
  queueLength: Gauge<'upstream'>;
  resourcesHeld: Gauge<'kind'>;
  inFlight: Gauge;
  outputRedacted: Counter<'pii_type' | 'route'>;
  canaryLeaks: Counter<'route' | 'kind'>;
  outputLinks: Counter<'route' | 'type' | 'action'>;
  outputFailures: Counter<'route' | 'outcome'>;
  /** 1 while a target is in rotation (healthy, not ejected), else 0 (the target.changed event). */
  targetUp: Gauge<'upstream' | 'target'>;
  ejections: Counter<'upstream' | 'target' | 'reason'>;
  /** Injection scans run in the worker pool (src/workers/scan-pool.ts), by outcome: ok, busy (queue full), aborted (client left), error. */
  scanPoolTasks: Counter<'outcome' | 'task'>;
  /** Calls to the external injection detector, by outcome (flagged, clean, error). */
  externalRequests: Counter<'outcome'>;
  /** Duration of each call to the external injection detector. */
  externalSeconds: Histogram;
  /** External-detector verdicts reused (cached, or a call shared while in flight). */
  externalCacheHits: Counter;
  /** External-detector calls that gave no verdict, by reason (timeout, unreachable, status, bad-response). */
  externalFailures: Counter<'reason'>;
  /** Scans queued or running in the worker pool (set at scrape time from the pool). */
  scanPoolPending: Gauge;
  inspectionWaiting: Gauge;
  inspectionDeferred: Counter;
  /** Event-loop delay and utilisation (src/observability/event-loop.ts); with the default metrics only. */
  eventLoop: EventLoopMonitor | null;
  /** Clients disconnected for accepting no bytes for the send timeout. */
  clientsCut: Counter<'route' | 'reason'>;
  /** Telemetry subscribers that threw, by event type (src/observability/telemetry.ts). */
  telemetryErrors: Counter<'event'>;
}

/** A counter with these label values on /metrics from start-up (at 0). */
function zeroed<L extends string>(c: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const v of values) c.inc({ [label]: v } as Partial<Record<L, string>>, 0);
  return c;
}

export function createMetrics(opts: { defaultMetrics?: boolean; maxKeySeries?: number } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'modelgate_' });
    // Gauges named *_total break Prometheus' naming rules (promtool check metrics); the same
    // numbers are in modelgate_nodejs_active_{handles,requests,resources} by type.
    for (const n of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`modelgate_nodejs_active_${n}_total`);
  }
  const registers = [registry];
  const eventLoop = opts.defaultMetrics !== false ? monitorEventLoop(registry) : null;
  return {
    registry,
    requests: new Counter({ name: 'modelgate_requests_total', help: 'Requests answered, by route and status', labelNames: ['route', 'status'], registers }),
    duration: new Histogram({
      name: 'modelgate_request_duration_seconds',
      help: 'Time from arrival to the end of the response, by route and outcome (ok, rejected, aborted, error)',
      labelNames: ['route', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    rejections: new Counter({ name: 'modelgate_rejections_total', help: 'Requests refused by modelgate, by route and error code', labelNames: ['route', 'code'], registers }),
    injections: new Counter({ name: 'modelgate_injection_detected_total', help: 'Prompt-injection detections, by route and configured action', labelNames: ['route', 'action'], registers }),
    injectionLayers: new Counter({ name: 'modelgate_injection_layer_detections_total', help: 'Prompt-injection detections by the layer that fired (patterns, learned, external); a request caught by two layers counts under both', labelNames: ['route', 'layer'], registers }),
    injectionScore: new Histogram({
      name: 'modelgate_injection_score',
      help: 'The injection score of each scanned request (the learned layer\'s highest, or the external detector\'s when higher), on routes whose learned layer is on: where injection.threshold cuts',
      labelNames: ['route'],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
      registers,
    }),
    policyFailures: new Counter({ name: 'modelgate_policy_failures_total', help: 'Policies that threw or timed out; outcome=fail-open means the request went on', labelNames: ['policy', 'outcome'], registers }),
    upstreamErrors: new Counter({ name: 'modelgate_upstream_errors_total', help: 'Upstream failures, by upstream and kind', labelNames: ['upstream', 'kind'], registers }),
    cost: new Counter({ name: 'modelgate_cost_units_total', help: 'Cost units charged after reconciliation (tokens, pixels/1000, tensor elements/1000), by key id (capped, beyond the cap "(other)") and route', labelNames: ['key', 'route'], registers }),
    tokens: new Counter({ name: 'modelgate_tokens_total', help: 'Tokens the model server reported, by key id (capped, beyond the cap "(other)"), route and type (prompt, completion)', labelNames: ['key', 'route', 'type'], registers }),
    keys: new KeySeries(opts.maxKeySeries),
    storeFailures: new Counter({ name: 'modelgate_store_failures_total', help: 'Limit-store calls that failed, by the onError mode applied (fail-open = admitted unchecked)', labelNames: ['mode'], registers }),
    slotsInUse: new Gauge({ name: 'modelgate_gpu_slots_in_use', help: 'Requests holding a GPU slot, by upstream', labelNames: ['upstream'], registers }),
    queueLength: new Gauge({ name: 'modelgate_admission_queue_length', help: 'Requests waiting for a GPU slot, by upstream', labelNames: ['upstream'], registers }),
    resourcesHeld: new Gauge({ name: 'modelgate_request_resources_held', help: 'Resources held by in-flight requests (reservation, lease, gpu-slot); zero when idle', labelNames: ['kind'], registers }),
    inFlight: new Gauge({ name: 'modelgate_requests_in_flight', help: 'Requests accepted and not yet settled', registers }),
    outputRedacted: new Counter({ name: 'modelgate_output_redacted_total', help: 'PII and secrets found in responses (redacted or blocked), by type and route', labelNames: ['pii_type', 'route'], registers }),
    canaryLeaks: new Counter({ name: 'modelgate_canary_leak_total', help: 'Responses withheld because they repeated the canary marker or a system-prompt fragment, by route and kind', labelNames: ['route', 'kind'], registers }),
    outputLinks: new Counter({ name: 'modelgate_output_links_total', help: 'Images and links to hosts not on the allow-list found in responses (stripped or blocked), by route, type and action', labelNames: ['route', 'type', 'action'], registers }),
    outputFailures: new Counter({ name: 'modelgate_output_filter_failures_total', help: 'Output filter failures; outcome=fail-open means the response went on unfiltered', labelNames: ['route', 'outcome'], registers }),
    targetUp: new Gauge({ name: 'modelgate_upstream_target_up', help: 'Upstream target in rotation (1) or not (0: ejected, half-open, or failing its health check), per replica', labelNames: ['upstream', 'target'], registers }),
    ejections: new Counter({ name: 'modelgate_upstream_ejections_total', help: 'Upstream targets ejected by passive outlier detection, by reason', labelNames: ['upstream', 'target', 'reason'], registers }),
    scanPoolTasks: new Counter({ name: 'modelgate_scan_pool_tasks_total', help: 'Tasks sent to the worker pool, by task (scan: injection scan, count: token count for cost admission, kserve: a large KServe JSON body guarded, parsed and validated) and outcome (ok, busy: refused because the queue was full, aborted: the client left while it waited, error)', labelNames: ['outcome', 'task'], registers }),
    externalRequests: zeroed(new Counter({ name: 'modelgate_injection_external_requests_total', help: 'Calls to the external injection detector, by outcome (flagged, clean, error)', labelNames: ['outcome'], registers }), 'outcome', ['flagged', 'clean', 'error'] satisfies ExternalOutcome[]),
    externalSeconds: new Histogram({
      name: 'modelgate_injection_external_request_seconds',
      help: 'Duration of calls to the external injection detector',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    externalCacheHits: new Counter({ name: 'modelgate_injection_external_cache_hits_total', help: 'External-detector verdicts reused from the cache or from a call in flight for the same messages', registers }),
    externalFailures: zeroed(new Counter({ name: 'modelgate_injection_external_failures_total', help: 'External-detector calls that gave no verdict, by reason (timeout, unreachable, status, bad-response); the route\'s onError decided', labelNames: ['reason'], registers }), 'reason', ['timeout', 'unreachable', 'status', 'bad-response'] satisfies ExternalFailureReason[]),
    scanPoolPending: new Gauge({ name: 'modelgate_scan_pool_pending', help: 'Tasks (injection scans, token counts) queued or running in the worker pool', registers }),
    inspectionWaiting: new Gauge({ name: 'modelgate_inspection_waiting', help: 'Requests whose inspection (parse, validation, token count, injection scan, forwarding) waits for a later turn of the event loop (workers.loopSlice)', registers }),
    inspectionDeferred: new Counter({ name: 'modelgate_inspection_deferred_total', help: 'Requests whose inspection waited for a later turn of the event loop because the turn had used its workers.loopSlice slice', registers }),
    eventLoop,
    clientsCut: new Counter({ name: 'modelgate_clients_cut_total', help: 'Clients disconnected for accepting no bytes for the send timeout, by route and reason', labelNames: ['route', 'reason'], registers }),
    telemetryErrors: new Counter({ name: 'modelgate_telemetry_errors_total', help: 'Telemetry subscribers (metrics, log, audit, embedders) that threw on an event, by event type; the request went on', labelNames: ['event'], registers }),
  };
}
