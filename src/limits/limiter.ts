/**
 * The limiter: turns tiers, per-IP and per-route limits into store operations, and applies the
 * store's failure policy.
 *
 * Scopes and store keys (the first two segments are the owner, the Redis hash tag):
 *   ip:<addr>:req | ip:<addr>:cost                     per client IP (requests before auth)
 *   key:<id>:req | key:<id>:cost | key:<id>:budget      per API key, from its tier
 *   key:<id>:r<route>:req | key:<id>:r<route>:cost      per key on one route
 *   key:<id>:conc                                       concurrency leases
 *
 * Store failure (`store.onError`): `fail-closed` refuses (503 MG_STORE_UNAVAILABLE); `fail-open`
 * admits, counted and logged; `local` decides with an in-process memory store whose limits are
 * divided by `store.replicas` until the shared store answers again.
 */
import { deny, type Denial, type ErrorCode } from '../errors.js';
import type { ModelgateConfig, RateSpec, TierConfig } from '../config/types.js';
import { StoreUnavailableError, type BucketOp, type BudgetOp, type OpResult, type RateLimit, type Store } from './stores/types.js';
import { createMemoryStore } from './stores/memory.js';
import { LeaseKeeper, type LeaseKeeperOptions } from './leases.js';
import { errorMessage, type Emitter } from '../observability/events.js';

interface Tagged { op: BucketOp; code: ErrorCode; policy: string; }

/** What admission took, to be corrected once the actual cost is known. */
export interface Reservation {
  buckets: { key: string; limit: RateLimit }[];
  budget: { key: string; periodMs: number; windowStart: number } | null;
  estimate: number;
  /** The store that recorded it (the shared one, or the local fallback). */
  store: Store;
}

export type AdmitResult = { reservation: Reservation } | { denial: Denial };

/** The owner segment of an IP's keys: IPv6 colons would split the Redis hash tag, so they become '_'. */
function ipOwner(ip: string): string {
  return `ip:${ip.replace(/:/g, '_')}`;
}

function limitOf(spec: RateSpec, divisor: number): RateLimit {
  const rate = spec.rate / divisor;
  return spec.algorithm === 'sliding-window'
    ? { kind: 'sliding-window', rate, periodMs: spec.periodMs }
    : { kind: 'gcra', rate, periodMs: spec.periodMs, burst: spec.burst / divisor };
}

/** IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) plus Retry-After, for one refused limit. */
function limitHeaders(policy: string, limit: RateLimit | { quota: number; periodMs: number }, r: OpResult): Record<string, string> {
  const quota = 'quota' in limit ? limit.quota : limit.kind === 'gcra' ? limit.burst : limit.rate;
  const retry = r.retryAfterMs < 0 ? null : Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  const h: Record<string, string> = {
    'ratelimit-policy': `"${policy}";q=${Math.floor(quota)};w=${Math.ceil(limit.periodMs / 1000)}`,
    ratelimit: `"${policy}";r=${Math.max(0, Math.floor(r.remaining))};t=${Math.ceil(Math.max(r.resetMs, r.retryAfterMs, 0) / 1000)}`,
  };
  if (retry !== null) h['retry-after'] = String(retry);
  return h;
}

/**
 * What this replica last learned about a GCRA cost bucket: its capacity (units a request could
 * take; negative = in debt) at local time `at`. It refills at 1 unit per `msPerUnit`, up to the
 * burst; other replicas can only lower it (their refunds are not seen: see Limiter.known).
 */
interface Known { capacity: number; at: number; msPerUnit: number; burst: number; limit: RateLimit; policy: string; }

/** Bound on remembered buckets (oldest forgotten first): forgetting one only costs work. */
const MAX_KNOWN = 100_000;

export class Limiter {
  /**
   * Cost buckets as this replica last saw them (from each admission decision). A request whose
   * cost is certainly over what its bucket can hold now is refused before the expensive work:
   * in the request phase, a key in debt (inDebt: before its body is read); after validation, a
   * request whose cost lower bound does not fit (cannotFit: before tokenizing). A refund seen
   * here (reconcile) forgets the bucket; a refund on another replica is not seen, so a key may be
   * refused up to the Retry-After it was already given.
   */
  private readonly known = new Map<string, Known>();
  private readonly config: ModelgateConfig;
  private readonly shared: Store;
  private readonly local: Store | null;
  /** store.failed events (metrics and the log). */
  private readonly events: Emitter;
  /** Concurrency leases: short TTL, refreshed while held, releases retried (src/limits/leases.ts). */
  readonly leases: LeaseKeeper;

  constructor(config: ModelgateConfig, store: Store, events: Emitter, opts: { leases?: LeaseKeeperOptions } = {}) {
    this.config = config;
    this.shared = store;
    this.events = events;
    this.local = config.store.onError === 'local' ? createMemoryStore() : null;
    this.leases = new LeaseKeeper(opts.leases);
  }

  tierOf(tierName: string | null): TierConfig | null {
    const name = tierName ?? this.config.defaultTier;
    return name === null ? null : this.config.tiers.get(name) ?? null;
  }

  /** Runs a store call under the failure policy. `fallback` decides with the local store. */
  private async guarded<T>(call: (store: Store, divisor: number) => Promise<T>, open: T): Promise<T | Denial> {
    try {
      return await call(this.shared, 1);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      const mode = this.config.store.onError;
      this.events.emit({ type: 'store.failed', mode, error: errorMessage(err) });
      if (mode === 'fail-open') return open;
      if (mode === 'local' && this.local !== null) return call(this.local, this.config.store.replicas);
      return deny('MG_STORE_UNAVAILABLE', 'store unavailable');
    }
  }

  private static refused(tagged: Tagged[], buckets: OpResult[]): Denial {
    for (let i = 0; i < tagged.length; i++) {
      const r = buckets[i];
      const t = tagged[i] as Tagged;
      if (r === undefined || r.allowed) continue;
      if (r.retryAfterMs < 0) return deny('MG_COST_OVER_LIMIT', `${t.op.key}: cost ${t.op.cost} over burst`);
      return deny(t.code, t.op.key, limitHeaders(t.policy, t.op.limit, r));
    }
    return deny('MG_RATE_LIMITED_REQUESTS', 'refused');
  }

  /** Remember what each GCRA cost bucket of a decision can hold now. */
  private learn(tagged: Tagged[], buckets: OpResult[], now: number): void {
    for (let i = 0; i < tagged.length; i++) {
      const r = buckets[i];
      const t = tagged[i] as Tagged;
      const limit = t.op.limit;
      if (r === undefined || t.code !== 'MG_RATE_LIMITED_COST' || limit.kind !== 'gcra') continue;
      const msPerUnit = limit.periodMs / limit.rate;
      let capacity: number;
      if (r.allowed) capacity = r.remaining + 1; // remaining is floored
      else if (r.retryAfterMs > 0) capacity = t.op.cost - (r.retryAfterMs - 1) / msPerUnit; // retry-after is rounded up
      else continue;
      if (!this.known.has(t.op.key) && this.known.size >= MAX_KNOWN) this.known.delete(this.known.keys().next().value as string);
      this.known.set(t.op.key, { capacity, at: now, msPerUnit, burst: limit.burst, limit, policy: t.policy });
    }
  }

  /**
   * A refusal when one of the key's cost buckets (the tier's, or this route's) certainly cannot
   * take `cost` units now, from what this replica last learned of it; else undefined.
   */
  cannotFit(keyId: string, routeIndex: number, cost: number, now = Date.now()): Denial | undefined {
    if (this.known.size === 0) return undefined;
    for (const key of [`key:${keyId}:cost`, `key:${keyId}:r${routeIndex}:cost`]) {
      const k = this.known.get(key);
      if (k === undefined) continue;
      const capacity = Math.min(k.burst, k.capacity + (now - k.at) / k.msPerUnit);
      if (capacity >= k.burst) {
        this.known.delete(key); // full again: nothing left to know
        continue;
      }
      if (cost <= capacity || cost > k.burst) continue; // fits, or over the burst (the full check says so)
      const wait = Math.ceil((cost - capacity) * k.msPerUnit);
      return deny('MG_RATE_LIMITED_COST', `${key}: cannot fit ${cost}`, limitHeaders(k.policy, k.limit, { key, allowed: false, remaining: 0, retryAfterMs: wait, resetMs: wait }));
    }
    return undefined;
  }

  /**
   * The least any of the key's known cost buckets can take now (Infinity when none is known or
   * all are full): a request whose cost lower bound is not above this needs the full check.
   */
  headroom(keyId: string, routeIndex: number, now = Date.now()): number {
    if (this.known.size === 0) return Infinity;
    let room = Infinity;
    for (const key of [`key:${keyId}:cost`, `key:${keyId}:r${routeIndex}:cost`]) {
      const k = this.known.get(key);
      if (k !== undefined) room = Math.min(room, k.burst, k.capacity + (now - k.at) / k.msPerUnit);
    }
    return room;
  }

  /** Request phase, before the body is read: a key whose cost bucket is in debt. */
  inDebt(keyId: string, routeIndex: number, now = Date.now()): Denial | undefined {
    return this.cannotFit(keyId, routeIndex, 1, now);
  }

  /** Per-IP request count, in the request phase (before authentication). */
  async checkIp(ip: string): Promise<Denial | undefined> {
    const spec = this.config.perIp.requests;
    if (spec === null) return undefined;
    const res = await this.guarded(async (store, div) => {
      const tagged: Tagged[] = [{ op: { key: `${ipOwner(ip)}:req`, limit: limitOf(spec, div), cost: 1 }, code: 'MG_RATE_LIMITED_IP', policy: 'ip-requests' }];
      const r = await store.consume(tagged.map((t) => t.op), []);
      return r.allowed ? undefined : Limiter.refused(tagged, r.buckets);
    }, undefined);
    return res;
  }

  /**
   * Admission for one request of an authenticated key: request count and cost of the tier, the
   * route's own limits, the per-IP cost limit and the budget — reserved atomically at the
   * estimate. Exempt tiers and keys without a tier reserve nothing here.
   */
  async admit(keyId: string, tier: TierConfig | null, ip: string, routeIndex: number, estimate: number): Promise<AdmitResult> {
    const route = this.config.routes[routeIndex];
    const ipCost = this.config.perIp.cost;
    return this.guarded<AdmitResult>(async (store, div) => {
      const tagged: Tagged[] = [];
      if (tier !== null && !tier.exempt) {
        if (tier.requests !== null) tagged.push({ op: { key: `key:${keyId}:req`, limit: limitOf(tier.requests, div), cost: 1 }, code: 'MG_RATE_LIMITED_REQUESTS', policy: 'requests' });
        if (tier.cost !== null) tagged.push({ op: { key: `key:${keyId}:cost`, limit: limitOf(tier.cost, div), cost: estimate }, code: 'MG_RATE_LIMITED_COST', policy: 'cost' });
      }
      if (route !== undefined && !(tier?.exempt ?? false)) {
        const rl = route.rateLimits;
        if (rl.requests !== null) tagged.push({ op: { key: `key:${keyId}:r${routeIndex}:req`, limit: limitOf(rl.requests, div), cost: 1 }, code: 'MG_RATE_LIMITED_REQUESTS', policy: 'route-requests' });
        if (rl.cost !== null) tagged.push({ op: { key: `key:${keyId}:r${routeIndex}:cost`, limit: limitOf(rl.cost, div), cost: estimate }, code: 'MG_RATE_LIMITED_COST', policy: 'route-cost' });
      }
      const budgets: BudgetOp[] = [];
      const budget = tier !== null && !tier.exempt ? tier.budget : null;
      if (budget !== null) {
        if (estimate > budget.cost / div) return { denial: deny('MG_COST_OVER_LIMIT', 'estimate over the whole budget') };
        budgets.push({ key: `key:${keyId}:budget`, limit: budget.cost / div, periodMs: budget.periodMs, cost: estimate });
      }
      // The IP's cost bucket is another owner (another hash tag): its own decision, first.
      let ipOp: BucketOp | null = null;
      if (ipCost !== null) {
        const t: Tagged = { op: { key: `${ipOwner(ip)}:cost`, limit: limitOf(ipCost, div), cost: estimate }, code: 'MG_RATE_LIMITED_COST', policy: 'ip-cost' };
        const r = await store.consume([t.op], []);
        if (!r.allowed) return { denial: Limiter.refused([t], r.buckets) };
        ipOp = t.op;
      }
      const reservation: Reservation = { buckets: [], budget: null, estimate, store };
      if (ipOp !== null) reservation.buckets.push({ key: ipOp.key, limit: ipOp.limit });
      if (tagged.length === 0 && budgets.length === 0) return { reservation };
      let r;
      try {
        r = await store.consume(tagged.map((t) => t.op), budgets);
      } catch (err) {
        if (ipOp !== null) await this.refund(reservation).catch(() => undefined);
        throw err;
      }
      if (!r.allowed) {
        if (ipOp !== null) await this.refund(reservation).catch(() => undefined);
        const b = r.budgets[0];
        if (b !== undefined && !b.allowed && budget !== null) {
          return { denial: deny('MG_BUDGET_EXHAUSTED', 'budget', limitHeaders('budget', { quota: budget.cost / div, periodMs: budget.periodMs }, { ...b, retryAfterMs: b.resetMs })) };
        }
        this.learn(tagged, r.buckets, Date.now());
        return { denial: Limiter.refused(tagged, r.buckets) };
      }
      this.learn(tagged, r.buckets, Date.now());
      for (const t of tagged) if (t.op.cost > 0 && t.policy.endsWith('cost')) reservation.buckets.push({ key: t.op.key, limit: t.op.limit });
      if (budget !== null) reservation.budget = { key: `key:${keyId}:budget`, periodMs: budget.periodMs, windowStart: r.budgetWindowStart };
      return { reservation };
    }, { reservation: { buckets: [], budget: null, estimate, store: this.shared } }).then((v) => ('code' in v ? { denial: v } : v));
  }

  /**
   * Correct a reservation to the actual cost (refund when lower, charge when higher). The IP
   * scope and the key scope are adjusted in separate calls: in Redis Cluster they live under
   * different hash tags, and a correction needs no atomicity across them.
   */
  async reconcile(res: Reservation, actual: number): Promise<void> {
    const delta = actual - res.estimate;
    if (delta === 0 || (res.buckets.length === 0 && res.budget === null)) return;
    if (delta < 0) for (const b of res.buckets) this.known.delete(b.key);
    const ipBuckets = res.buckets.filter((b) => b.key.startsWith('ip:'));
    const keyBuckets = res.buckets.filter((b) => !b.key.startsWith('ip:'));
    const calls: Promise<void>[] = [];
    if (ipBuckets.length > 0) calls.push(res.store.adjust(ipBuckets.map((b) => ({ key: b.key, limit: b.limit, delta })), []));
    if (keyBuckets.length > 0 || res.budget !== null) {
      calls.push(res.store.adjust(
        keyBuckets.map((b) => ({ key: b.key, limit: b.limit, delta })),
        res.budget === null ? [] : [{ key: res.budget.key, periodMs: res.budget.periodMs, windowStart: res.budget.windowStart, delta }],
      ));
    }
    await Promise.all(calls);
  }

  /** Give the whole estimate back (the request never reached the model). */
  refund(res: Reservation): Promise<void> {
    return this.reconcile(res, 0);
  }

  /**
   * A per-key concurrency lease; returns a release function (never rejects; call it once), or a
   * denial. The lease lives `leases.ttlMs` in the store and is refreshed until released.
   */
  async lease(keyId: string, tier: TierConfig | null, leaseId: string): Promise<(() => Promise<void>) | Denial> {
    const limit = tier === null || tier.exempt ? null : tier.concurrency;
    if (limit === null) return async () => undefined;
    const key = `key:${keyId}:conc`;
    const res = await this.guarded(async (store, div) => {
      const r = await this.leases.acquire(store, key, leaseId, Math.max(1, Math.floor(limit / div)));
      if (!r.acquired) return deny('MG_CONCURRENCY_LIMIT', `${r.inUse} in flight`, { 'retry-after': '1' });
      return () => this.leases.release(store, key, leaseId);
    }, async () => undefined);
    return res;
  }
}
