/**
 * Abuse detection for one replica: the local set of bans (checked on the hot path), the rules fed
 * by every settled request, and the bans they make — written to the store, which tells every
 * replica (src/abuse/ban-store*.ts).
 *
 * What is counted where:
 *   authFailures      per IP, in the store: shared by every replica (key scanning spread over
 *                     replicas by a load balancer is still caught); while the store fails, per
 *                     replica in memory
 *   errorRate, payloadEscalation, regularIntervals, keySpread
 *                     per replica, in memory (src/abuse/rules.ts): N replicas behind a balancer
 *                     each see about 1/N of a caller's requests (see docs/configuration.md)
 *
 * Every detection is counted and logged once per subject and rule until its verdict runs out
 * (banFor, for flags too): a bot flagged at 10:00 is not flagged again on every request.
 * Exempt tiers are never observed, never banned, and a ban on their key is not enforced.
 */
import { EventEmitter } from 'node:events';
import { LRUCache } from 'lru-cache';
import type { AbuseConfig } from '../config/abuse.js';
import type { Logger } from '../observability/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { RequestContext } from '../pipeline/context.js';
import { canonicalIp } from './address.js';
import { BanSet, makeBan, type Ban, type BanKind } from './bans.js';
import { createMemoryBanStore, type BanChange, type BanStore } from './ban-store.js';
import type { AbuseMetrics } from './metrics.js';
import { Rules, type Detection, type Observation } from './rules.js';

/** A settled request, reduced to what abuse detection reads. */
export interface Settled {
  /** Client address as the gateway derived it (X-Forwarded-For only from trusted proxies). */
  ip: string;
  keyId: string | null;
  /** The key's tier is exempt. */
  exempt: boolean;
  /** The error code it was refused with, if any. */
  code: string | null;
  /** Injection detection flagged it (flag mode). */
  injectionFlagged: boolean;
  /** Prompt characters, when the protocol counts them. */
  promptChars: number | null;
  bodyBytes: number | null;
  /** Time from arrival to settle, ms (the arrival time is the clock's now minus this). */
  elapsedMs: number;
}

/** Codes of refusals by validation or injection detection: what errorRate counts as probing. */
const PROBING = /^MG_(REQUEST_INVALID|TOO_MANY_|MESSAGE_TOO_LONG|PROMPT_TOO_LONG|MAX_TOKENS_TOO_LARGE|PARAM_OUT_OF_RANGE|INPUT_REJECTED|JSON_|TENSOR_|BATCH_TOO_LARGE|IMAGE_|MODEL_NOT_FOUND|COST_OVER_LIMIT|UNSUPPORTED_|BODY_TOO_LARGE|BODY_COMPRESSION_RATIO|BODY_CORRUPT|BODY_INVALID_UTF8)/;
const AUTH_FAILURES = new Set(['MG_AUTH_MISSING', 'MG_AUTH_INVALID']);

export interface AbuseDeps {
  config: AbuseConfig;
  store: BanStore;
  clock: Clock;
  logger: Logger;
  metrics: AbuseMetrics;
  /** Whether a tier (the key's own, else the default) is exempt. */
  exempt?: (tier: string | null) => boolean;
}

export class Abuse extends EventEmitter<{ applied: [Ban]; lifted: [string] }> {
  readonly bans = new BanSet();
  readonly rules: Rules;
  private readonly verdicts: LRUCache<string, number>;
  /**
   * Bans made here that the store has not taken yet: kept in force and written again — on every
   * full read of the set, and every `pollInterval` until the store takes them (a store that
   * refused a write and stayed connected — Redis over maxmemory, a replica turned read-only —
   * gives no full read to wait for).
   */
  private readonly pending = new Map<string, Ban>();
  private retryTimer: TimerHandle | null = null;
  /** A round of writes of the pending bans is in flight (one at a time). */
  private retrying = false;
  private closed = false;
  /**
   * Failures counted here while the store cannot count them (Redis down, slow, not yet connected):
   * a replica still bans an address that reaches the threshold on it alone, instead of dropping
   * the failure (which let key scanning run unchecked for as long as Redis was away).
   */
  private readonly localCounts: BanStore;

  constructor(private readonly deps: AbuseDeps) {
    super();
    this.rules = new Rules(deps.config);
    this.verdicts = new LRUCache({ max: deps.config.maxTracked });
    this.localCounts = createMemoryBanStore({ maxCounters: deps.config.maxTracked });
    deps.store.watch((c) => this.apply(c));
  }

  get config(): AbuseConfig { return this.deps.config; }

  /** A shared store's first full read of the bans (undefined for a store with nothing to read). */
  get storeReady(): ((ms: number) => Promise<boolean>) | undefined {
    const s = this.deps.store as Partial<{ waitReady(ms: number): Promise<boolean> }>;
    return typeof s.waitReady === 'function' ? (ms) => (s.waitReady as (ms: number) => Promise<boolean>)(ms) : undefined;
  }

  private apply(c: BanChange): void {
    if (c.op === 'add') {
      const known = this.bans.get(c.ban.id);
      this.bans.add(c.ban);
      this.pending.delete(c.ban.id);
      if (known === undefined) this.emit('applied', c.ban);
    } else if (c.op === 'remove') {
      if (this.bans.remove(c.id) !== null) this.emit('lifted', c.id);
    } else {
      const before = new Set(this.bans.active(this.deps.clock.now()).map((b) => b.id));
      this.bans.replace([...c.bans, ...this.pending.values()]);
      for (const b of c.bans) if (!before.delete(b.id)) this.emit('applied', b);
      for (const id of before) if (this.bans.get(id) === undefined) this.emit('lifted', id);
      this.retryPending();
    }
  }

  private retryPending(): void {
    if (this.retrying || this.closed) return;
    const now = this.deps.clock.now();
    const writes: Promise<void>[] = [];
    for (const ban of this.pending.values()) {
      if (ban.expiresAt <= now) { this.pending.delete(ban.id); continue; } // nothing left to share
      writes.push(this.deps.store.addBan(ban).then(() => { this.pending.delete(ban.id); }));
    }
    if (writes.length === 0) return;
    this.retrying = true;
    void Promise.allSettled(writes).then(() => {
      this.retrying = false;
      if (this.pending.size > 0) this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = null;
      this.retryPending();
    }, this.deps.config.pollIntervalMs);
  }

  /** The ban on this client address, if any (the address is canonicalised first). */
  ipBan(ip: string): Ban | null {
    if (this.bans.size === 0) return null;
    const c = canonicalIp(ip);
    return c === null ? null : this.bans.ip(c, this.deps.clock.now());
  }

  keyBan(keyId: string): Ban | null {
    if (this.bans.size === 0) return null;
    return this.bans.key(keyId, this.deps.clock.now());
  }

  /** Seconds until a ban ends, at least 1 (Retry-After). */
  retryAfter(ban: Ban): string {
    return String(Math.max(1, Math.ceil((ban.expiresAt - this.deps.clock.now()) / 1000)));
  }

  refused(ban: Ban): void {
    this.deps.metrics.refused.inc({ kind: ban.kind });
  }

  /** Bans a caller: in force here at once, on every replica once the store has it. */
  async ban(kind: BanKind, value: string, rule: string, durationMs: number): Promise<Ban> {
    const ban = makeBan(kind, value, rule, this.deps.clock.now(), durationMs);
    this.bans.add(ban);
    this.emit('applied', ban);
    this.deps.metrics.bans.inc({ kind, rule });
    try {
      await this.deps.store.addBan(ban);
    } catch (err) {
      this.pending.set(ban.id, ban);
      this.scheduleRetry();
      this.deps.metrics.storeFailures.inc({ op: 'add' });
      this.deps.logger.warn({ banId: ban.id, err: (err as Error).message }, 'abuse: ban store unavailable; ban in force on this replica only until it is written');
    }
    return ban;
  }

  /** Lifts a ban everywhere; returns it, or null when there was none. */
  async lift(id: string): Promise<Ban | null> {
    this.pending.delete(id);
    const stored = await this.deps.store.removeBan(id); // every replica (this one too) hears of it
    const local = this.bans.remove(id); // a ban only this replica had (store down when it was made)
    if (local !== null) this.emit('lifted', id);
    return stored ?? local;
  }

  async list(): Promise<Ban[]> {
    return this.deps.store.listBans(this.deps.clock.now());
  }

  /** settle's hook: the request, as the rules see it. */
  observeRequest(ctx: RequestContext): Promise<void> {
    const id = ctx.identity;
    return this.observe({
      ip: ctx.ip,
      keyId: id?.keyId ?? null,
      exempt: id !== null && this.deps.exempt?.(id.tier) === true,
      code: ctx.denial?.code ?? null,
      injectionFlagged: ctx.flags.includes('injection'),
      promptChars: ctx.inspection?.totalChars ?? null,
      bodyBytes: ctx.rawBody?.length ?? null,
      elapsedMs: Number(process.hrtime.bigint() - ctx.startedAt) / 1e6,
    });
  }

  /** Feeds a settled request to the rules; resolves when its detections (and bans) are done. */
  async observe(s: Settled): Promise<void> {
    if (s.code === 'MG_TEMPORARILY_BLOCKED' || s.exempt) return;
    const ip = canonicalIp(s.ip);
    if (ip === null) return;
    const now = this.deps.clock.now();
    const c = this.deps.config;
    if (s.code !== null && AUTH_FAILURES.has(s.code)) {
      if (c.authFailures === null) return;
      let n: number;
      try {
        n = await this.deps.store.hit(`auth:${ip}`, c.authFailures.windowMs, now);
      } catch {
        this.deps.metrics.storeFailures.inc({ op: 'hit' });
        n = await this.localCounts.hit(`auth:${ip}`, c.authFailures.windowMs, now);
      }
      if (n >= c.authFailures.threshold) {
        await this.detected({ rule: 'authFailures', action: c.authFailures.action, subject: { kind: 'ip', value: ip }, banForMs: c.authFailures.banForMs, detail: { failures: Math.round(n) } });
      }
      return;
    }
    if (s.keyId === null) return;
    const o: Observation = {
      at: now - s.elapsedMs,
      ip,
      keyId: s.keyId,
      refused: s.injectionFlagged || (s.code !== null && PROBING.test(s.code)),
      size: s.promptChars !== null && s.promptChars > 0 ? s.promptChars : s.bodyBytes,
    };
    for (const d of this.rules.observe(o)) await this.detected(d);
  }

  private async detected(d: Detection): Promise<void> {
    const verdict = `${d.rule}|${d.subject.kind}|${d.subject.value}`;
    const now = this.deps.clock.now();
    const until = this.verdicts.get(verdict);
    if (until !== undefined && until > now) return;
    if (d.action !== 'flag' && (d.subject.kind === 'ip' ? this.bans.ip(d.subject.value, now) : this.bans.key(d.subject.value, now)) !== null) return;
    this.verdicts.set(verdict, now + d.banForMs);
    this.deps.metrics.detected.inc({ rule: d.rule, action: d.action });
    // An address may be logged; a key only by its id (the subject of a key rule is the id).
    const who = d.subject.kind === 'ip' ? { ip: d.subject.value } : { keyId: d.subject.value };
    this.deps.logger.warn({ rule: d.rule, action: d.action, ...who, ...d.detail, banForMs: d.action === 'flag' ? undefined : d.banForMs }, d.action === 'flag' ? 'abuse: flagged' : 'abuse: banned');
    if (d.action !== 'flag') await this.ban(d.subject.kind, d.subject.value, d.rule, d.banForMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) this.deps.clock.clearTimeout(this.retryTimer);
    this.removeAllListeners();
    await this.deps.store.close();
  }
}
