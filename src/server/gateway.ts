/**
 * App assembly: from a resolved configuration to a running gateway (public + admin listeners,
 * upstream pools, logger, metrics), and its orderly shutdown.
 *
 * Shutdown (`close({ graceful: true })`, what the CLI runs on SIGTERM), counted from its call:
 *   0        /readyz 503; responses carry `Connection: close`; new connections still served
 *   delay    the listener closes (and idle keep-alive connections with it); a request arriving on a
 *            connection still open gets 503 MG_SHUTTING_DOWN
 *   …        in-flight requests and streams run to their end; the gateway waits for their settle
 *   timeout  the stop signal aborts (unanswered requests 503, streams a final error event), then
 *            after at most FINAL_WRITE_MS what is still open is destroyed
 *   then     admin listener, upstream pools and the store close; logs are flushed.
 * `close()` without options (tests, programmatic use) skips the delay and the wait: it aborts the
 * stop signal and destroys every connection at once. `hurry()` turns a graceful shutdown in
 * progress into that (a second SIGTERM).
 */
import { createLoopSlicer } from '../util/loop-slicer.js';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ModelgateConfig } from '../config/types.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { UpstreamTargets } from '../upstream/targets.js';
import { createTelemetry } from '../observability/telemetry.js';
import type { EventBus } from '../observability/events.js';
import { buildPublicApp } from './public.js';
import { needsAdmission } from './routes.js';
import { buildAdminApp } from './admin.js';
import { listenerAddress, logBanner } from './banner.js';
import { consoleRoutes } from './admin-console.js';
import { ConsoleState } from '../console/state.js';
import { createStore } from '../limits/stores/index.js';
import type { Store } from '../limits/stores/types.js';
import { Limiter } from '../limits/limiter.js';
import { Admission } from '../upstream/admission.js';
import { ResourceStats } from '../pipeline/resources.js';
import { Lifecycle } from './drain.js';
import { createAbuse, type Abuse } from '../abuse/index.js';
import type { BanStore } from '../abuse/ban-store.js';
import { banRoutes } from './admin-bans.js';
import { realClock, type Clock } from '../util/clock.js';
import { publicTls, type PublicTls } from './tls.js';
import type { ReloadTarget } from './tls-reload.js';
import { tlsMetrics } from './tls-metrics.js';
import { createKeyService, type KeySyncOptions } from '../keys/index.js';
import type { KeyService } from '../keys/service.js';
import { adminKeyRoutes } from './admin-keys.js';
import { ScanPool } from '../workers/scan-pool.js';

export interface GatewayOptions {
  logger?: Logger;
  /** Collect Node's default process metrics (on by default). */
  defaultMetrics?: boolean;
  /** Use this store instead of the one the configuration names (tests). */
  store?: Store;
  /** Aborts at the shutdown deadline: in-flight work ends now (RequestContext.stop). */
  stop?: AbortSignal;
  /** The clock of abuse detection (windows, bans); tests pass a ManualClock. */
  clock?: Clock;
  /** Use this ban store instead of the one store.kind names (tests). */
  banStore?: BanStore;
  /** Key-store sync settings (tests, benchmarks): poll interval, pub/sub, clock. */
  keys?: KeySyncOptions;
  /** Another scan-pool worker module and its workerData (tests: a worker that can be held). */
  scanWorker?: { filename: string; workerData?: unknown };
}

export interface Gateway {
  config: ModelgateConfig;
  logger: Logger;
  metrics: Metrics;
  /**
   * The telemetry path (src/observability/events.ts): every event the gateway reports — policy
   * failures, injections, upstream failures, redactions, requests answered and settled — goes
   * through it to the metrics, log and audit subscribers. `events.subscribe(fn)` adds one (tests,
   * embedders); a subscriber that throws never affects a request.
   */
  events: EventBus;
  app: FastifyInstance;
  admin: FastifyInstance;
  store: Store;
  limiter: Limiter;
  /** Config and key-store keys, the admin key API behind them (src/keys/service.ts). */
  keys: KeyService;
  admissions: Map<string, Admission>;
  /** Abuse detection; null without an `abuse` section. */
  abuse: Abuse | null;
  /** Resources held by in-flight requests, and how many requests are not yet settled. */
  resources: ResourceStats;
  /** Base URL of the public listener once started, e.g. http://127.0.0.1:8080 */
  url: string;
  adminUrl: string;
  /** Readiness and in-flight state (see drain.ts). */
  lifecycle: Lifecycle;
  /** TLS of the public listener and its hot reload; null for plain HTTP. */
  tls: PublicTls | null;
  /** The worker threads of large injection scans (src/workers/scan-pool.ts); null when off. */
  scanPool: ScanPool | null;
  start(): Promise<void>;
  /** Idempotent: a second call returns the first call's promise. */
  close(opts?: CloseOptions): Promise<void>;
  /** A graceful shutdown in progress skips what is left of its delay and timeout. */
  hurry(): void;
}

export interface CloseOptions {
  /** Wait `server.shutdown.delay`, then let in-flight work finish up to `.timeout` (default false). */
  graceful?: boolean;
}

/** After the stop signal, how long streams get to write their final event before sockets are cut. */
const FINAL_WRITE_MS = 1000;

/**
 * Resolves when `work` does, after `ms`, or at once when `cut` aborts — whichever comes first —
 * with true if `work` finished. The timer is cleared as soon as the race is decided.
 */
function within(work: Promise<unknown>, ms: number, cut: AbortSignal): Promise<boolean> {
  if (cut.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const decide = (finished: boolean): void => {
      clearTimeout(timer);
      cut.removeEventListener('abort', onCut);
      resolve(finished);
    };
    const onCut = (): void => decide(false);
    const timer = setTimeout(() => decide(false), Math.max(0, ms));
    cut.addEventListener('abort', onCut, { once: true });
    work.then(() => decide(true), () => decide(true));
  });
}

function urlOf(app: FastifyInstance, scheme = 'http'): string {
  return listenerAddress(app.server.address() as AddressInfo, scheme).url;
}

export function createGateway(config: ModelgateConfig, opts: GatewayOptions = {}): Gateway {
  const logger = opts.logger ?? createLogger(config.logging.level);
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics ?? true, maxKeySeries: config.metrics.maxKeySeries });
  // Configured keys take their per-key series first, in configuration order (the cap applies to the rest).
  for (const k of config.auth.keys) metrics.keys.label(k.id);
  const upstreams = new Map<string, UpstreamTargets>();
  const events = createTelemetry(metrics, logger);
  for (const [name, u] of config.upstreams) {
    const targets = new UpstreamTargets(u, { events });
    upstreams.set(name, targets);
    for (const t of targets.targets) metrics.targetUp.set({ upstream: name, target: t.origin }, targets.inRotation(t) ? 1 : 0);
    if (targets.certNotAfterMs !== null) tlsMetrics(metrics.registry).certExpiry.set({ cert: `upstream:${name}` }, Math.floor(targets.certNotAfterMs / 1000));
  }
  const store = opts.store ?? createStore(config.store.kind === 'redis'
    ? { kind: 'redis', url: config.store.url, commandTimeoutMs: config.store.timeoutMs, cluster: config.store.cluster }
    : { kind: 'memory' });
  const limiter = new Limiter(config, store, events);
  const admissions = new Map<string, Admission>();
  for (const [name, u] of config.upstreams) {
    if (u.maxConcurrent === null) continue;
    const a = new Admission({ maxConcurrent: u.maxConcurrent, queueSize: u.queue.size, queueTimeoutMs: u.queue.timeoutMs });
    admissions.set(name, a);
  }
  const keys = createKeyService(config, logger, metrics.registry, opts.keys);
  const resources = new ResourceStats();
  // Threads only when some route scans for injection, counts tokens with a BPE tokenizer for
  // cost admission, or takes KServe JSON bodies (they start with the listener, in start()).
  const scanPool = config.workers.threads > 0
    && config.routes.some((r) => r.injection.action !== 'off' || (r.cost.tokenizer !== 'chars4' && needsAdmission(config, r)) || r.protocol === 'kserve-v2')
    ? new ScanPool({ ...config.workers, events, ...(opts.scanWorker === undefined ? {} : { filename: opts.scanWorker.filename, workerData: opts.scanWorker.workerData }) })
    : null;
  // One slicer for the whole event loop: every route's requests share a turn's slice.
  const slicer = createLoopSlicer({ budgetMs: config.workers.loopSlice, onDefer: () => metrics.inspectionDeferred.inc() });
  const gauges = (): void => {
    for (const [name, a] of admissions) {
      metrics.slotsInUse.set({ upstream: name }, a.slotsInUse);
      metrics.queueLength.set({ upstream: name }, a.queueLength);
    }
    for (const [kind, n] of Object.entries(resources.held)) metrics.resourcesHeld.set({ kind }, n);
    metrics.inFlight.set(resources.inFlight);
    if (scanPool !== null) metrics.scanPoolPending.set(scanPool.size);
    metrics.inspectionWaiting.set(slicer.waiting);
  };
  const clock = opts.clock ?? realClock;
  const abuse = createAbuse(config, { registry: metrics.registry, logger, clock, ...(opts.banStore === undefined ? {} : { store: opts.banStore }) });
  const life = new Lifecycle();
  const tls = config.server.tls === null ? null : publicTls(config.server.tls, { logger, registry: metrics.registry });
  // A stop signal given by the caller (tests) ends in-flight work like the shutdown deadline does.
  opts.stop?.addEventListener('abort', () => life.stopController.abort(), { once: true });
  const app = buildPublicApp({
    config, upstreams, logger, events, limits: { limiter, admissions }, resources, keys: keys.registry,
    stop: life.stop,
    draining: () => life.draining(),
    refusing: () => life.refusing(),
    begin: (socket) => life.begin(socket),
    ...(abuse === null ? {} : { abuse }),
    ...(tls === null ? {} : { tls: tls.wire }),
    ...(scanPool === null ? {} : { scanPool }),
    slicer,
  });
  const consoleState = config.admin.console ? new ConsoleState(metrics, gauges, realClock) : null;
  const keyTier = new Map(config.auth.keys.map((k) => [k.id, k.tier]));
  const exempt = (id: string): boolean => keyTier.has(id) && config.tiers.get(keyTier.get(id) ?? config.defaultTier ?? '')?.exempt === true;
  const admin = buildAdminApp({
    config, metrics, isReady: () => life.isReady(), beforeScrape: gauges,
    adminRoutes: [
      ...(consoleState === null ? [] : [consoleRoutes(consoleState)]),
      ...(abuse === null ? [] : [banRoutes(abuse, logger, exempt)]),
      adminKeyRoutes(keys, config),
    ],
  });
  const hurry = new AbortController();
  let closing: Promise<void> | null = null;
  let cutAll = false;
  // Right before Fastify closes the listener: a fast close destroys every connection, including
  // any accepted since close() was called.
  app.addHook('preClose', (done) => {
    if (cutAll) app.server.closeAllConnections();
    done();
  });

  /** Let in-flight work finish until the deadline; then stop it and cut what is left. */
  async function drain(appClosed: Promise<void>, deadline: number, graceful: boolean): Promise<void> {
    const finished = Promise.all([appClosed, life.whenIdle()]);
    if (!graceful || !(await within(finished, deadline - Date.now(), hurry.signal))) {
      if (graceful) logger.warn({ inFlight: life.inFlight }, 'shutdown: deadline reached; stopping what is still in flight');
      life.stopController.abort();
      if (graceful) await within(finished, FINAL_WRITE_MS, hurry.signal);
      app.server.closeAllConnections();
    }
    await appClosed;
    // Settle (access log, reconciliation) of requests cut just now runs after their socket closed.
    await within(life.whenIdle(), FINAL_WRITE_MS, new AbortController().signal);
  }

  async function shutdown(graceful: boolean): Promise<void> {
    const t0 = Date.now();
    const { delayMs, timeoutMs } = config.server.shutdown;
    const wasListening = life.phase !== 'starting';
    life.phase = 'draining';
    if (graceful) {
      logger.info({ delayMs, timeoutMs, inFlight: life.inFlight }, 'shutdown: draining (readiness 503, still accepting)');
      await within(new Promise<never>(() => undefined), delayMs, hurry.signal);
    }
    life.phase = 'closing';
    tls?.stop();
    cutAll = !graceful;
    if (!graceful) life.stopController.abort();
    const appClosed = app.close();
    if (graceful && wasListening) logger.info({ inFlight: life.inFlight }, 'shutdown: listener closed; waiting for in-flight requests');
    await drain(appClosed, t0 + timeoutMs, graceful);
    consoleState?.stop();
    await admin.close();
    await Promise.all([...upstreams.values()].map((u) => u.close()));
    await keys.close();
    if (opts.store === undefined) await store.close();
    await abuse?.close();
    await scanPool?.close();
    metrics.eventLoop?.stop();
    life.phase = 'stopped';
    if (graceful) logger.info({ ms: Date.now() - t0 }, 'shutdown: complete');
    logger.flush();
  }

  const gw: Gateway = {
    config, logger, metrics, events, app, admin, store, limiter, keys, admissions, abuse, resources, url: '', adminUrl: '', lifecycle: life, tls, scanPool,
    async start() {
      // The scan threads boot in the background (rules compiled, model loaded); large requests are
      // scanned inline until they are up. A pool that cannot start leaves them inline.
      void scanPool?.open().catch(async (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'scan worker threads did not start; large requests are scanned on the event loop');
        await scanPool.close();
      });
      // The admin listener first: /healthz answers and /readyz says 503 while start-up goes on.
      await admin.listen({ host: config.admin.host, port: config.admin.port });
      gw.adminUrl = urlOf(admin);
      // Give a shared store a moment to connect, but start anyway while it is down: store.onError
      // decides what requests get until it answers (ioredis keeps reconnecting in the background).
      // The key store's first load (bounded) runs meanwhile: store keys work from the start.
      const keysLoaded = keys.start();
      const waitable = store as Partial<{ waitReady(ms: number): Promise<boolean> }>;
      if (typeof waitable.waitReady === 'function' && !(await waitable.waitReady(2000))) {
        logger.warn({ store: config.store.kind, onError: config.store.onError }, 'limit store not reachable at start; applying store.onError');
      }
      // Bans in force from the first request: the shared set is read before the listener opens.
      const bans = abuse?.storeReady;
      if (bans !== undefined && !(await bans(2000))) logger.warn('ban store not reachable at start; bans made elsewhere apply once it is');
      await keysLoaded;
      // Health checks: every target's first check is done before the listener opens, so a healthy
      // fleet serves from the first request (a target not healthy yet gets no traffic).
      await Promise.all([...upstreams.values()].map((u) => u.start()));
      try {
        await app.listen({ host: config.server.host, port: config.server.port });
      } catch (err) {
        await Promise.all([...upstreams.values()].map((u) => u.close()));
        await keys.close();
        await scanPool?.close();
        throw err;
      }
      gw.url = urlOf(app, tls === null ? 'http' : 'https');
      tls?.start(app.server as unknown as ReloadTarget);
      life.phase = 'ready';
      consoleState?.start();
      logBanner(logger, config, app.server.address() as AddressInfo, admin.server.address() as AddressInfo, tls === null ? 'http' : 'https');
    },
    close(closeOpts: CloseOptions = {}) {
      closing ??= shutdown(closeOpts.graceful === true);
      return closing;
    },
    hurry() {
      hurry.abort();
    },
  };
  return gw;
}
