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
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ERRORS, errorBody, type Denial, type ErrorCode } from '../errors.js';
import type { ModelgateConfig } from '../config/types.js';
import type { RequestContext } from '../pipeline/context.js';
import { runPolicies } from '../pipeline/policy.js';
import { preflight } from '../policies/cors.js';
import { forward, type ForwardHooks } from '../upstream/proxy.js';
import { upstreamHeaderFilter } from '../upstream/headers.js';
import type { UpstreamTargets } from '../upstream/targets.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { compileRoutes, routerPath, upstreamPath, type CompiledRoute, type LimitDeps } from './routes.js';
import { settle } from './settle.js';
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
  /** True once the shutdown delay is over: a new request gets 503 MG_SHUTTING_DOWN. */
  refusing?: () => boolean;
  /** Counts a request in flight until its settle is done (the shutdown waits for it). */
  begin?: (socket: Socket | null) => Tracked;
}

/** Retry-After of MG_SHUTTING_DOWN: another replica can take the retry at once. */
const SHUTDOWN_RETRY_AFTER = '1';

const NO_ROUTE = '(none)';
const noop = (): void => undefined;

/**
 * Malformed HTTP (Node's parser refused it, before any route): answer in our error shape when the
 * socket can still take it, then close. Header timeouts and oversized headers get their own codes.
 */
function clientError(err: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const code: ErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'MG_HEADERS_TOO_LARGE'
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'MG_HEADERS_TIMEOUT' : 'MG_BAD_REQUEST';
  const id = randomUUID();
  logger.info({ reqId: id, code, parser: err.code }, 'malformed request');
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const body = errorBody(code, id);
  const spec = ERRORS[code];
  socket.end(`HTTP/1.1 ${spec.status} ${STATUS_CODES[spec.status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\n\r\n${body}`);
}

export function buildPublicApp(deps: PublicDeps): FastifyInstance {
  const { config, logger, metrics } = deps;
  const s = config.server;
  const app = Fastify({
    logger: false,
    trustProxy: s.trustedProxies.length > 0 ? s.trustedProxies : false,
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    exposeHeadRoutes: false,
    // Closing: our own 503 MG_SHUTTING_DOWN (handle()); only idle connections are closed, in-flight
    // requests finish (the shutdown sequence in gateway.ts cuts what is left at its deadline).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    keepAliveTimeout: s.idleTimeoutMs,
    connectionTimeout: 0,
    requestTimeout: 0,
    routerOptions: { maxParamLength: 200 },
    // Node checks header timeouts on an interval (30 s by default): check every second instead.
    http: { maxHeaderSize: s.maxHeaderBytes, headersTimeout: s.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    clientErrorHandler: (err, socket) => clientError(err, socket, logger),
  });

  const baseHeaders = (ctx: RequestContext): Record<string, string> => {
    const h: Record<string, string> = { 'x-request-id': ctx.id, ...ctx.responseHeaders };
    if (s.hsts) h['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
    if (deps.draining?.() === true) h.connection = 'close';
    return h;
  };

  const sendDenial = (ctx: RequestContext, res: ServerResponse, denial: Denial): void => {
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy(); // an answer already complete is left to flush
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

  const neverStop = new AbortController().signal;
  function newContext(route: CompiledRoute, request: FastifyRequest, clientGone: AbortSignal): RequestContext {
    return {
      clientGone,
      stop: deps.stop ?? neverStop,
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
    };
  }

  async function handle(route: CompiledRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    const gone = new AbortController();
    const ctx = newContext(route, request, gone.signal);
    const tracked = deps.begin?.(request.raw.socket);
    res.on('close', () => {
      // Only a response that did not finish means the client left; a finished one has nothing
      // left upstream or in the queue to stop (and abort() costs a DOMException with a stack).
      if (!res.writableFinished) gone.abort();
      const settled = settle(ctx, res, route.label, deps);
      tracked?.responded();
      const done = tracked?.settled ?? noop;
      settled.then(done, (err: unknown) => {
        logger.error({ reqId: ctx.id, err: (err as Error)?.message }, 'settle failed');
        done();
      });
    });
    if (deps.refusing?.() === true) {
      return sendDenial(ctx, res, { code: 'MG_SHUTTING_DOWN', headers: { 'retry-after': SHUTDOWN_RETRY_AFTER } });
    }
    // The shutdown deadline: a request not answered yet gets 503 and lets go of its queue place
    // and upstream request (a stream already started is ended by the relay).
    const stopNow = (): void => {
      if (res.headersSent) return;
      sendDenial(ctx, res, { code: 'MG_SHUTTING_DOWN', headers: { 'retry-after': SHUTDOWN_RETRY_AFTER } });
      gone.abort();
    };
    ctx.stop.addEventListener('abort', stopNow, { once: true });
    res.once('close', () => ctx.stop.removeEventListener('abort', stopNow));
    try {
      const denial = await runPolicies(ctx.method === 'GET' ? route.getPolicies : route.policies, ctx, sink);
      if (denial !== undefined) return sendDenial(ctx, res, denial);
      const upstream = deps.upstreams.get(route.config.upstream) as UpstreamTargets;
      const path = upstreamPath(route.config, request.params as Record<string, string>, request.url);
      await forward(ctx, res, upstream, path, filterHeaders(ctx.headers, ctx.id), hooks);
    } catch (err) {
      logger.error({ reqId: ctx.id, err: (err as Error)?.message }, 'unexpected error');
      sendDenial(ctx, res, { code: 'MG_INTERNAL' });
    }
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

  function replyError(reply: FastifyReply, code: ErrorCode, label: string): FastifyReply {
    metrics.rejections.inc({ route: label, code });
    metrics.requests.inc({ route: label, status: String(ERRORS[code].status) });
    const headers: Record<string, string> = { 'x-request-id': reply.request.id, 'content-type': 'application/json; charset=utf-8' };
    if (deps.draining?.() === true) headers.connection = 'close';
    if (s.hsts) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
    return reply.code(ERRORS[code].status).headers(headers).send(errorBody(code, reply.request.id));
  }

  app.setNotFoundHandler((request, reply) => {
    logger.info({ reqId: request.id, method: request.method, status: 404, code: 'MG_ROUTE_NOT_FOUND' }, 'no route');
    return replyError(reply, 'MG_ROUTE_NOT_FOUND', NO_ROUTE);
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
