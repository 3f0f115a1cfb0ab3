/**
 * Fast failure (request phase, right after authentication and before anything is charged): when
 * no target of the route's upstream can take traffic — every one ejected by its breaker, failing
 * its health checks, or half-open with its single trial running — the request gets 503
 * MG_UPSTREAM_UNAVAILABLE with Retry-After at once: its body is not read, no cost is reserved, no
 * lease or GPU slot taken, no connection attempted. The forward phase checks again (a target may
 * be ejected while the request waited for a GPU slot) and answers the same; settle then refunds
 * the reservation of a request that never reached a model server.
 */
import type { Policy } from '../pipeline/policy.js';
import type { UpstreamTargets } from '../upstream/targets.js';

export function upstreamAvailablePolicy(upstream: UpstreamTargets): Policy {
  return {
    name: 'upstream-available',
    phase: 'request',
    onError: 'fail-closed',
    run: function upstreamAvailable() {
      return upstream.available() ? undefined : upstream.unavailable();
    },
  };
}
