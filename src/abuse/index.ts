/** Abuse detection, assembled from configuration: the ban store the store section names, metrics, the rules. */
import type { Registry } from 'prom-client';
import type { ModelgateConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/clock.js';
import { Abuse } from './abuse.js';
import { createMemoryBanStore, type BanStore } from './ban-store.js';
import { createRedisBanStore } from './ban-store-redis.js';
import { exemptTier } from './guard.js';
import { createAbuseMetrics } from './metrics.js';

export { Abuse };

export interface AbuseOptions {
  registry: Registry;
  logger: Logger;
  clock: Clock;
  /** Use this ban store instead of the one store.kind names (tests). */
  store?: BanStore;
}

/** Null when the configuration has no `abuse` section. */
export function createAbuse(config: ModelgateConfig, opts: AbuseOptions): Abuse | null {
  const abuse = config.abuse;
  if (abuse === null) return null;
  let a: Abuse | null = null;
  const metrics = createAbuseMetrics(opts.registry, () => a?.bans.counts(opts.clock.now()) ?? { ip: 0, cidr: 0, key: 0 });
  const store = opts.store ?? (config.store.kind === 'redis'
    ? createRedisBanStore({
      url: config.store.url,
      clock: opts.clock,
      pollIntervalMs: abuse.pollIntervalMs,
      onError: () => { metrics.storeFailures.inc({ op: 'connection' }); },
    })
    : createMemoryBanStore({ maxCounters: abuse.maxTracked }));
  a = new Abuse({ config: abuse, store, clock: opts.clock, logger: opts.logger, metrics, exempt: exemptTier(config) });
  return a;
}
