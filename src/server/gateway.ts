/**
 * App assembly: from a resolved configuration to a running gateway (public + admin listeners,
 * upstream pools, logger, metrics), and its orderly shutdown.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ModelgateConfig } from '../config/types.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { UpstreamTargets } from '../upstream/targets.js';
import { buildPublicApp } from './public.js';
import { buildAdminApp } from './admin.js';

export interface GatewayOptions {
  logger?: Logger;
  /** Collect Node's default process metrics (on by default). */
  defaultMetrics?: boolean;
}

export interface Gateway {
  config: ModelgateConfig;
  logger: Logger;
  metrics: Metrics;
  app: FastifyInstance;
  admin: FastifyInstance;
  /** Base URL of the public listener once started, e.g. http://127.0.0.1:8080 */
  url: string;
  adminUrl: string;
  start(): Promise<void>;
  close(): Promise<void>;
}

function urlOf(app: FastifyInstance): string {
  const a = app.server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '127.0.0.1' : host}:${a.port}`;
}

export function createGateway(config: ModelgateConfig, opts: GatewayOptions = {}): Gateway {
  const logger = opts.logger ?? createLogger(config.logging.level);
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
  const upstreams = new Map<string, UpstreamTargets>();
  for (const [name, u] of config.upstreams) upstreams.set(name, new UpstreamTargets(u));
  let ready = false;
  const app = buildPublicApp({ config, upstreams, logger, metrics });
  const admin = buildAdminApp({ config, metrics, isReady: () => ready });
  const gw: Gateway = {
    config, logger, metrics, app, admin, url: '', adminUrl: '',
    async start() {
      await admin.listen({ host: config.admin.host, port: config.admin.port });
      await app.listen({ host: config.server.host, port: config.server.port });
      gw.url = urlOf(app);
      gw.adminUrl = urlOf(admin);
      ready = true;
      logger.info({ url: gw.url, admin: gw.adminUrl, routes: config.routes.length }, 'modelgate listening');
    },
    async close() {
      ready = false;
      await app.close();
      await admin.close();
      await Promise.all([...upstreams.values()].map((u) => u.close()));
      logger.flush?.();
    },
  };
  return gw;
}
