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
import { createStore } from '../limits/stores/index.js';
import type { Store } from '../limits/stores/types.js';
import { Limiter } from '../limits/limiter.js';
import { Admission } from '../upstream/admission.js';
import { ResourceStats } from '../pipeline/resources.js';

export interface GatewayOptions {
  logger?: Logger;
  /** Collect Node's default process metrics (on by default). */
  defaultMetrics?: boolean;
  /** Use this store instead of the one the configuration names (tests). */
  store?: Store;
  /** Aborts at the shutdown deadline: in-flight work ends now (RequestContext.stop). */
  stop?: AbortSignal;
}

export interface Gateway {
  config: ModelgateConfig;
  logger: Logger;
  metrics: Metrics;
  app: FastifyInstance;
  admin: FastifyInstance;
  store: Store;
  limiter: Limiter;
  admissions: Map<string, Admission>;
  /** Resources held by in-flight requests, and how many requests are not yet settled. */
  resources: ResourceStats;
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
  const store = opts.store ?? createStore(config.store.kind === 'redis'
    ? { kind: 'redis', url: config.store.url, commandTimeoutMs: config.store.timeoutMs, cluster: config.store.cluster }
    : { kind: 'memory' });
  const limiter = new Limiter(config, store, {
    storeFailed(mode, err) {
      metrics.storeFailures.inc({ mode });
      logger.warn({ mode, err: (err as Error).message }, mode === 'fail-open' ? 'limit store unavailable; admitting unchecked (fail-open)' : 'limit store unavailable');
    },
  });
  const admissions = new Map<string, Admission>();
  for (const [name, u] of config.upstreams) {
    if (u.maxConcurrent === null) continue;
    const a = new Admission({ maxConcurrent: u.maxConcurrent, queueSize: u.queue.size, queueTimeoutMs: u.queue.timeoutMs });
    admissions.set(name, a);
  }
  const resources = new ResourceStats();
  const gauges = (): void => {
    for (const [name, a] of admissions) {
      metrics.slotsInUse.set({ upstream: name }, a.slotsInUse);
      metrics.queueLength.set({ upstream: name }, a.queueLength);
    }
    for (const [kind, n] of Object.entries(resources.held)) metrics.resourcesHeld.set({ kind }, n);
    metrics.inFlight.set(resources.inFlight);
  };
  let ready = false;
  const app = buildPublicApp({ config, upstreams, logger, metrics, limits: { limiter, admissions }, resources, stop: opts.stop });
  const admin = buildAdminApp({ config, metrics, isReady: () => ready, beforeScrape: gauges });
  const gw: Gateway = {
    config, logger, metrics, app, admin, store, limiter, admissions, resources, url: '', adminUrl: '',
    async start() {
      // Give a shared store a moment to connect, but start anyway while it is down: store.onError
      // decides what requests get until it answers (ioredis keeps reconnecting in the background).
      const waitable = store as Partial<{ waitReady(ms: number): Promise<boolean> }>;
      if (typeof waitable.waitReady === 'function' && !(await waitable.waitReady(2000))) {
        logger.warn({ store: config.store.kind, onError: config.store.onError }, 'limit store not reachable at start; applying store.onError');
      }
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
      if (opts.store === undefined) await store.close();
      logger.flush?.();
    },
  };
  return gw;
}
