/** Key lifecycle: which key store a configuration gets, and the service around it. */
import type { Registry } from 'prom-client';
import type { ModelgateConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/clock.js';
import { createFileKeyStore } from './file-store.js';
import { createRedisKeyStore } from './redis-key-store.js';
import { KeyService } from './service.js';

export interface KeySyncOptions {
  /** Version poll interval, ms (default 1000). */
  pollMs?: number;
  /** Full reload interval, ms (default 300000). */
  resyncMs?: number;
  /** Subscribe to change events (default true); false leaves the poll alone (benchmark). */
  pubsub?: boolean;
  clock?: Clock;
}

/**
 * store.kind redis: keys in Redis, shared by every replica. Otherwise the file `auth.keyStore`
 * (or memory only when it is not set). A key store file that cannot be read is a start-up error.
 */
export function createKeyService(config: ModelgateConfig, logger: Logger, registry: Registry, o: KeySyncOptions = {}): KeyService {
  const backend = config.store.kind === 'redis'
    ? createRedisKeyStore({ url: config.store.url, timeoutMs: Math.max(config.store.timeoutMs, 1000), pubsub: o.pubsub ?? true })
    : createFileKeyStore(config.auth.keyStore);
  if (backend.kind === 'memory') logger.debug('no auth.keyStore: keys made through the admin API are kept in memory only');
  const opts: ConstructorParameters<typeof KeyService>[0] = { config, backend, logger, registry };
  if (o.pollMs !== undefined) opts.pollMs = o.pollMs;
  if (o.resyncMs !== undefined) opts.resyncMs = o.resyncMs;
  if (o.clock !== undefined) opts.clock = o.clock;
  return new KeyService(opts);
}
