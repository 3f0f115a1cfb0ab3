/**
 * Settle: once the pipeline has finished AND the response is over (finished or cut) — see
 * src/server/lifecycle.ts — close the books: release what the request still holds (GPU slot,
 * lease; the reservation corrected to the actual cost, src/limits/charge.ts), count it, write
 * the access log. It runs exactly once on every path: success, refusal, upstream error, client
 * abort at any moment, timeout, shutdown.
 *
 * Counting and logging are telemetry events (src/observability/events.ts): request.answered as
 * soon as the response is over, output.redacted / output.leak for output protection's audit,
 * request.settled (the access-log line, per-key cost and tokens) once resources are released.
 * They carry the key id, never the key; never prompt or completion text — only character
 * counts, token counts and flags.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';
import type { Logger } from '../observability/logger.js';
import { requestRef, type Emitter, type UsageRecord } from '../observability/events.js';
import type { LimitDeps } from './routes.js';
import type { Abuse } from '../abuse/abuse.js';

interface SettleDeps { logger: Logger; events: Emitter; limits: LimitDeps; abuse?: Abuse | undefined; }

/** Output protection's audit: counts by type and leaks, with request and key id — never a value. */
function auditOutput(ctx: RequestContext, events: Emitter): void {
  const out = ctx.output;
  if (out === null) return;
  if (out.counts.size > 0) {
    events.emit({ type: 'output.redacted', ...requestRef(ctx), counts: Object.fromEntries(out.counts), action: ctx.route.output?.action });
  }
  if (out.leak !== null) events.emit({ type: 'output.leak', ...requestRef(ctx), kind: out.leak });
}

/**
 * Per-key books: cost units charged, and the tokens the model server reported (openai routes;
 * without a usage report, a cut stream or a client that left, none are counted — its cost is
 * still charged and counted).
 */
function usageOf(ctx: RequestContext, actual: number | undefined): UsageRecord | undefined {
  if (ctx.identity === null) return undefined;
  const usage = ctx.outcome.usage;
  const tokens = usage === null || !ctx.route.protocol.startsWith('openai-') ? undefined : { prompt: usage.promptTokens, completion: usage.completionTokens };
  return { keyId: ctx.identity.keyId, cost: actual, tokens };
}

/**
 * Runs once per request, after both the pipeline and the response have finished (see
 * RequestLifecycle): releases everything the request still holds, then counts and logs it.
 */
export async function settle(ctx: RequestContext, res: ServerResponse, label: string, deps: SettleDeps): Promise<void> {
  const seconds = Number(process.hrtime.bigint() - ctx.startedAt) / 1e9;
  const status = res.headersSent ? res.statusCode : 499; // 499: the client left before any answer
  const denial = ctx.denial;
  const { events, logger } = deps;
  events.emit({ type: 'request.answered', route: label, status, seconds, code: denial?.code });
  if (ctx.output !== null) auditOutput(ctx, events);
  // Abuse rules learn from every settled request, off the response path (src/abuse/abuse.ts).
  deps.abuse?.observeRequest(ctx).catch((err: unknown) => logger.error({ reqId: ctx.id, err: (err as Error).message }, 'abuse: observation failed'));
  await ctx.resources.closeAll();
  const adm = ctx.admission;
  const actual = ctx.charged ?? (adm === null ? undefined : 0);
  events.emit({
    type: 'request.settled',
    ...requestRef(ctx),
    route: label,
    usage: usageOf(ctx, actual),
    access: {
      method: ctx.method,
      status,
      code: denial?.code,
      why: denial?.detail,
      ip: ctx.ip,
      bodyBytes: ctx.rawBody?.length,
      promptChars: ctx.inspection?.totalChars,
      cost: adm === null ? undefined : { estimate: adm.estimate.total, actual },
      flags: ctx.flags.length > 0 ? ctx.flags : undefined,
      complete: res.writableFinished,
      ms: Math.round(seconds * 1e5) / 100,
    },
  });
}
