/**
 * Admission (admit phase): estimate the request's cost, reserve it against the key's limits and
 * budget, take a concurrency lease (admitPolicy); after prompt-injection detection, wait for a
 * GPU slot in the upstream's fair queue (gpuSlotPolicy). Each step that fails undoes nothing
 * itself: settle refunds the reservation and releases what was taken, on every path (refusal,
 * upstream error, client abort, timeout).
 *
 * The forwarded body is adjusted so that the reservation holds: with no max_tokens named, the
 * route's default is sent (the server would otherwise generate up to its context length), and a
 * stream asks for usage in its last chunk (removed again if the client did not ask for it).
 */
import { DenialError } from '../errors.js';
import type { RouteConfig } from '../config/types.js';
import type { Policy } from '../pipeline/policy.js';
import type { RequestContext } from '../pipeline/context.js';
import { costFromCount, countRuns, estimateTextCost, tokenCountCache, tokenCounter, tokenLowerBound, type CostEstimate } from '../limits/cost.js';
import type { Limiter, Reservation } from '../limits/limiter.js';
import { actualCost } from '../limits/charge.js';
import type { Admission } from '../upstream/admission.js';
import type { CountOffload } from '../workers/scan-pool.js';

/**
 * Register a reservation with the request: when the request is over it is corrected to what the
 * request really cost (a refund when it never reached the model), exactly once.
 */
function ownReservation(ctx: RequestContext, limiter: Limiter, reservation: Reservation): void {
  ctx.resources.take('reservation', async () => {
    const adm = ctx.admission;
    const actual = adm === null ? 0 : await actualCost(ctx, adm);
    ctx.charged = actual;
    await limiter.reconcile(reservation, actual);
  });
}

function adjustBody(ctx: RequestContext, route: RouteConfig): void {
  const body = ctx.body as Record<string, unknown>;
  const insp = ctx.inspection;
  if (insp === null || (route.protocol !== 'openai-chat' && route.protocol !== 'openai-completions')) return;
  if (insp.maxTokens === null && route.cost.enforceMaxTokens) body['max_tokens'] = route.cost.defaultMaxTokens;
  if (insp.stream) {
    const so = body['stream_options'] as { include_usage?: boolean } | null | undefined;
    if (so?.include_usage !== true) {
      body['stream_options'] = { ...(so ?? {}), include_usage: true };
      ctx.outcome.stripUsageChunk = true;
    }
  }
}

/**
 * Cost admission: estimate, reserve against the key's limits and budget, take a concurrency
 * lease. It runs before prompt-injection detection (a store decision costs microseconds, a scan
 * of a 100 KB prompt milliseconds), so a key over its limit is refused before that work.
 *
 * `offload`: the worker pool. When the texts this key did not send before (the token-count cache
 * knows the rest) hold more than `workers.offloadAbove` characters, they are tokenized there
 * (same tokenizer, same count, so the same charge) instead of on the event loop, after the
 * lower-bound check (a request refused anyway never pays for tokenizing); pool full: 503
 * MG_GATEWAY_BUSY. chars4 counts by length and always runs inline.
 */
export function admitPolicy(route: RouteConfig, routeIndex: number, limiter: Limiter, offload?: CountOffload): Policy {
  const tokenizer = route.cost.tokenizer;
  const counter = tokenCounter(tokenizer);
  // Counts of texts this key sent before (the system prompt, the earlier turns): same numbers.
  const cache = tokenCountCache(tokenizer);
  const bounded = tokenizer !== 'chars4';
  const pool = bounded ? offload ?? null : null;
  return {
    name: 'admit',
    phase: 'admit',
    onError: 'fail-closed',
    run: async function admit(ctx) {
      const insp = ctx.inspection;
      const id = ctx.identity;
      if (insp === null || id === null) return undefined;
      // A request that certainly cannot fit is refused before the tokenizer runs (BPE costs
      // ~1.5 µs per token: 35 ms for a 100 KB prompt, per refusal).
      if (bounded) {
        const room = limiter.headroom(id.keyId, routeIndex);
        if (room < Infinity) {
          // The lower bound, counted only as far as needed to exceed the room.
          let floor = estimateTextCost({ ...insp, texts: [] }, tokenLowerBound, route.cost.defaultMaxTokens).total;
          for (const t of insp.texts) {
            if (floor > room) break;
            floor += countRuns(t, Math.floor(room - floor) + 1);
          }
          if (floor > room) {
            const early = limiter.cannotFit(id.keyId, routeIndex, floor);
            if (early !== undefined) return early;
          }
        }
      }
      let estimate: CostEstimate;
      if (cache !== null && pool !== null) {
        // Only what this key did not send before is counted, in the pool when it is large.
        try {
          const n = await cache.countTextsWith(id.keyId, insp.texts, (fresh) => (pool.takes(fresh) ? pool.countEach(fresh, tokenizer, ctx.clientGone) : null));
          estimate = costFromCount(insp, n, route.cost.defaultMaxTokens);
        } catch (err) {
          if (err instanceof DenialError) return err.denial; // busy, or the client left
          throw err;
        }
      } else if (cache !== null) {
        estimate = costFromCount(insp, cache.countTexts(id.keyId, insp.texts), route.cost.defaultMaxTokens);
      } else {
        estimate = estimateTextCost(insp, counter, route.cost.defaultMaxTokens);
      }
      ctx.admission = { estimate, reservation: null, releaseSlot: null };
      adjustBody(ctx, route);
      const tier = limiter.tierOf(id.tier);
      const r = await limiter.admit(id.keyId, tier, ctx.ip, routeIndex, estimate.total);
      if ('denial' in r) return r.denial;
      ctx.admission.reservation = r.reservation;
      ownReservation(ctx, limiter, r.reservation);
      if (ctx.clientGone.aborted) return undefined; // the client left while the store answered: no lease for it
      const lease = await limiter.lease(id.keyId, tier, ctx.id);
      if (typeof lease !== 'function') return lease;
      ctx.resources.take('lease', lease);
      return undefined;
    },
  };
}

/** A GPU slot in the upstream's fair queue: the last step before forwarding. */
export function gpuSlotPolicy(limiter: Limiter, gpu: Admission): Policy {
  return {
    name: 'gpu-slot',
    phase: 'admit',
    onError: 'fail-closed',
    run: async function gpuSlot(ctx) {
      const id = ctx.identity;
      if (id === null || ctx.admission === null) return undefined;
      if (ctx.clientGone.aborted) return undefined; // no slot for a request nobody waits for
      try {
        const release = await gpu.acquire(id.keyId, limiter.tierOf(id.tier)?.priority ?? 0, ctx.clientGone);
        const early = ctx.resources.take('gpu-slot', release);
        ctx.admission.releaseSlot = () => { void early(); };
      } catch (err) {
        if (err instanceof DenialError) return err.denial;
        throw err;
      }
      return undefined;
    },
  };
}

export function ipLimitPolicy(limiter: Limiter): Policy {
  return {
    name: 'ip-limit',
    phase: 'request',
    onError: 'fail-closed',
    run: function ipLimit(ctx) {
      return limiter.checkIp(ctx.ip);
    },
  };
}
