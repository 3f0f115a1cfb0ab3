/**
 * Cost debt (request phase, right after authentication): a key whose cost bucket this replica
 * has seen refuse while in debt is refused again at once — 429 MG_RATE_LIMITED_COST with the
 * Retry-After that is left — before its body is read, inspected or tokenized. Without this, a
 * client that keeps sending maximum-size prompts after its limit makes the gateway do all of that
 * work per refusal (measured: ~9 ms of event loop per 97 KB prompt; docs/benchmarks.md).
 */
import type { Policy } from '../pipeline/policy.js';
import type { Limiter } from '../limits/limiter.js';

export function costDebtPolicy(limiter: Limiter, routeIndex: number): Policy {
  return {
    name: 'cost-debt',
    phase: 'request',
    onError: 'fail-closed',
    run: function costDebt(ctx) {
      const id = ctx.identity;
      return id === null ? undefined : limiter.inDebt(id.keyId, routeIndex);
    },
  };
}
