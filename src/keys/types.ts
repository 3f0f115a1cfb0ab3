/**
 * Key lifecycle types: the record a key store holds (only SHA-256 hashes, never a key), and the
 * contract every key store backend (file/memory, Redis) fulfils.
 */

/** What a key may do, besides authenticating: all null = no restriction. */
export interface KeyScope {
  /** Refused from this instant on (ms since the epoch); null = never expires. */
  expiresAt: number | null;
  /** Route paths as written in the config (`/v2/models/{model}/infer`); null = every route. */
  routes: string[] | null;
  /** Model names; null = every model. */
  models: string[] | null;
  /** Client address ranges (`203.0.113.0/24`, `2001:db8::/32`, or one address); null = anywhere. */
  allowedCidrs: string[] | null;
}

/** One accepted value of a key: its hash and, during a rotation grace, when it stops. */
export interface KeyHash {
  /** Lowercase hex SHA-256 of the whole key. */
  hash: string;
  /** Accepted until this instant (ms); null = the current value. */
  until: number | null;
}

/** A key made through the admin API, as the key store holds it (JSON). */
export interface StoredKey extends KeyScope {
  id: string;
  tier: string | null;
  /** ms since the epoch. */
  createdAt: number;
  hashes: KeyHash[];
}

/**
 * A compare-and-set on one record: `expect` is the record's current JSON (null: must not exist;
 * '*': must exist, any value), `next` the new JSON (null: delete). Resolves with the store's new
 * version, or a conflict.
 */
export type CasResult = { ok: true; version: number } | { ok: false; reason: 'exists' | 'changed' };

export interface KeyBackend {
  readonly kind: 'memory' | 'file' | 'redis';
  /** Every record and the version they are at (one consistent snapshot). */
  load(): Promise<{ keys: Map<string, string>; version: number }>;
  /** The store's change counter (cheap: the version poll). */
  version(): Promise<number>;
  /** One record's JSON, or null. */
  get(id: string): Promise<string | null>;
  cas(id: string, expect: string | null, next: string | null): Promise<CasResult>;
  /**
   * Change events from every replica (`id`, the version it made). `resync` is called when events
   * may have been missed (the subscription was re-established). Backends without other writers
   * (file, memory) never call either.
   */
  subscribe(onChange: (id: string, version: number) => void, resync: () => void): void;
  /** Last-used instants seen by this replica, merged into the store (approximate by design). */
  recordUse(used: ReadonlyMap<string, number>): Promise<void>;
  /** Last-used instants as the store knows them. */
  lastUsed(): Promise<Map<string, number>>;
  /** True while the backend's change feed is connected (always true for a local store). */
  connected(): boolean;
  close(): Promise<void>;
}

/** The store cannot be reached (Redis down, file unwritable): admin changes answer 503. */
export class KeyStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`key store unavailable: ${(cause as Error | undefined)?.message ?? String(cause)}`);
    this.name = 'KeyStoreUnavailableError';
  }
}
