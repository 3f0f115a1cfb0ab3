/**
 * The store contract: where rate-limit buckets, budgets and concurrency leases live. Two
 * implementations pass the same contract suite (test/limits/store-contract.ts):
 *   - memory: embedded, one replica; O(1) per decision; idle state evicted so memory stays bounded.
 *   - redis:  many replicas; every call is exactly ONE round trip running one atomic Lua script;
 *             Redis server time (TIME), never the replica's clock; Cluster-safe hash tags.
 *
 * Units: `cost` is an abstract number of units (requests, tokens, pixels/1000…); times are ms.
 */

/** A GCRA / token-bucket limit: `rate` units per `periodMs`, at most `burst` units at once. */
export interface BucketLimit {
  kind: 'gcra';
  rate: number;
  periodMs: number;
  burst: number;
}

/** A sliding-window limit: at most `rate` units in any `periodMs` (two-window estimate). */
export interface WindowLimit {
  kind: 'sliding-window';
  rate: number;
  periodMs: number;
}

export type RateLimit = BucketLimit | WindowLimit;

/** One check inside an atomic `consume`: take `cost` units from the bucket at `key`. */
export interface BucketOp {
  /** The logical key, e.g. "key:acme-prod:cost" or "ip:203.0.113.9:requests". */
  key: string;
  limit: RateLimit;
  cost: number;
}

/** A budget: at most `limit` units per fixed window of `periodMs` (e.g. per day), aligned to the epoch. */
export interface BudgetOp {
  key: string;
  limit: number;
  periodMs: number;
  cost: number;
}

export interface OpResult {
  key: string;
  allowed: boolean;
  /** Units left after this decision (0 when refused). */
  remaining: number;
  /** ms until this op could be allowed (0 when allowed; -1 when it never can: cost over burst / over the budget). */
  retryAfterMs: number;
  /** ms until the bucket/window is full again / the budget window resets. */
  resetMs: number;
  /**
   * Budgets only: epoch ms of the window this op was decided in. Needed because budgets of one
   * call may have different periods (day and month), so one `budgetWindowStart` cannot serve all;
   * pass it back as `BudgetAdjustment.windowStart`. Absent on bucket results.
   */
  windowStart?: number;
}

export interface ConsumeResult {
  /**
   * True only if EVERY op allowed; then all were applied. If any refuses, NONE is applied: each op
   * still reports its own `allowed`, but `remaining`/`resetMs` then describe the unchanged state.
   * Ops on the same key within one call are applied in order (the second sees the first).
   */
  allowed: boolean;
  buckets: OpResult[];
  budgets: OpResult[];
}

/** A correction after the fact (reconciliation): positive charges more, negative refunds. Never refuses. */
export interface Adjustment {
  key: string;
  limit: RateLimit;
  delta: number;
}
export interface BudgetAdjustment {
  key: string;
  periodMs: number;
  delta: number;
  /** The window the original reservation was made in (epoch ms of its start), so a refund after midnight goes to the right day. */
  windowStart: number;
}

export interface LeaseResult {
  acquired: boolean;
  /** Current holders including this one when acquired. */
  inUse: number;
}

export interface Store {
  readonly kind: 'memory' | 'redis';
  /**
   * Atomically check all bucket ops and budget ops; apply them all only if all allow.
   * Returns the per-op results (in the order given) and, for budgets, the window start used
   * (`budgetWindowStart`, epoch ms) so that adjustments can target the same window.
   * `budgetWindowStart` is the FIRST budget's window (0 when there are no budgets); with budgets of
   * different periods use each budget result's `windowStart`. A refused budget reports
   * `retryAfterMs` = time to its window reset (-1 when cost > limit).
   */
  consume(buckets: BucketOp[], budgets: BudgetOp[]): Promise<ConsumeResult & { budgetWindowStart: number }>;
  /** Apply corrections (refunds or extra charges); never refuses, never goes below "full". */
  adjust(buckets: Adjustment[], budgets: BudgetAdjustment[]): Promise<void>;
  /**
   * A concurrency lease: at most `limit` holders of `key` at once. `leaseId` is unique per request;
   * `ttlMs` frees the lease if its holder stops refreshing it (a dead replica, a lost reply): keep
   * it short (seconds) and refresh while the request lives (src/limits/leases.ts).
   */
  acquire(key: string, leaseId: string, limit: number, ttlMs: number): Promise<LeaseResult>;
  /**
   * Extend the leases of `key` still held among `leaseIds` to expire `ttlMs` from now (one call
   * per lease key for all the leases a replica holds there). An expired or released lease is NOT
   * brought back. Returns how many were extended.
   */
  refresh(key: string, leaseIds: string[], ttlMs: number): Promise<number>;
  release(key: string, leaseId: string): Promise<void>;
  /** Current spend of a budget in the current window (for tests and the admin API). */
  budgetSpent(key: string, periodMs: number): Promise<number>;
  close(): Promise<void>;
}

/** Thrown by a store when it cannot answer (connection down, command timeout). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
