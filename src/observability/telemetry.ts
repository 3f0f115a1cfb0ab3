/**
 * Wiring of the one telemetry path: a bus with the metrics, log and audit subscribers. A
 * subscriber that throws is counted in `modelgate_telemetry_errors_total{event}` and logged once
 * per subscriber and event type (a subscriber failing on every request must not flood the log).
 */
import { EVENT_TYPES, EventBus, errorMessage, type EventType } from './events.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { auditSubscriber } from './subscribers/audit.js';
import { logSubscriber } from './subscribers/log.js';
import { metricsSubscriber } from './subscribers/metrics.js';

export function createTelemetry(metrics: Metrics, logger: Logger): EventBus {
  for (const event of EVENT_TYPES) metrics.telemetryErrors.inc({ event }, 0);
  const logged = new Set<string>();
  const bus = new EventBus((e, subscriber, err) => {
    metrics.telemetryErrors.inc({ event: e.type satisfies EventType });
    const once = `${subscriber}\0${e.type}`;
    if (logged.has(once)) return;
    logged.add(once);
    logger.error({ event: e.type, subscriber, err: errorMessage(err) }, 'telemetry subscriber failed (counted in modelgate_telemetry_errors_total; logged once per subscriber and event)');
  });
  bus.subscribe(metricsSubscriber(metrics), 'metrics');
  bus.subscribe(logSubscriber(logger), 'log');
  bus.subscribe(auditSubscriber(logger), 'audit');
  return bus;
}
