/**
 * The key registry: what the auth policy looks a presented key up in, on every request, without
 * I/O. One map hash → key, built from the config's keys and the key store's records; the store's
 * part is replaced whole (a resync) or one record at a time (a change event). Ids are unique across
 * both sources: a store record whose id (or hash) a config key already has is ignored, and
 * reported through `onShadowed`.
 */
import { compileScope, OPEN_SCOPE, type CompiledScope } from './scope.js';
import type { StoredKey } from './types.js';
import { realClock, type Clock } from '../util/clock.js';
import type { ApiKeyEntry } from '../config/types.js';

export interface LiveKey {
  id: string;
  tier: string | null;
  source: 'config' | 'store';
  scope: CompiledScope;
  /** Last request this replica authenticated with the key (ms); 0 = none yet. */
  lastUsed: number;
}

export interface KeyHit {
  key: LiveKey;
  /** The presented value is accepted until then (a rotated-out value in its grace); null = current. */
  until: number | null;
  /** The hash itself (for the final constant-time comparison). */
  hash: Buffer;
}

/** What the auth policy needs: a lookup by lowercase hex SHA-256. */
export interface KeyLookup {
  lookup(hashHex: string): KeyHit | undefined;
  /** The clock expiry and rotation grace are judged by. */
  now(): number;
}

export class KeyRegistry implements KeyLookup {
  private readonly byHash = new Map<string, KeyHit>();
  private readonly config = new Map<string, LiveKey>();
  private readonly configHashes = new Map<string, string[]>();
  private readonly store = new Map<string, { live: LiveKey; hashes: string[] }>();
  private records = new Map<string, StoredKey>();

  constructor(configKeys: readonly ApiKeyEntry[], private readonly onShadowed: (id: string) => void = () => undefined, private readonly clock: Clock = realClock) {
    this.setConfigKeys(configKeys);
  }

  now(): number {
    return this.clock.now();
  }

  lookup(hashHex: string): KeyHit | undefined {
    return this.byHash.get(hashHex);
  }

  /** The config's keys (start-up, reload). Their last-used instants survive a reload. */
  setConfigKeys(keys: readonly ApiKeyEntry[]): void {
    for (const hashes of this.configHashes.values()) for (const h of hashes) this.byHash.delete(h);
    const before = new Map(this.config);
    this.config.clear();
    this.configHashes.clear();
    for (const k of keys) {
      const live: LiveKey = { id: k.id, tier: k.tier, source: 'config', scope: k.scope === undefined ? OPEN_SCOPE : compileScope(k.scope), lastUsed: before.get(k.id)?.lastUsed ?? 0 };
      const hex = k.hash.toString('hex');
      this.config.set(k.id, live);
      this.configHashes.set(k.id, [hex]);
      this.byHash.set(hex, { key: live, until: null, hash: k.hash });
    }
    // Store records are re-added: one may be shadowed now, or no longer.
    this.replaceStore(this.records);
  }

  /** Every store record at once (a full resync). */
  replaceStore(records: ReadonlyMap<string, StoredKey>): void {
    const used = new Map([...this.store.values()].map((s) => [s.live.id, s.live.lastUsed]));
    for (const id of [...this.store.keys()]) this.drop(id);
    this.records = new Map(records);
    for (const rec of records.values()) this.add(rec, used.get(rec.id) ?? 0);
  }

  /** One store record changed (null: removed). */
  applyStore(id: string, rec: StoredKey | null): void {
    const used = this.store.get(id)?.live.lastUsed ?? 0;
    this.drop(id);
    if (rec === null) this.records.delete(id);
    else {
      this.records.set(id, rec);
      this.add(rec, used);
    }
  }

  /** The record as the store holds it (null: not a store key). */
  record(id: string): StoredKey | null {
    return this.records.get(id) ?? null;
  }

  /** Config keys, then store keys not shadowed. */
  all(): LiveKey[] {
    return [...this.config.values(), ...[...this.store.values()].map((s) => s.live)];
  }

  configKey(id: string): LiveKey | undefined {
    return this.config.get(id);
  }

  get storeSize(): number {
    return this.store.size;
  }

  private add(rec: StoredKey, lastUsed: number): void {
    if (this.config.has(rec.id)) {
      this.onShadowed(rec.id);
      return;
    }
    const live: LiveKey = { id: rec.id, tier: rec.tier, source: 'store', scope: compileScope(rec), lastUsed };
    const hashes: string[] = [];
    for (const h of rec.hashes) {
      const taken = this.byHash.get(h.hash);
      if (taken !== undefined && taken.key.id !== rec.id) {
        this.onShadowed(rec.id);
        continue;
      }
      this.byHash.set(h.hash, { key: live, until: h.until, hash: Buffer.from(h.hash, 'hex') });
      hashes.push(h.hash);
    }
    this.store.set(rec.id, { live, hashes });
  }

  private drop(id: string): void {
    const cur = this.store.get(id);
    if (cur === undefined) return;
    for (const h of cur.hashes) if (this.byHash.get(h)?.key === cur.live) this.byHash.delete(h);
    this.store.delete(id);
  }
}
