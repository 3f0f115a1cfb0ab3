/**
 * The metrics subscriber: each event → the Prometheus series it moves. Labels come from the
 * event's ids and routes (bounded: configured paths, error codes, capped key ids), never from
 * what a client sent.
 */
import { unhandled, type TelemetryEvent } from '../events.js';
import { outcomeOf, type Metrics } from '../metrics.js';

export function metricsSubscriber(metrics: Metrics): (e: TelemetryEvent) => void {
  return function metricsOf(e) {
    switch (e.type) {
      case 'policy.failed':
        metrics.policyFailures.inc({ policy: e.policy, outcome: e.failOpen ? 'fail-open' : 'fail-closed' });
        return;
      case 'injection.detected': {
        metrics.injections.inc({ route: e.route, action: e.action });
        // The families say which layer fired: 'learned', 'external', or a pattern family.
        let patterns = false;
        for (const f of e.families) {
          if (f === 'learned' || f === 'external') metrics.injectionLayers.inc({ route: e.route, layer: f });
          else patterns = true;
        }
        if (patterns) metrics.injectionLayers.inc({ route: e.route, layer: 'patterns' });
        if (e.score !== undefined) metrics.injectionScore.observe({ route: e.route }, e.score);
        return;
      }
      case 'upstream.failed':
        metrics.upstreamErrors.inc({ upstream: e.upstream, kind: e.kind });
        return;
      case 'output.failed':
        metrics.outputFailures.inc({ route: e.route, outcome: e.failOpen ? 'fail-open' : 'fail-closed' });
        return;
      case 'output.redacted':
        for (const [type, n] of Object.entries(e.counts)) metrics.outputRedacted.inc({ pii_type: type, route: e.route }, n);
        return;
      case 'output.links':
        for (const [type, n] of Object.entries(e.counts)) metrics.outputLinks.inc({ route: e.route, type, action: e.action }, n);
        return;
      case 'output.leak':
        metrics.canaryLeaks.inc({ route: e.route, kind: e.kind });
        return;
      case 'client.cut':
        metrics.clientsCut.inc({ route: e.route, reason: e.reason });
        return;
      case 'store.failed':
        metrics.storeFailures.inc({ mode: e.mode });
        return;
      case 'resource.release-failed':
        metrics.storeFailures.inc({ mode: `release-${e.kind}` });
        return;
      case 'request.settle-failed':
        return; // a bug, logged; the request itself was counted when answered
      case 'target.changed':
        metrics.targetUp.set({ upstream: e.upstream, target: e.target }, e.up ? 1 : 0);
        if (e.change.source === 'breaker' && e.change.kind === 'ejected') {
          metrics.ejections.inc({ upstream: e.upstream, target: e.target, reason: e.change.reason });
        }
        return;
      case 'request.refused':
        metrics.rejections.inc({ route: e.route, code: e.code });
        metrics.requests.inc({ route: e.route, status: String(e.status) });
        return;
      case 'request.answered':
        metrics.requests.inc({ route: e.route, status: String(e.status) });
        metrics.duration.observe({ route: e.route, outcome: outcomeOf(e.status) }, e.seconds);
        if (e.code !== undefined) metrics.rejections.inc({ route: e.route, code: e.code });
        return;
      case 'request.settled': {
        const u = e.usage;
        if (u === undefined) return;
        const key = metrics.keys.label(u.keyId);
        if (u.cost !== undefined) metrics.cost.inc({ key, route: e.route }, u.cost);
        if (u.tokens === undefined) return;
        metrics.tokens.inc({ key, route: e.route, type: 'prompt' }, u.tokens.prompt);
        metrics.tokens.inc({ key, route: e.route, type: 'completion' }, u.tokens.completion);
        return;
      }
      case 'injection.external-called':
        metrics.externalRequests.inc({ outcome: e.outcome });
        metrics.externalSeconds.observe(e.seconds);
        return;
      case 'injection.external-cached':
        metrics.externalCacheHits.inc();
        return;
      case 'injection.external-failed':
        metrics.externalFailures.inc({ reason: e.reason });
        return;
      case 'injection.scored':
        if (e.score !== undefined) metrics.injectionScore.observe({ route: e.route }, e.score);
        return;
      case 'scan-pool.task':
        metrics.scanPoolTasks.inc({ outcome: e.outcome, task: e.task });
        return;
      default:
        unhandled(e);
    }
  };
}
