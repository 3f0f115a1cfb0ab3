/**
 * Settle: when the response is over (finished or cut), count it and write the access log.
 * The log line carries the key id, never the key; never prompt or completion text — only the
 * number of characters and flags.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export function settle(ctx: RequestContext, res: ServerResponse, label: string, deps: { logger: Logger; metrics: Metrics }): void {
  const seconds = Number(process.hrtime.bigint() - ctx.startedAt) / 1e9;
  const status = res.headersSent ? res.statusCode : 499; // 499: the client left before any answer
  const denial = ctx.denial;
  const { metrics, logger } = deps;
  metrics.requests.inc({ route: label, status: String(status) });
  metrics.duration.observe({ route: label }, seconds);
  if (denial !== null) metrics.rejections.inc({ route: label, code: denial.code });
  if (!logger.isLevelEnabled('info')) return;
  logger.info({
    reqId: ctx.id,
    route: label,
    method: ctx.method,
    status,
    code: denial?.code,
    why: denial?.detail,
    keyId: ctx.identity?.keyId,
    ip: ctx.ip,
    bodyBytes: ctx.rawBody?.length,
    promptChars: ctx.inspection?.totalChars,
    flags: ctx.flags.length > 0 ? ctx.flags : undefined,
    complete: res.writableFinished,
    ms: Math.round(seconds * 1e5) / 100,
  }, 'request');
}
