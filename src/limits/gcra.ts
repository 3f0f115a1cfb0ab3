/**
 * Pure rate-limit math, shared by the memory store and mirrored line by line in the Redis Lua
 * scripts (src/limits/stores/redis.ts). No clocks, no state: callers pass `now` and the stored state.
 *
 * GCRA (generic cell rate algorithm): the whole bucket state is one number, the TAT (theoretical
 * arrival time, epoch ms). Emission interval T = periodMs/rate ms per unit; tolerance = burst*T.
 * A request of `cost` conforms iff max(TAT, now) + cost*T - now <= burst*T. A TAT <= now means
 * "full": such state may be deleted without changing any decision (this is what makes eviction safe).
 *
 * Sliding window: two fixed windows (epoch-aligned) and a linear estimate of the previous one.
 * Budget: a plain counter per epoch-aligned fixed window.
 */
import type { BucketOp, BudgetOp, RateLimit } from './stores/types.js';

/**
 * Times within EPS_MS are treated as equal. TATs are absolute epoch ms (~1.7e12) whose double
 * precision is ~2.4e-4 ms, and T = periodMs/rate is rarely exact (1000/3), so exact comparisons
 * would refuse the last unit of a burst by a rounding error.
 */
export const EPS_MS = 0.001;
/** Same idea for unit counts of the sliding window / budgets (fractional costs are allowed). */
export const EPS_UNITS = 1e-9;

export interface GcraLimit {
  rate: number;
  periodMs: number;
  burst: number;
}

export interface Decision {
  allowed: boolean;
  /** Units left after this decision (0 when refused). */
  remaining: number;
  /** 0 when allowed; -1 when never possible (cost over capacity); else ms to wait. */
  retryAfterMs: number;
  /** ms until full again (buckets) / until the window resets (budgets). */
  resetMs: number;
}

export interface GcraDecision extends Decision {
  /** TAT to store if applied (unchanged when refused). */
  newTat: number;
}

/** Remaining/reset of a state without consuming: used to report ops that were not applied. */
export interface Peek {
  remaining: number;
  resetMs: number;
}

const nonNeg = (x: number): number => (x > 0 ? x : 0);

export function gcraPeek(tat: number | undefined, now: number, limit: GcraLimit): Peek {
  const T = limit.periodMs / limit.rate;
  const used = Math.max(tat ?? now, now) - now;
  return {
    remaining: Math.min(Math.floor(limit.burst), nonNeg(Math.floor((limit.burst * T - used + EPS_MS) / T))),
    resetMs: nonNeg(Math.ceil(used - EPS_MS)),
  };
}

export function gcraConsume(tat: number | undefined, now: number, limit: GcraLimit, cost: number): GcraDecision {
  const T = limit.periodMs / limit.rate;
  const tolerance = limit.burst * T;
  const base = Math.max(tat ?? now, now);
  const unchanged = tat ?? now;
  if (cost > limit.burst) {
    return { allowed: false, newTat: unchanged, remaining: 0, retryAfterMs: -1, resetMs: nonNeg(Math.ceil(base - now - EPS_MS)) };
  }
  const candidate = base + cost * T;
  const diff = candidate - now;
  if (diff <= tolerance + EPS_MS) {
    return {
      allowed: true,
      newTat: candidate,
      remaining: Math.min(Math.floor(limit.burst), nonNeg(Math.floor((tolerance - diff + EPS_MS) / T))),
      retryAfterMs: 0,
      resetMs: nonNeg(Math.ceil(diff - EPS_MS)),
    };
  }
  return {
    allowed: false,
    newTat: unchanged,
    remaining: 0,
    // diff > tolerance + EPS, so this is >= 1: a refused caller is never told "retry in 0 ms".
    retryAfterMs: Math.ceil(diff - tolerance - EPS_MS),
    resetMs: nonNeg(Math.ceil(base - now - EPS_MS)),
  };
}

/**
 * A correction: delta > 0 charges more (may push into debt beyond the burst, which then refuses
 * until paid back); delta < 0 refunds but never makes the bucket "fuller than full" (TAT >= now).
 */
export function gcraAdjust(tat: number | undefined, now: number, limit: GcraLimit, delta: number): number {
  const T = limit.periodMs / limit.rate;
  const cur = tat ?? now;
  if (delta > 0) return Math.max(cur, now) + delta * T;
  return Math.max(now, cur + delta * T);
}

// ---------------------------------------------------------------------------------------------
// Sliding window

export interface WindowState {
  /** Index of the current fixed window: floor(now / periodMs). */
  window: number;
  curr: number;
  prev: number;
}

export interface WindowLimitSpec {
  rate: number;
  periodMs: number;
}

export interface WindowDecision extends Decision {
  /** State to store if applied (the rolled, unchanged state when refused). */
  state: WindowState;
}

/** Move a stored state to the window containing `now` (older counts fall off). */
export function windowRoll(state: WindowState | undefined, now: number, periodMs: number): WindowState {
  const idx = Math.floor(now / periodMs);
  if (state === undefined) return { window: idx, curr: 0, prev: 0 };
  if (state.window === idx) return state;
  if (state.window === idx - 1) return { window: idx, curr: 0, prev: state.curr };
  return { window: idx, curr: 0, prev: 0 };
}

function windowEstimate(s: WindowState, now: number, periodMs: number): number {
  const elapsed = now - s.window * periodMs;
  return s.prev * (1 - elapsed / periodMs) + s.curr;
}

/** ms until the estimate reaches 0: the current window's count fades out over the next window. */
function windowReset(s: WindowState, now: number, periodMs: number): number {
  if (s.curr > 0) return nonNeg(Math.ceil((s.window + 2) * periodMs - now));
  if (s.prev > 0) return nonNeg(Math.ceil((s.window + 1) * periodMs - now));
  return 0;
}

export function windowPeek(state: WindowState | undefined, now: number, limit: WindowLimitSpec): Peek {
  const s = windowRoll(state, now, limit.periodMs);
  const est = windowEstimate(s, now, limit.periodMs);
  return { remaining: nonNeg(Math.floor(limit.rate - est + EPS_UNITS)), resetMs: windowReset(s, now, limit.periodMs) };
}

export function windowConsume(state: WindowState | undefined, now: number, limit: WindowLimitSpec, cost: number): WindowDecision {
  const P = limit.periodMs;
  const s = windowRoll(state, now, P);
  const est = windowEstimate(s, now, P);
  if (cost > limit.rate) {
    return { allowed: false, state: s, remaining: 0, retryAfterMs: -1, resetMs: windowReset(s, now, P) };
  }
  if (est + cost <= limit.rate + EPS_UNITS) {
    const next = { window: s.window, curr: s.curr + cost, prev: s.prev };
    return {
      allowed: true,
      state: next,
      remaining: nonNeg(Math.floor(limit.rate - est - cost + EPS_UNITS)),
      retryAfterMs: 0,
      resetMs: windowReset(next, now, P),
    };
  }
  const elapsed = now - s.window * P;
  let wait: number;
  if (s.curr + cost <= limit.rate) {
    // Fits in this window once the previous window's share has faded enough (prev > 0 here).
    wait = P * (1 - (limit.rate - s.curr - cost) / s.prev) - elapsed;
  } else {
    // Needs the next window, where this window's count becomes `prev` and fades from there.
    wait = P - elapsed + P * (1 - (limit.rate - cost) / s.curr);
  }
  return { allowed: false, state: s, remaining: 0, retryAfterMs: Math.max(1, Math.ceil(wait)), resetMs: windowReset(s, now, P) };
}

/** A correction: charges go to the current window; refunds come off the current, then the previous. */
export function windowAdjust(state: WindowState | undefined, now: number, periodMs: number, delta: number): WindowState {
  const s = windowRoll(state, now, periodMs);
  if (delta >= 0) return { window: s.window, curr: s.curr + delta, prev: s.prev };
  const refund = -delta;
  const fromCurr = Math.min(refund, s.curr);
  return { window: s.window, curr: s.curr - fromCurr, prev: nonNeg(s.prev - (refund - fromCurr)) };
}

// ---------------------------------------------------------------------------------------------
// Budgets (fixed, epoch-aligned windows)

export function budgetWindowStart(now: number, periodMs: number): number {
  return Math.floor(now / periodMs) * periodMs;
}

export interface BudgetDecision extends Decision {
  windowStart: number;
  /** Spend to store if applied (unchanged when refused). */
  spent: number;
}

/** `spent` must already be the spend of the window containing `now` (0 for an older window). */
export function budgetConsume(spent: number, now: number, limit: number, periodMs: number, cost: number): BudgetDecision {
  const windowStart = budgetWindowStart(now, periodMs);
  const resetMs = nonNeg(Math.ceil(windowStart + periodMs - now));
  if (cost > limit) return { allowed: false, spent, remaining: 0, retryAfterMs: -1, resetMs, windowStart };
  if (spent + cost <= limit + EPS_UNITS) {
    return { allowed: true, spent: spent + cost, remaining: nonNeg(Math.floor(limit - spent - cost + EPS_UNITS)), retryAfterMs: 0, resetMs, windowStart };
  }
  // Over the budget: nothing helps before the window resets (a refund could, but that is not a wait).
  return { allowed: false, spent, remaining: 0, retryAfterMs: Math.max(1, resetMs), resetMs, windowStart };
}

export function budgetPeek(spent: number, now: number, limit: number, periodMs: number): Peek {
  const ws = budgetWindowStart(now, periodMs);
  return { remaining: nonNeg(Math.floor(limit - spent + EPS_UNITS)), resetMs: nonNeg(Math.ceil(ws + periodMs - now)) };
}

// ---------------------------------------------------------------------------------------------
// Input checks, shared by both stores so that they refuse the same nonsense the same way.

const finite = (x: number): boolean => typeof x === 'number' && Number.isFinite(x);

export function checkLimit(key: string, limit: RateLimit): void {
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('limit key must be a non-empty string');
  if (!finite(limit.rate) || limit.rate <= 0) throw new RangeError(`${key}: rate must be > 0`);
  if (!finite(limit.periodMs) || limit.periodMs <= 0) throw new RangeError(`${key}: periodMs must be > 0`);
  if (limit.kind === 'gcra' && (!finite(limit.burst) || limit.burst < 0)) throw new RangeError(`${key}: burst must be >= 0`);
  if (limit.kind !== 'gcra' && limit.kind !== 'sliding-window') throw new RangeError(`${key}: unknown limit kind`);
}

export function checkBucketOp(op: BucketOp): void {
  checkLimit(op.key, op.limit);
  if (!finite(op.cost) || op.cost < 0) throw new RangeError(`${op.key}: cost must be a finite number >= 0`);
}

export function checkBudget(key: string, periodMs: number, amount: number, what: 'cost' | 'delta', limit = 0): void {
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('budget key must be a non-empty string');
  if (!finite(periodMs) || periodMs <= 0) throw new RangeError(`${key}: budget periodMs must be > 0`);
  if (!finite(limit) || limit < 0) throw new RangeError(`${key}: budget limit must be >= 0`);
  if (!finite(amount) || (what === 'cost' && amount < 0)) throw new RangeError(`${key}: budget ${what} must be finite${what === 'cost' ? ' and >= 0' : ''}`);
}

export function checkBudgetOp(op: BudgetOp): void {
  checkBudget(op.key, op.periodMs, op.cost, 'cost', op.limit);
}

export function checkLease(key: string, leaseId: string, limit: number, ttlMs: number): void {
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('lease key must be a non-empty string');
  if (typeof leaseId !== 'string' || leaseId.length === 0) throw new RangeError('leaseId must be a non-empty string');
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`${key}: lease limit must be an integer >= 0`);
  if (!finite(ttlMs) || ttlMs <= 0) throw new RangeError(`${key}: lease ttlMs must be > 0`);
}
