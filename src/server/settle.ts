/**
 * Settle: when the response is over (finished or cut), count it, write the access log, and close
 * the books of admission: release the GPU slot at once, correct the reservation to the actual
 * cost, release the concurrency lease. This runs on every path — success, refusal, upstream
 * error, client abort, timeout — because it hangs off the response's 'close' event.
 *
 * The access log carries the key id, never the key; never prompt or completion text — only
 * character counts, token counts and flags.
 */
import type { ServerResponse } from 'node:http';
import type { Admission, RequestContext } from '../pipeline/context.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { tokenCounter } from '../limits/cost.js';
import type { LimitDeps } from './routes.js';

interface SettleDeps { logger: Logger; metrics: Metrics; limits: LimitDeps; }

/**
 * The cost to charge: the usage the model server reported; else, for a stream that broke or a
 * client that left, the prompt plus the text generated so far; nothing when the model server was
 * never reached or refused the request (4xx); the prompt alone for a 5xx (prefill may have run).
 */
export function actualCost(ctx: RequestContext, adm: Admission): number {
  const o = ctx.outcome;
  if (o.usage !== null) return o.usage.promptTokens + o.usage.completionTokens;
  if (!o.reached || (o.status >= 400 && o.status < 500)) return 0;
  if (o.status >= 500) return adm.estimate.promptTokens;
  if (o.streamedText.length > 0 || ctx.inspection?.stream === true) {
    return adm.estimate.promptTokens + tokenCounter(ctx.route.cost.tokenizer).count(o.streamedText);
  }
  return adm.estimate.total;
}

async function closeAdmission(ctx: RequestContext, adm: Admission, label: string, deps: SettleDeps): Promise<number> {
  const actual = actualCost(ctx, adm);
  if (adm.reservation !== null) {
    try {
      await deps.limits.limiter.reconcile(adm.reservation, actual);
    } catch (err) {
      deps.logger.warn({ reqId: ctx.id, err: (err as Error).message }, 'reservation not reconciled (store unavailable)');
    }
  }
  if (adm.releaseLease !== null) await adm.releaseLease();
  if (ctx.identity !== null) deps.metrics.cost.inc({ key: ctx.identity.keyId, route: label }, actual);
  return actual;
}

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
  if (out.leak !== null) {
    deps.metrics.canaryLeaks.inc({ route: label, kind: out.leak });
    deps.logger.warn({ reqId: ctx.id, keyId, route: label, kind: out.leak }, 'system prompt leak blocked');
  }
}

/** Resolves once the books are closed and the access log line is written (shutdown waits for it). */
export function settle(ctx: RequestContext, res: ServerResponse, label: string, deps: SettleDeps): Promise<void> {
  const seconds = Number(process.hrtime.bigint() - ctx.startedAt) / 1e9;
  const status = res.headersSent ? res.statusCode : 499; // 499: the client left before any answer
  const denial = ctx.denial;
  const { metrics, logger } = deps;
  metrics.requests.inc({ route: label, status: String(status) });
  metrics.duration.observe({ route: label }, seconds);
  if (denial !== null) metrics.rejections.inc({ route: label, code: denial.code });
  if (ctx.output !== null) auditOutput(ctx, label, deps);
  const adm = ctx.admission;
  if (adm !== null && adm.releaseSlot !== null) adm.releaseSlot();
  const closing = adm === null ? Promise.resolve(null) : closeAdmission(ctx, adm, label, deps);
  if (!logger.isLevelEnabled('info')) return closing.then(() => undefined);
  return closing.then((actual) => {
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
  });
}
