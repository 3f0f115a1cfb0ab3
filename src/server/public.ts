/**
 * The public listener: Fastify with one route per configured method+path, a not-found handler
 * that denies everything else (deny by default), and the request handler that runs the phases
 * request → body → inspect → forward/respond → settle on the raw request and response.
 *
 * Fastify's own body parsing is switched off: a catch-all content-type parser leaves the stream
 * untouched so that the body phase reads it with modelgate's limits (counting real bytes,
 * bounded decompression), after the request phase has decided the request may send one at all.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ERRORS, errorBody, type Denial, type ErrorCode } from '../errors.js';
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
import type { Metrics } from '../observability/metrics.js';
import { allowedMethods, compileRoutes, routerPath, upstreamPath, type CompiledRoute, type LimitDeps } from './routes.js';
import { settle } from './settle.js';
import { wireOptions } from './wire.js';
import { closeIfUnread } from './wire-reply.js';
import type { Tracked } from './drain.js';

export interface PublicDeps {
  config: ModelgateConfig;
  upstreams: Map<string, UpstreamTargets>;
  logger: Logger;
  metrics: Metrics;
  limits: LimitDeps;
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
}

/** Retry-After of MG_SHUTTING_DOWN: another replica can take the retry at once. */
const SHUTDOWN_RETRY_AFTER = '1';

const NO_ROUTE = '(none)';

export function buildPublicApp(deps: PublicDeps): FastifyInstance {
  const { config, logger, metrics } = deps;
  const s = config.server;
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
    ...wireOptions({ server: s, logger, onRefused: (code, id, detail) => countRefusal(code, NO_ROUTE, id, detail) }),
  });

  const baseHeaders = (ctx: RequestContext): Record<string, string> => {
    const h: Record<string, string> = { 'x-request-id': ctx.id, ...ctx.responseHeaders };
    if (s.hsts) h['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
    if (deps.draining?.() === true) h.connection = 'close';
    return h;
  };

  const sendDenial = (ctx: RequestContext, res: ServerResponse, denial: Denial): void => {
    if (res.destroyed) { // the client has gone: nobody reads it, settle logs it
      ctx.denial = denial;
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(denial.code, ctx.id);
    const headers: Record<string, string> = {
      ...baseHeaders(ctx),
      ...denial.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
    };
    // A request whose body was not read to the end cannot share its connection with the next one.
    if (!ctx.raw.complete) headers.connection = 'close';
    ctx.denial = denial;
    res.writeHead(ERRORS[denial.code].status, headers);
    res.end(body);
  };

  const hooks: ForwardHooks = {
    sendDenial,
    baseHeaders,
    sendTimeoutMs: s.sendTimeoutMs,
    clientCut(ctx, reason) {
      logger.warn({ reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path, reason }, 'client accepted no bytes for the send timeout; disconnected');
    },
    upstreamFailed(ctx, kind, detail) {
      metrics.upstreamErrors.inc({ upstream: ctx.route.upstream, kind });
      logger.warn({ reqId: ctx.id, upstream: ctx.route.upstream, kind, ...detail }, 'upstream failure');
    },
    outputFailed(ctx, err, failOpen) {
      metrics.outputFailures.inc({ route: ctx.route.path, outcome: failOpen ? 'fail-open' : 'fail-closed' });
      const log = { reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path, err: (err as Error)?.message };
      if (failOpen) logger.warn(log, 'output filter failed; response sent unfiltered (fail-open)');
      else logger.error(log, 'output filter failed; response withheld (fail-closed)');
    },
  };
  const sink = {
    policyFailed(policy: { name: string }, ctx: RequestContext, err: unknown, failOpen: boolean) {
      metrics.policyFailures.inc({ policy: policy.name, outcome: failOpen ? 'fail-open' : 'fail-closed' });
      const log = { reqId: ctx.id, policy: policy.name, err: (err as Error)?.message };
      if (failOpen) logger.warn(log, 'policy failed; passing (fail-open)');
      else logger.error(log, 'policy failed; denying (fail-closed)');
    },
  };
  const routes = compileRoutes(config, (ctx, families, action) => {
    metrics.injections.inc({ route: ctx.route.path, action });
    logger.warn({ reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path, families, action }, 'prompt injection detected');
  }, deps.limits);
  const filterHeaders = upstreamHeaderFilter(config.auth.headers);

  const lifecycle: LifecycleDeps = {
    stats: deps.resources ?? new ResourceStats(),
    stop: deps.stop ?? new AbortController().signal,
    releaseFailed(kind, err) {
      metrics.storeFailures.inc({ mode: `release-${kind}` });
      logger.warn({ kind, err: (err as Error)?.message }, 'resource not released cleanly (store unavailable)');
    },
    settleFailed(ctx, err) {
      logger.error({ reqId: ctx.id, err: (err as Error)?.message }, 'settle failed');
    },
  };

  /** request → body → inspect → admit → forward → respond; answers on `res` unless the client left. */
  async function pipeline(route: CompiledRoute, request: FastifyRequest, res: ServerResponse, ctx: RequestContext): Promise<void> {
    if (deps.refusing?.() === true) {
      return sendDenial(ctx, res, { code: 'MG_SHUTTING_DOWN', headers: { 'retry-after': SHUTDOWN_RETRY_AFTER } });
    }
    try {
      const denial = await runPolicies(ctx.method === 'GET' ? route.getPolicies : route.policies, ctx, sink);
      if (denial === CLIENT_GONE) {
        ctx.denial = denial;
        return;
      }
      if (denial !== undefined) return sendDenial(ctx, res, denial);
      const upstream = deps.upstreams.get(route.config.upstream) as UpstreamTargets;
      const path = upstreamPath(route.config, request.params as Record<string, string>, request.url);
      await forward(ctx, res, upstream, path, filterHeaders(ctx), hooks);
    } catch (err) {
      logger.error({ reqId: ctx.id, err: (err as Error)?.message }, 'unexpected error');
      sendDenial(ctx, res, { code: 'MG_INTERNAL' });
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
          if (h === null) return replyError(reply, 'MG_CORS_ORIGIN_DENIED', route.label);
          return reply.code(204).headers({ ...h, 'x-request-id': request.id }).send();
        },
      });
    }
  }

  function countRefusal(code: ErrorCode, label: string, id: string, detail: Record<string, unknown>): void {
    metrics.rejections.inc({ route: label, code });
    metrics.requests.inc({ route: label, status: String(ERRORS[code].status) });
    logger.info({ reqId: id, status: ERRORS[code].status, code, ...detail }, 'refused before routing');
  }

  function replyError(reply: FastifyReply, code: ErrorCode, label: string, extra: Record<string, string> = {}): FastifyReply {
    metrics.rejections.inc({ route: label, code });
    metrics.requests.inc({ route: label, status: String(ERRORS[code].status) });
    const headers: Record<string, string> = { 'x-request-id': reply.request.id, 'content-type': 'application/json; charset=utf-8', ...extra, ...closeIfUnread(reply.request.raw) };
    if (deps.draining?.() === true) headers.connection = 'close';
    if (s.hsts) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
    return reply.code(ERRORS[code].status).headers(headers).send(errorBody(code, reply.request.id));
  }

  const allowed = allowedMethods(routes, config.server.cors !== null);
  app.setNotFoundHandler((request, reply) => {
    const allow = allowed(request.url);
    const code: ErrorCode = allow.length > 0 ? 'MG_METHOD_NOT_ALLOWED' : 'MG_ROUTE_NOT_FOUND';
    logger.info({ reqId: request.id, method: request.method, status: ERRORS[code].status, code }, 'no route');
    return replyError(reply, code, NO_ROUTE, allow.length > 0 ? { allow: allow.join(', ') } : {});
  });
  app.setErrorHandler((err, request, reply) => {
    // Fastify-level failures (malformed URL, …): generic, never the error's own text.
    const e = err as { statusCode?: number; message?: string; code?: string };
    const status = e.statusCode ?? 500;
    logger.warn({ reqId: request.id, err: e.message, code: e.code }, 'request failed before routing');
    return replyError(reply, status >= 500 ? 'MG_INTERNAL' : 'MG_REQUEST_INVALID', NO_ROUTE);
  });
  return app;
}
