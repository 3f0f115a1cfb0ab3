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
import type { AbortLike, RequestContext } from '../pipeline/context.js';
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

/**
 * The request's client-gone signal: the part of AbortSignal the pipeline uses (AbortLike), as a
 * plain object — Node builds an EventTarget for every AbortController, ~1% of a request's CPU.
 * As an AbortSignal: listeners run once, in the order added, on the first abort() only; one
 * added twice runs once; one added after the abort never runs; one that throws does not stop the
 * others (its error is rethrown on the next tick, as EventTarget reports it).
 */
export class ClientGone implements AbortLike {
  aborted = false;
  private listeners: (() => void)[] = [];

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (!this.aborted && !this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const ls = this.listeners;
    this.listeners = [];
    for (const fn of ls) {
      try {
        fn();
      } catch (err) {
        process.nextTick(() => { throw err; });
      }
    }
  }
}

function newContext(route: CompiledRoute, request: FastifyRequest, clientGone: AbortLike, deps: LifecycleDeps): RequestContext {
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
  const gone = new ClientGone();
  const ctx = newContext(route, request, gone, deps);
  deps.stats.begin();
  const closed = new Promise<void>((resolve) => {
    res.once('close', () => {
      // Only a response that did not finish means the client left; a finished one has nothing
      // left upstream or in the queue to stop.
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
