/**
 * The key service: the registry the auth policy reads, kept in step with the key store, and the
 * operations of the admin API (create, rotate, revoke, update, list), each one audit line.
 *
 * Propagation (store.kind redis): a change is one script in Redis that also PUBLISHes it; every
 * replica applies the event at once (one HGET), reloads everything on a gap in the versions or a
 * re-established subscription, polls the version every `pollMs` (a lost message is caught within
 * that) and reloads everything every `resyncMs` whatever happens (the backstop).
 *
 * While the store is unreachable a replica keeps the last key set it knew, so it refuses keys it
 * has never seen and still accepts those it knew (a revocation made elsewhere meanwhile reaches it
 * when the store answers again); admin changes answer 503 MG_KEY_STORE_UNAVAILABLE. Expiry and
 * rotation grace are instants checked at each request, so they hold without the store.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { generateKey } from '../cli/keys.js';
import { hashKey } from '../policies/api-key.js';
import type { ApiKeyEntry, ModelgateConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import { KeyRegistry } from './registry.js';
import { configView, parseRecord, rotated, storeView, type KeyView } from './records.js';
import { KeyStoreUnavailableError, type KeyBackend, type KeyScope, type StoredKey } from './types.js';

export type KeyOp = 'create' | 'rotate' | 'revoke' | 'update' | 'reload';

export class KeyOpError extends Error {
  constructor(readonly code: 'MG_KEY_NOT_FOUND' | 'MG_KEY_EXISTS' | 'MG_KEY_CONFIG_MANAGED' | 'MG_KEY_STORE_UNAVAILABLE' | 'MG_ADMIN_BAD_REQUEST', detail: string) {
    super(detail);
    this.name = 'KeyOpError';
  }
}

export interface KeyServiceOptions {
  config: ModelgateConfig;
  backend: KeyBackend;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Version poll interval (default 1000 ms). */
  pollMs?: number;
  /** Full reload interval whatever the events say (default 5 min). */
  resyncMs?: number;
  /** How long start() waits for the store's first load (default 2000 ms). */
  startTimeoutMs?: number;
}

export interface KeyChange { tier?: string | null; scope?: Partial<KeyScope>; }

const FLUSH_USED_MS = 10_000;

export class KeyService {
  readonly registry: KeyRegistry;
  private version = -1;
  private chain: Promise<void> = Promise.resolve();
  private timer: TimerHandle | null = null;
  private closed = false;
  private lastResync = 0;
  private lastFlush = 0;
  private storeDown = false;
  private configKeys: ApiKeyEntry[];
  private readonly clock: Clock;
  private readonly audit: Logger;
  private readonly changes: Counter<'op'>;
  private readonly resyncs: Counter<'reason'>;

  constructor(private readonly o: KeyServiceOptions) {
    this.clock = o.clock ?? realClock;
    this.configKeys = o.config.auth.keys;
    this.audit = o.logger.child({}, { level: 'info' });
    this.registry = new KeyRegistry(this.configKeys, (id) => o.logger.error({ keyId: id }, 'key store record ignored: its id or value belongs to a config key'), this.clock);
    const registers = [o.registry];
    this.changes = new Counter({ name: 'modelgate_key_changes_total', help: 'Key changes made through this replica (create, rotate, revoke, update) and config reloads', labelNames: ['op'], registers });
    this.resyncs = new Counter({ name: 'modelgate_key_resyncs_total', help: 'Full reloads of the key store, by reason (start, gap, reconnect, poll, periodic)', labelNames: ['reason'], registers });
    const keys = this.registry;
    const clock = this.clock;
    const up = (): boolean => !this.storeDown && o.backend.connected();
    new Gauge({
      name: 'modelgate_keys_active', help: 'Keys accepted now (not expired), by source (config, store)', labelNames: ['source'], registers,
      collect() {
        const now = clock.now();
        const n = { config: 0, store: 0 };
        for (const k of keys.all()) if (k.scope.expiresAt === null || k.scope.expiresAt > now) n[k.source]++;
        this.set({ source: 'config' }, n.config);
        this.set({ source: 'store' }, n.store);
      },
    });
    new Gauge({
      name: 'modelgate_key_store_connected', help: 'The key store answers and its change feed is connected (1) or not (0): while 0 this replica serves the last key set it knew', registers,
      collect() { this.set(up() ? 1 : 0); },
    });
  }

  /** Loads the store (waiting at most startTimeoutMs), subscribes, starts the poll. */
  async start(): Promise<void> {
    this.o.backend.subscribe((id, v) => this.serial(() => this.onEvent(id, v)), () => this.serial(() => this.resync('reconnect')));
    // Not reachable at start: logged (failed()), the poll keeps trying; the gateway starts anyway.
    const first = this.serial(() => this.resync('start')).catch(() => undefined);
    const t = this.o.startTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((r) => { timer = setTimeout(r, t); })]);
    clearTimeout(timer);
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    await this.flushUsed().catch(() => undefined);
    await this.chain;
    await this.o.backend.close();
  }

  /** The config's keys changed (reload). Refuses ids the key store already has. */
  setConfigKeys(keys: ApiKeyEntry[]): void {
    this.configKeys = keys;
    this.registry.setConfigKeys(keys);
  }

  /** Ids of `keys` that a store key already has (a reload must not take them over). */
  takenByStore(keys: readonly ApiKeyEntry[]): string[] {
    return keys.filter((k) => this.registry.record(k.id) !== null).map((k) => k.id);
  }

  auditLine(who: string, op: KeyOp, keyId: string | null, extra: Record<string, unknown> = {}): void {
    this.changes.inc({ op });
    this.audit.info({ audit: 'keys', who, op, keyId, at: new Date(this.clock.now()).toISOString(), ...extra }, 'audit');
  }

  async list(): Promise<KeyView[]> {
    const used = await this.o.backend.lastUsed().catch(() => new Map<string, number>());
    const now = this.clock.now();
    const views: KeyView[] = this.configKeys.map((k) => configView(k, this.registry.configKey(k.id), used.get(k.id) ?? 0));
    for (const live of this.registry.all()) {
      if (live.source !== 'store') continue;
      const rec = this.registry.record(live.id);
      if (rec !== null) views.push(storeView(rec, Math.max(live.lastUsed, used.get(live.id) ?? 0), now));
    }
    return views;
  }

  async create(who: string, id: string, tier: string | null, scope: KeyScope): Promise<{ key: string; view: KeyView }> {
    if (this.registry.configKey(id) !== undefined) throw new KeyOpError('MG_KEY_EXISTS', `id ${id} is a config key`);
    const key = generateKey();
    const now = this.clock.now();
    const rec: StoredKey = { id, tier, createdAt: now, ...scope, hashes: [{ hash: hashKey(key).toString('hex'), until: null }] };
    const res = await this.store(() => this.o.backend.cas(id, null, JSON.stringify(rec)));
    if (!res.ok) throw new KeyOpError('MG_KEY_EXISTS', `id ${id} exists`);
    await this.applyOwn(id, rec, res.version);
    this.auditLine(who, 'create', id, { tier });
    return { key, view: storeView(rec, 0, now) };
  }

  async rotate(who: string, id: string, graceMs: number): Promise<{ key: string; view: KeyView }> {
    const key = generateKey();
    const hash = hashKey(key).toString('hex');
    const rec = await this.modify(id, (cur, now) => rotated(cur, hash, now, graceMs));
    this.auditLine(who, 'rotate', id, { graceMs });
    return { key, view: storeView(rec, 0, this.clock.now()) };
  }

  async update(who: string, id: string, change: KeyChange): Promise<KeyView> {
    const rec = await this.modify(id, (cur) => ({ ...cur, ...(change.tier !== undefined ? { tier: change.tier } : {}), ...change.scope }));
    this.auditLine(who, 'update', id, { fields: [...(change.tier !== undefined ? ['tier'] : []), ...Object.keys(change.scope ?? {})] });
    return storeView(rec, 0, this.clock.now());
  }

  async revoke(who: string, id: string): Promise<void> {
    if (this.registry.configKey(id) !== undefined) throw new KeyOpError('MG_KEY_CONFIG_MANAGED', id);
    const res = await this.store(() => this.o.backend.cas(id, '*', null));
    if (!res.ok) throw new KeyOpError('MG_KEY_NOT_FOUND', id);
    await this.applyOwn(id, null, res.version);
    this.auditLine(who, 'revoke', id);
  }

  /** Read, change, compare-and-set; again if another replica changed the record meanwhile. */
  private async modify(id: string, f: (cur: StoredKey, now: number) => StoredKey): Promise<StoredKey> {
    if (this.registry.configKey(id) !== undefined) throw new KeyOpError('MG_KEY_CONFIG_MANAGED', id);
    for (let attempt = 0; attempt < 5; attempt++) {
      const json = await this.store(() => this.o.backend.get(id));
      const cur = json === null ? null : parseRecord(json);
      if (json === null || cur === null) throw new KeyOpError('MG_KEY_NOT_FOUND', id);
      const next = f(cur, this.clock.now());
      const res = await this.store(() => this.o.backend.cas(id, json, JSON.stringify(next)));
      if (res.ok) {
        await this.applyOwn(id, next, res.version);
        return next;
      }
    }
    throw new KeyOpError('MG_KEY_STORE_UNAVAILABLE', `key ${id} kept changing`);
  }

  private async store<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw new KeyOpError('MG_KEY_STORE_UNAVAILABLE', new KeyStoreUnavailableError(err).message);
    }
  }

  /** A change this replica made: in effect here before the admin call answers. */
  private applyOwn(id: string, rec: StoredKey | null, version: number): Promise<void> {
    return this.serial(async () => {
      this.registry.applyStore(id, rec);
      if (version === this.version + 1) this.version = version;
      else if (version > this.version) await this.resync('gap');
    });
  }

  private async onEvent(id: string, version: number): Promise<void> {
    if (version <= this.version) return;
    if (version !== this.version + 1) return this.resync('gap');
    const json = await this.o.backend.get(id);
    const rec = json === null ? null : parseRecord(json);
    if (json !== null && rec === null) this.o.logger.error({ keyId: id }, 'key store record unreadable; ignored');
    this.registry.applyStore(id, rec);
    this.version = version;
  }

  private async resync(reason: string): Promise<void> {
    const snap = await this.o.backend.load();
    const records = new Map<string, StoredKey>();
    for (const [id, json] of snap.keys) {
      const rec = parseRecord(json);
      if (rec === null || rec.id !== id) this.o.logger.error({ keyId: id }, 'key store record unreadable; ignored');
      else records.set(id, rec);
    }
    this.registry.replaceStore(records);
    this.version = snap.version;
    this.lastResync = this.clock.now();
    this.resyncs.inc({ reason });
    if (this.storeDown) {
      this.storeDown = false;
      this.o.logger.info({ keys: records.size }, 'key store reachable again; key set reloaded');
    }
  }

  /** Runs `f` after everything queued before it; its failure is logged, never thrown to the queue. */
  private serial(f: () => Promise<void>): Promise<void> {
    const run = this.chain.then(f);
    this.chain = run.catch((err: unknown) => this.failed(err));
    return run;
  }

  private failed(err: unknown): void {
    if (this.storeDown) return;
    this.storeDown = true;
    this.o.logger.warn({ err: (err as Error).message }, 'key store unreachable; serving the last known key set (keys never seen are refused)');
  }

  private schedule(): void {
    if (this.closed || this.o.backend.kind !== 'redis') return;
    this.timer = this.clock.setTimeout(() => { void this.tick(); }, this.o.pollMs ?? 1000);
  }

  private async tick(): Promise<void> {
    const now = this.clock.now();
    await this.serial(async () => {
      if (now - this.lastResync >= (this.o.resyncMs ?? 300_000)) return this.resync('periodic');
      const v = await this.o.backend.version();
      if (v !== this.version) await this.resync('poll');
      else if (this.storeDown) await this.resync('poll');
    }).catch(() => undefined);
    if (now - this.lastFlush >= FLUSH_USED_MS) {
      this.lastFlush = now;
      await this.flushUsed().catch(() => undefined);
    }
    this.schedule();
  }

  private flushed = new Map<string, number>();

  /** Last-used instants seen here since the last flush, merged into the store (approximate). */
  private async flushUsed(): Promise<void> {
    const seen = new Map<string, number>();
    for (const k of this.registry.all()) if (k.lastUsed > (this.flushed.get(k.id) ?? 0)) seen.set(k.id, k.lastUsed);
    if (seen.size === 0) return;
    await this.o.backend.recordUse(seen);
    for (const [id, t] of seen) this.flushed.set(id, t);
  }
}
