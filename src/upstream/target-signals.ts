/**
 * What the targets' breakers and health checks report, turned into metrics and log lines: every
 * transition once, with the upstream, the target's origin (from the configuration), the reason
 * and the duration. `modelgate_upstream_target_up` follows whether the target is in rotation;
 * `modelgate_upstream_ejections_total` counts ejections by reason.
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { TargetSignals } from './targets.js';

export function targetSignals(metrics: Metrics, logger: Logger): TargetSignals {
  return {
    changed(upstream, target, change, up) {
      metrics.targetUp.set({ upstream, target }, up ? 1 : 0);
      const at = { upstream, target, up };
      if (change.source === 'health') {
        const log = { ...at, health: change.to, was: change.from };
        if (change.to === 'healthy') logger.info(log, 'upstream target passes its health check');
        else logger.warn(log, 'upstream target fails its health check');
        return;
      }
      switch (change.kind) {
        case 'ejected':
          metrics.ejections.inc({ upstream, target, reason: change.reason });
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
    },
  };
}
