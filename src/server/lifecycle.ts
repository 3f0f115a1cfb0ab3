/**
 * One request, one owner: the lifecycle of a request from its first handler call to its settle.
 *
 *   accept → request → body → inspect → admit → forward → respond → settle
 *
 * `own()` creates the request context, runs the pipeline (request … respond) and settles exactly
 * once, after BOTH the pipeline has finished and the response is closed (finished or cut).
 * Settling on the response's 'close' alone is wrong: a client that leaves while the store
 * answers would be settled before admission takes its lease and GPU slot, which then leak.
 * Waiting for the pipeline too closes that gap; the pipeline itself stops at the next phase once
 * the client has gone (CLIENT_GONE), and anything it takes is registered in `ctx.resources`,
 * which settle releases, each resource exactly once.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../pipeline/context.js';
import { Resources, type ResourceStats } from '../pipeline/resources.js';
import { errorMessage, type Emitter } from '../observability/events.js';
import type { CompiledRoute } from './routes.js';

export interface LifecycleDeps {
  stats: ResourceStats;
  /** Aborts at the shutdown deadline (RequestContext.stop). */
  stop: AbortSignal;
  /** resource.release-failed; request.settle-failed (settle threw, a bug: logged, never rethrown). */
  events: Emitter;
}

function newContext(route: CompiledRoute, request: FastifyRequest, clientGone: AbortSignal, deps: LifecycleDeps): RequestContext {
  return {
    clientGone,
    stop: deps.stop,
    id: request.id,
    startedAt: process.hrtime.bigint(),
    route: route.config,
    method: request.method,
    url: request.url,
    headers: request.headers,
    ip: request.ip,
    raw: request.raw,
    identity: null,
    rawBody: null,
    body: undefined,
    inspection: null,
    responseHeaders: {},
    denial: null,
    admission: null,
    outcome: { reached: false, status: 0, usage: null, streamedText: '', stripUsageChunk: false },
    flags: [],
    output: null,
    params: (request.params ?? {}) as Record<string, string>,
    forward: null,
    resources: new Resources(deps.stats, deps.events),
    charged: null,
  };
}

/**
 * Own one request: run `pipeline` (which answers on `res`, or not at all when the client left),
 * then `settle` once both it and the response are over. Resolves when settled.
 */
export function own(
  route: CompiledRoute,
  request: FastifyRequest,
  res: ServerResponse,
  deps: LifecycleDeps,
  pipeline: (ctx: RequestContext) => Promise<void>,
  settle: (ctx: RequestContext) => Promise<void>,
): Promise<void> {
  const gone = new AbortController();
  const ctx = newContext(route, request, gone.signal, deps);
  deps.stats.begin();
  const closed = new Promise<void>((resolve) => {
    res.once('close', () => {
      // Only a response that did not finish means the client left; a finished one has nothing
      // left upstream or in the queue to stop (and abort() costs a DOMException with a stack).
      if (!res.writableFinished) gone.abort();
      resolve();
    });
  });
  const ran = pipeline(ctx);
  return Promise.all([ran, closed])
    .then(() => settle(ctx))
    .catch((err: unknown) => deps.events.emit({ type: 'request.settle-failed', reqId: ctx.id, error: errorMessage(err) }))
    .finally(() => { deps.stats.end(); });
}
