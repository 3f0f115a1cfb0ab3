/**
 * What the request path reports, turned into metrics and log lines: policy failures, prompt
 * injections, upstream failures, output-filter failures, clients cut for not reading, resources
 * that could not be released, and settle failures. Never a key, a prompt or a completion: ids,
 * routes, codes and counts only.
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RequestContext } from '../pipeline/context.js';
import type { PolicyFailureSink } from '../pipeline/policy.js';
import type { ReleaseFailureSink } from '../pipeline/resources.js';
import type { InjectionSink } from '../policies/injection.js';
import type { ForwardHooks } from '../upstream/proxy.js';

export interface Signals {
  policy: PolicyFailureSink;
  injection: InjectionSink;
  /** The reporting half of ForwardHooks (the answering half is in replies.ts). */
  forward: Pick<ForwardHooks, 'upstreamFailed' | 'outputFailed' | 'clientCut'>;
  releaseFailed: ReleaseFailureSink['releaseFailed'];
  settleFailed(ctx: RequestContext, err: unknown): void;
}

const message = (err: unknown): string | undefined => (err as Error | undefined)?.message;

export function signals(metrics: Metrics, logger: Logger): Signals {
  return {
    policy: {
      policyFailed(policy, ctx, err, failOpen) {
        metrics.policyFailures.inc({ policy: policy.name, outcome: failOpen ? 'fail-open' : 'fail-closed' });
        const log = { reqId: ctx.id, policy: policy.name, err: message(err) };
        if (failOpen) logger.warn(log, 'policy failed; passing (fail-open)');
        else logger.error(log, 'policy failed; denying (fail-closed)');
      },
    },
    injection(ctx, families, action, score) {
      metrics.injections.inc({ route: ctx.route.path, action });
      logger.warn({ reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path, families, action }, 'prompt injection detected');
      if (score !== undefined) logger.debug({ reqId: ctx.id, route: ctx.route.path, score: Math.round(score * 1000) / 1000 }, 'injection score');
    },
    forward: {
      upstreamFailed(ctx, kind, detail) {
        metrics.upstreamErrors.inc({ upstream: ctx.route.upstream, kind });
        logger.warn({ reqId: ctx.id, upstream: ctx.route.upstream, kind, ...detail }, 'upstream failure');
      },
      outputFailed(ctx, err, failOpen) {
        metrics.outputFailures.inc({ route: ctx.route.path, outcome: failOpen ? 'fail-open' : 'fail-closed' });
        const log = { reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path, err: message(err) };
        if (failOpen) logger.warn(log, 'output filter failed; response sent unfiltered (fail-open)');
        else logger.error(log, 'output filter failed; response withheld (fail-closed)');
      },
      clientCut(ctx, reason) {
        logger.warn({ reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path, reason }, 'client accepted no bytes for the send timeout; disconnected');
      },
    },
    releaseFailed(kind, err) {
      metrics.storeFailures.inc({ mode: `release-${kind}` });
      logger.warn({ kind, err: message(err) }, 'resource not released cleanly (store unavailable)');
    },
    settleFailed(ctx, err) {
      logger.error({ reqId: ctx.id, err: message(err) }, 'settle failed');
    },
  };
}
