/**
 * The public listener: Fastify with one route per configured method+path, a not-found handler
 * that denies everything else (deny by default), and the request path
 *
 *   accept (wire.ts) → request → body → inspect → admit (policies) → forward → respond (upstream/)
 *   → settle (settle.ts)
 *
 * run on the raw request and response, each request owned by lifecycle.ts from its first
 * handler call to its settle. Answers the gateway writes itself: replies.ts; what the path
 * reports: telemetry events (src/observability/events.ts).
 *
 * Fastify's own body parsing is switched off: a catch-all content-type parser leaves the stream
 * untouched so that the body phase reads it with modelgate's limits (counting real bytes,
 * bounded decompression), after the request phase has decided the request may send one at all.
 */
import type { LoopSlicer } from '../util/loop-slicer.js';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode } from '../errors.js';
import type { ModelgateConfig } from '../config/types.js';
import type { RequestContext } from '../pipeline/context.js';
import { CLIENT_GONE, runPolicies } from '../pipeline/policy.js';
import { ResourceStats } from '../pipeline/resources.js';
import { own, type LifecycleDeps } from './lifecycle.js';
import { preflight } from '../policies/cors.js';
import { forward, type ForwardHooks } from '../upstream/proxy.js';
import { upstreamHeaderFilter } from '../upstream/headers.js';
import type { UpstreamTargets } from '../upstream/targets.js';
import type { Logger } from '../observability/logger.js';
import type { Emitter } from '../observability/events.js';
import type { KeyLookup } from '../keys/registry.js';
import type { CountOffload, JsonOffload, ScanOffload } from '../workers/scan-pool.js';
import { allowedMethods, compileRoutes, routerPath, upstreamPath, type CompiledRoute, type LimitDeps } from './routes.js';
import { settle } from './settle.js';
import { wireOptions, type WireDeps } from './wire.js';
import { replies } from './replies.js';
import type { Tracked } from './drain.js';
import type { Abuse } from '../abuse/abuse.js';

export interface PublicDeps {
  config: ModelgateConfig;
  upstreams: Map<string, UpstreamTargets>;
  logger: Logger;
  /** The telemetry path: metrics, log and audit subscribe to it. */
  events: Emitter;
  limits: LimitDeps;
  /** Config and key-store keys (src/keys/registry.ts); absent = the config's keys only. */
  keys?: KeyLookup;
  /** Aborts at the shutdown deadline: in-flight work must end now (see RequestContext.stop). */
  stop?: AbortSignal;
  /** True once SIGTERM was received: responses carry Connection: close. */
  draining?: () => boolean;
  /** Resources held by in-flight requests (gauges; tests check they return to zero). */
  resources?: ResourceStats;
  /** True once the shutdown delay is over: a new request gets 503 MG_SHUTTING_DOWN. */
  refusing?: () => boolean;
  /** Counts a request in flight until its settle is done (the shutdown waits for it). */
  begin?: (socket: Socket | null) => Tracked;
  /** Abuse detection (bans checked in the request phase, every request observed in settle). */
  abuse?: Abuse;
  /** TLS on the listener (gateway.ts builds it from server.tls). */
  tls?: WireDeps['tls'];
  /** Where large injection scans run off the event loop (src/workers/scan-pool.ts). */
  scanPool?: ScanOffload & CountOffload & JsonOffload;
  /** The event loop's slices for requests' inspection (src/util/loop-slicer.ts); absent: one from workers.loopSlice. */
  slicer?: LoopSlicer;
}

/** Retry-After of MG_SHUTTING_DOWN: another replica can take the retry at once. */
const SHUTDOWN_RETRY_AFTER = '1';

const NO_ROUTE = '(none)';

export function buildPublicApp(deps: PublicDeps): FastifyInstance {
  const { config, logger, events } = deps;
  const s = config.server;
  const answer = replies({ hsts: s.hsts, events, draining: deps.draining });
  const app = Fastify({
    logger: false,
    trustProxy: s.trustedProxies.length > 0 ? s.trustedProxies : false,
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    exposeHeadRoutes: false,
    // Closing: our own 503 MG_SHUTTING_DOWN (pipeline()); only idle connections are closed, in-flight
    // requests finish (the shutdown sequence in gateway.ts cuts what is left at its deadline).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    // The http.Server, parser errors and router errors: src/server/wire.ts.
    ...wireOptions({ server: s, logger, tls: deps.tls, onRefused: (code, id, detail) => answer.countRefusal(code, NO_ROUTE, id, detail) }),
  });

  const hooks: ForwardHooks = { sendDenial: answer.sendDenial, baseHeaders: answer.baseHeaders, sendTimeoutMs: s.sendTimeoutMs, events };
  const routes = compileRoutes(config, events, deps.limits, deps.upstreams, deps.abuse, deps.keys, deps.scanPool, deps.slicer);
  app.addHook('onClose', async () => { await Promise.all(routes.map((r) => r.close?.())); });
  const filterHeaders = upstreamHeaderFilter(config.auth.headers);
  const lifecycle: LifecycleDeps = {
    stats: deps.resources ?? new ResourceStats(),
    stop: deps.stop ?? new AbortController().signal,
    events,
  };

  /** request → body → inspect → admit → forward → respond; answers on `res` unless the client left. */
  async function pipeline(route: CompiledRoute, request: FastifyRequest, res: ServerResponse, ctx: RequestContext): Promise<void> {
    if (deps.refusing?.() === true) {
      return answer.sendDenial(ctx, res, { code: 'MG_SHUTTING_DOWN', headers: { 'retry-after': SHUTDOWN_RETRY_AFTER } });
    }
    try {
      const denial = await runPolicies(ctx.method === 'GET' ? route.getPolicies : route.policies, ctx, events);
      if (denial === CLIENT_GONE) {
        ctx.denial = denial;
        return;
      }
      if (denial !== undefined) return answer.sendDenial(ctx, res, denial);
      const upstream = deps.upstreams.get(route.config.upstream) as UpstreamTargets;
      const path = upstreamPath(route.config, request.params as Record<string, string>, request.url);
      await forward(ctx, res, upstream, path, filterHeaders(ctx), hooks);
    } catch (err) {
      logger.error({ reqId: ctx.id, err: (err as Error)?.message }, 'unexpected error');
      answer.sendDenial(ctx, res, { code: 'MG_INTERNAL' });
    }
  }

  function handle(route: CompiledRoute, request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    const owned = own(route, request, res, lifecycle, (ctx) => pipeline(route, request, res, ctx), (ctx) => settle(ctx, res, route.label, deps));
    const tracked = deps.begin?.(request.raw.socket);
    if (tracked === undefined) return;
    res.once('close', tracked.responded);
    void owned.finally(tracked.settled); // own() never rejects
  }

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  for (const route of routes) {
    const url = routerPath(route.config.path);
    for (const method of route.config.methods) {
      app.route({ method, url, handler: (request, reply) => handle(route, request, reply) });
    }
    if (config.server.cors !== null) {
      const cors = config.server.cors;
      app.route({
        method: 'OPTIONS',
        url,
        handler: (request, reply) => {
          const h = preflight(cors, request.headers.origin, request.headers['access-control-request-method'] as string | undefined);
          if (h === null) return answer.replyError(reply, 'MG_CORS_ORIGIN_DENIED', route.label);
          return reply.code(204).headers({ ...h, 'x-request-id': request.id }).send();
        },
      });
    }
  }

  const allowed = allowedMethods(routes, config.server.cors !== null);
  app.setNotFoundHandler((request, reply) => {
    const allow = allowed(request.url);
    const code: ErrorCode = allow.length > 0 ? 'MG_METHOD_NOT_ALLOWED' : 'MG_ROUTE_NOT_FOUND';
    logger.info({ reqId: request.id, method: request.method, status: ERRORS[code].status, code }, 'no route');
    return answer.replyError(reply, code, NO_ROUTE, allow.length > 0 ? { allow: allow.join(', ') } : {});
  });
  app.setErrorHandler((err, request, reply) => {
    // Fastify-level failures (malformed URL, …): generic, never the error's own text.
    const e = err as { statusCode?: number; message?: string; code?: string };
    const status = e.statusCode ?? 500;
    logger.warn({ reqId: request.id, err: e.message, code: e.code }, 'request failed before routing');
    return answer.replyError(reply, status >= 500 ? 'MG_INTERNAL' : 'MG_REQUEST_INVALID', NO_ROUTE);
  });
  return app;
}
