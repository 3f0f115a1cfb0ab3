/**
 * Settle: once the pipeline has finished AND the response is over (finished or cut) — see
 * src/server/lifecycle.ts — close the books: release what the request still holds (GPU slot,
 * lease; the reservation corrected to the actual cost, src/limits/charge.ts), count it, write
 * the access log. It runs exactly once on every path: success, refusal, upstream error, client
 * abort at any moment, timeout, shutdown.
 *
 * The access log carries the key id, never the key; never prompt or completion text — only
 * character counts, token counts and flags.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';
import type { Logger } from '../observability/logger.js';
import { outcomeOf, type Metrics } from '../observability/metrics.js';
import type { LimitDeps } from './routes.js';
import type { Abuse } from '../abuse/abuse.js';

interface SettleDeps { logger: Logger; metrics: Metrics; limits: LimitDeps; abuse?: Abuse | undefined; }

/** Output protection's audit: counts by type and leaks, with request and key id — never a value. */
function auditOutput(ctx: RequestContext, label: string, deps: SettleDeps): void {
  const out = ctx.output;
  if (out === null) return;
  const keyId = ctx.identity?.keyId;
  if (out.counts.size > 0) {
    const redacted: Record<string, number> = {};
    for (const [type, n] of out.counts) {
      deps.metrics.outputRedacted.inc({ pii_type: type, route: label }, n);
      redacted[type] = n;
    }
    deps.logger.warn({ reqId: ctx.id, keyId, route: label, redacted, action: ctx.route.output?.action }, 'sensitive output found');
  }
  const action = ctx.route.output?.links?.action ?? 'strip';
  for (const [type, n] of out.links) deps.metrics.outputLinks.inc({ route: label, type, action }, n);
  if (out.leak !== null) {
    deps.metrics.canaryLeaks.inc({ route: label, kind: out.leak });
    deps.logger.warn({ reqId: ctx.id, keyId, route: label, kind: out.leak }, 'system prompt leak blocked');
  }
}

/**
 * Per-key books: cost units charged, and the tokens the model server reported (openai routes;
 * without a usage report, a cut stream or a client that left, none are counted here — its cost
 * is still charged and counted). The key label is capped (metrics.keys).
 */
function countKeyUsage(ctx: RequestContext, label: string, actual: number | undefined, metrics: Metrics): void {
  if (ctx.identity === null) return;
  const key = metrics.keys.label(ctx.identity.keyId);
  if (actual !== undefined) metrics.cost.inc({ key, route: label }, actual);
  const usage = ctx.outcome.usage;
  if (usage === null || !ctx.route.protocol.startsWith('openai-')) return;
  metrics.tokens.inc({ key, route: label, type: 'prompt' }, usage.promptTokens);
  metrics.tokens.inc({ key, route: label, type: 'completion' }, usage.completionTokens);
}

/**
 * Runs once per request, after both the pipeline and the response have finished (see
 * RequestLifecycle): releases everything the request still holds, then counts and logs it.
 */
export async function settle(ctx: RequestContext, res: ServerResponse, label: string, deps: SettleDeps): Promise<void> {
  const seconds = Number(process.hrtime.bigint() - ctx.startedAt) / 1e9;
  const status = res.headersSent ? res.statusCode : 499; // 499: the client left before any answer
  const denial = ctx.denial;
  const { metrics, logger } = deps;
  metrics.requests.inc({ route: label, status: String(status) });
  metrics.duration.observe({ route: label, outcome: outcomeOf(status) }, seconds);
  if (denial !== null) metrics.rejections.inc({ route: label, code: denial.code });
  if (ctx.output !== null) auditOutput(ctx, label, deps);
  // Abuse rules learn from every settled request, off the response path (src/abuse/abuse.ts).
  deps.abuse?.observeRequest(ctx).catch((err: unknown) => logger.error({ reqId: ctx.id, err: (err as Error).message }, 'abuse: observation failed'));
  await ctx.resources.closeAll();
  const adm = ctx.admission;
  const actual = ctx.charged ?? (adm === null ? undefined : 0);
  if (ctx.identity !== null) countKeyUsage(ctx, label, actual, metrics);
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
    cost: adm === null ? undefined : { estimate: adm.estimate.total, actual },
    flags: ctx.flags.length > 0 ? ctx.flags : undefined,
    complete: res.writableFinished,
    ms: Math.round(seconds * 1e5) / 100,
  }, 'request');
}
