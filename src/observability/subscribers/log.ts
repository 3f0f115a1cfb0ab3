/**
 * The log subscriber: operational events → pino lines (the access log, failures, upstream
 * target transitions). Security events (injections, redactions, leaks) are the audit
 * subscriber's (audit.ts). Lines carry ids, routes, codes and counts: events hold nothing else.
 */
import { infoLine, type Logger } from '../logger.js';
import { unhandled, type EventOf, type TelemetryEvent } from '../events.js';

function targetChanged(logger: Logger, e: EventOf<'target.changed'>): void {
  const at = { upstream: e.upstream, target: e.target, up: e.up };
  const change = e.change;
  if (change.source === 'health') {
    const line = { ...at, health: change.to, was: change.from };
    if (change.to === 'healthy') logger.info(line, 'upstream target passes its health check');
    else logger.warn(line, 'upstream target fails its health check');
    return;
  }
  switch (change.kind) {
    case 'ejected':
      logger.warn({ ...at, reason: change.reason, forMs: change.forMs, ejections: change.ejections, was: change.from }, 'upstream target ejected');
      return;
    case 'half-open':
      logger.info({ ...at, afterMs: change.afterMs }, 'upstream target half-open: one trial request decides');
      return;
    case 'restored':
      logger.info({ ...at, reason: change.reason }, 'upstream target back in rotation');
      return;
    case 'ejection-skipped':
      logger.warn({ ...at, reason: change.reason }, 'upstream target failing but kept in rotation (maxEjectedPercent)');
  }
}

export function logSubscriber(logger: Logger): (e: TelemetryEvent) => void {
  return function logOf(e) {
    switch (e.type) {
      case 'policy.failed': {
        const line = { reqId: e.reqId, policy: e.policy, err: e.error };
        if (e.failOpen) logger.warn(line, 'policy failed; passing (fail-open)');
        else logger.error(line, 'policy failed; denying (fail-closed)');
        return;
      }
      case 'upstream.failed':
        logger.warn({ reqId: e.reqId, upstream: e.upstream, kind: e.kind, ...e.detail }, 'upstream failure');
        return;
      case 'output.failed': {
        const line = { reqId: e.reqId, keyId: e.keyId, route: e.route, err: e.error };
        if (e.failOpen) logger.warn(line, 'output filter failed; response sent unfiltered (fail-open)');
        else logger.error(line, 'output filter failed; response withheld (fail-closed)');
        return;
      }
      case 'client.cut':
        logger.warn({ reqId: e.reqId, keyId: e.keyId, route: e.route, reason: e.reason }, 'client accepted no bytes for the send timeout; disconnected');
        return;
      case 'store.failed':
        logger.warn({ mode: e.mode, err: e.error }, e.mode === 'fail-open' ? 'limit store unavailable; admitting unchecked (fail-open)' : 'limit store unavailable');
        return;
      case 'resource.release-failed':
        logger.warn({ kind: e.kind, err: e.error }, 'resource not released cleanly (store unavailable)');
        return;
      case 'request.settle-failed':
        logger.error({ reqId: e.reqId, err: e.error }, 'settle failed');
        return;
      case 'target.changed':
        targetChanged(logger, e);
        return;
      case 'request.refused':
        if (e.detail !== undefined) logger.info({ reqId: e.reqId, status: e.status, code: e.code, ...e.detail }, 'refused before routing');
        return;
      case 'request.settled':
        // Plain fields only, none a redact path names: written without pino's serialiser (logger.ts).
        infoLine(logger, { reqId: e.reqId, route: e.route, keyId: e.keyId, ...e.access }, 'request');
        return;
      case 'injection.external-failed': {
        const line = { reqId: e.reqId, keyId: e.keyId, route: e.route, reason: e.reason };
        if (e.failOpen) logger.warn(line, 'external injection detector failed; passing (fail-open)');
        else logger.error(line, 'external injection detector failed; refusing (fail-closed)');
        return;
      }
      case 'injection.scored':
        if (!logger.isLevelEnabled('debug')) return;
        logger.debug({ reqId: e.reqId, route: e.route, ...(e.score === undefined ? {} : { score: Math.round(e.score * 1000) / 1000 }), ...(e.external === null ? {} : { external: e.external }) }, 'injection score');
        return;
      case 'injection.external-called':
      case 'injection.external-cached':
      case 'scan-pool.task':
        return; // metrics only
      case 'injection.detected':
      case 'output.redacted':
      case 'output.links':
      case 'output.leak':
        return; // audit.ts
      case 'request.answered':
        return; // metrics only: the access-log line comes with request.settled
      default:
        unhandled(e);
    }
  };
}
