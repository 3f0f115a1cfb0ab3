/**
 * The audit subscriber: security events → audit lines (`"audit":"<event type>"`, at warn), the
 * trail an operator follows after an incident: prompt injections found, PII and secrets found in
 * responses, system-prompt leaks withheld, requests the external injection detector
 * could not check that went on (fail-open). Request id, key id, route, what was found (families,
 * types and counts, kinds) — never the text it was found in.
 */
import type { Logger } from '../logger.js';
import { unhandled, type TelemetryEvent } from '../events.js';

export function auditSubscriber(logger: Logger): (e: TelemetryEvent) => void {
  return function auditOf(e) {
    switch (e.type) {
      case 'injection.detected':
        logger.warn({ audit: e.type, reqId: e.reqId, keyId: e.keyId, route: e.route, families: e.families, action: e.action }, 'prompt injection detected');
        if (e.score !== undefined) logger.debug({ reqId: e.reqId, route: e.route, score: Math.round(e.score * 1000) / 1000 }, 'injection score');
        return;
      case 'output.redacted':
        logger.warn({ audit: e.type, reqId: e.reqId, keyId: e.keyId, route: e.route, redacted: e.counts, action: e.action }, 'sensitive output found');
        return;
      case 'output.links':
        logger.warn({ audit: e.type, reqId: e.reqId, keyId: e.keyId, route: e.route, links: e.counts, action: e.action }, 'exfiltration links found');
        return;
      case 'output.leak':
        logger.warn({ audit: e.type, reqId: e.reqId, keyId: e.keyId, route: e.route, kind: e.kind }, 'system prompt leak blocked');
        return;
      case 'injection.external-failed':
        // Fail-open: the request went on without the external detector's verdict.
        if (e.failOpen) logger.warn({ audit: e.type, reqId: e.reqId, keyId: e.keyId, route: e.route, reason: e.reason }, 'request passed unchecked by the external injection detector (fail-open)');
        return;
      case 'policy.failed':
      case 'upstream.failed':
      case 'output.failed':
      case 'client.cut':
      case 'store.failed':
      case 'resource.release-failed':
      case 'request.settle-failed':
      case 'target.changed':
      case 'request.refused':
      case 'request.answered':
      case 'request.settled':
      case 'injection.external-called':
      case 'injection.external-cached':
      case 'injection.scored':
      case 'scan-pool.task':
        return; // operational: log.ts and metrics.ts
      default:
        unhandled(e);
    }
  };
}
