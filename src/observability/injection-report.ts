/**
 * What the external injection detector (src/policies/external-detector.ts) reports: its metrics
 * and log lines. Ids, routes, outcomes, reasons, durations and scores only — never a message,
 * a header value or the service's answer.
 *
 *   modelgate_injection_external_requests_total{outcome}      calls made: flagged | clean | error
 *   modelgate_injection_external_request_seconds               duration of each call (histogram)
 *   modelgate_injection_external_cache_hits_total             verdicts reused (cached, or a call shared while in flight)
 *   modelgate_injection_external_failures_total{reason}       timeout | unreachable | status | bad-response,
 *                                                             each answered by the route's onError
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

export type ExternalOutcome = 'flagged' | 'clean' | 'error';
export type ExternalFailureReason = 'timeout' | 'unreachable' | 'status' | 'bad-response';

export interface ExternalDetectorReport {
  /** One call to the service ended (`seconds` from send to answer or failure). */
  called(outcome: ExternalOutcome, seconds: number): void;
  /** A verdict came from the cache or from a call already in flight. */
  cacheHit(): void;
  /** The service could not give a verdict; `failOpen` tells whether the request went on. */
  failed(reqId: string, route: string, reason: ExternalFailureReason, failOpen: boolean): void;
  /** The score of a request not flagged by the local layers, with the external verdict when asked (debug level; never the text). */
  scored(reqId: string, route: string, score: number, external: { flagged: boolean; cached: boolean } | null): void;
}

export const NO_EXTERNAL_REPORT: ExternalDetectorReport = { called() {}, cacheHit() {}, failed() {}, scored() {} };

interface ExternalMetrics {
  requests: Counter<'outcome'>;
  seconds: Histogram;
  cacheHits: Counter;
  failures: Counter<'reason'>;
}

/** One set of series per registry (a gateway has its own registry; tests run several). */
const byRegistry = new WeakMap<Registry, ExternalMetrics>();

function metricsOf(registry: Registry): ExternalMetrics {
  let m = byRegistry.get(registry);
  if (m !== undefined) return m;
  const registers = [registry];
  m = {
    requests: new Counter({ name: 'modelgate_injection_external_requests_total', help: 'Calls to the external injection detector, by outcome (flagged, clean, error)', labelNames: ['outcome'], registers }),
    seconds: new Histogram({
      name: 'modelgate_injection_external_request_seconds',
      help: 'Duration of calls to the external injection detector',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    cacheHits: new Counter({ name: 'modelgate_injection_external_cache_hits_total', help: 'External-detector verdicts reused from the cache or from a call in flight for the same messages', registers }),
    failures: new Counter({ name: 'modelgate_injection_external_failures_total', help: 'External-detector calls that gave no verdict, by reason (timeout, unreachable, status, bad-response); the route\'s onError decided', labelNames: ['reason'], registers }),
  };
  for (const o of ['flagged', 'clean', 'error']) m.requests.inc({ outcome: o }, 0);
  for (const r of ['timeout', 'unreachable', 'status', 'bad-response']) m.failures.inc({ reason: r }, 0);
  byRegistry.set(registry, m);
  return m;
}

/** The report of one gateway: its series are on /metrics from start-up (at 0). */
export function injectionExternalReport(registry: Registry, logger?: Logger): ExternalDetectorReport {
  const m = metricsOf(registry);
  return {
    called(outcome, seconds) {
      m.requests.inc({ outcome });
      m.seconds.observe(seconds);
    },
    cacheHit() {
      m.cacheHits.inc();
    },
    failed(reqId, route, reason, failOpen) {
      m.failures.inc({ reason });
      const log = { reqId, route, reason };
      if (failOpen) logger?.warn(log, 'external injection detector failed; passing (fail-open)');
      else logger?.error(log, 'external injection detector failed; refusing (fail-closed)');
    },
    scored(reqId, route, score, external) {
      if (logger?.isLevelEnabled('debug') !== true) return;
      logger.debug({ reqId, route, score: Math.round(score * 1000) / 1000, ...(external === null ? {} : { external }) }, 'injection score');
    },
  };
}
