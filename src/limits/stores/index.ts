/**
 * Store selection. `memory` for a single replica (embedded, nothing to run); `redis` when several
 * replicas must share limits. Both pass the same contract suite (test/limits/store-contract.ts).
 */
import { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memory.js';
import { createRedisStore, hashTag, REDIS_SCRIPTS, type RedisStore, type RedisStoreOptions } from './redis.js';
import type { Store } from './types.js';

export * from './types.js';
export { createMemoryStore, createRedisStore, hashTag, REDIS_SCRIPTS };
export type { MemoryStore, MemoryStoreOptions, RedisStore, RedisStoreOptions };

export type StoreConfig =
  | { kind: 'memory'; maxEntries?: number }
  | { kind: 'redis'; url: string; commandTimeoutMs?: number; cluster?: boolean; keyPrefix?: string; connectTimeoutMs?: number };

export function createStore(config: Extract<StoreConfig, { kind: 'memory' }>): MemoryStore;
export function createStore(config: Extract<StoreConfig, { kind: 'redis' }>): RedisStore;
export function createStore(config: StoreConfig): Store;
export function createStore(config: StoreConfig): Store {
  switch (config.kind) {
    case 'memory':
      return createMemoryStore(config.maxEntries === undefined ? {} : { maxEntries: config.maxEntries });
    case 'redis': {
      const { kind: _kind, ...opts } = config;
      return createRedisStore(opts);
    }
  }
}
