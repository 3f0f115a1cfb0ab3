/**
 * The admin listener, never the public one (default 127.0.0.1:9090): /healthz (the process
 * answers: 200 from the first moment of start-up to the last of shutdown), /readyz (200 only while
 * the gateway takes traffic: start-up complete — store connected or given up on per store.onError,
 * public listener bound — and no shutdown begun; 503 otherwise), /metrics (Prometheus text), and
 * /admin/* behind the admin bearer token (compared in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type preHandlerAsyncHookHandler } from 'fastify';
import type { ModelgateConfig } from '../config/types.js';
import { externalPublicView } from '../config/injection.js';
import type { Metrics } from '../observability/metrics.js';

export interface AdminDeps {
  config: ModelgateConfig;
  metrics: Metrics;
  isReady: () => boolean;
  /** Refresh gauges right before a scrape. */
  beforeScrape?: () => void;
  /**
   * More /admin/* routes (bans, keys, ...). Each is registered with `guard`, the admin-token
   * check, which it must put in front of every route it adds.
   */
  adminRoutes?: ReadonlyArray<(app: FastifyInstance, guard: preHandlerAsyncHookHandler) => void>;
}

function sha(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The effective configuration without secrets: key ids and tiers, never hashes or tokens. */
function publicView(config: ModelgateConfig): unknown {
  return {
    server: { ...config.server, cors: config.server.cors === null ? null : { ...config.server.cors, origins: [...config.server.cors.origins] } },
    admin: { host: config.admin.host, port: config.admin.port },
    auth: { headers: config.auth.headers, keys: config.auth.keys.map((k) => ({ id: k.id, tier: k.tier })) },
    upstreams: [...config.upstreams.values()].map((u) => ({ ...u, targets: u.targets.map((t) => t.origin) })),
    routes: config.routes.map((r) => ({ ...r, injection: { ...r.injection, external: externalPublicView(r.injection.external ?? null) } })),
  };
}

/**
 * The admin-token check as a Fastify preHandler: `Authorization: Bearer <admin.token>` compared
 * in constant time (both sides hashed first, so lengths never differ). With no token configured
 * the admin API does not exist: 404, not 401, so a scanner learns nothing.
 */
export function adminTokenGuard(configured: string | null): preHandlerAsyncHookHandler {
  const token = configured === null ? null : sha(configured);
  return async (req, reply) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (token === null || m?.[1] === undefined || !timingSafeEqual(sha(m[1]), token)) {
      await reply.code(token === null ? 404 : 401).send({ error: { message: token === null ? 'Not found' : 'Unauthorized', type: 'authentication_error', code: token === null ? 'MG_ROUTE_NOT_FOUND' : 'MG_AUTH_INVALID' } });
    }
  };
}

export function buildAdminApp(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, exposeHeadRoutes: false, forceCloseConnections: true });
  const guard = adminTokenGuard(deps.config.admin.token);
  app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => (deps.isReady() ? reply.send({ status: 'ready' }) : reply.code(503).send({ status: 'not ready' })));
  app.get('/metrics', async (_req, reply) => {
    deps.beforeScrape?.();
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/admin/config', { preHandler: guard }, async (_req, reply) => reply.send(publicView(deps.config)));
  for (const add of deps.adminRoutes ?? []) add(app, guard);
  return app;
}
