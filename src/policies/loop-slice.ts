/**
 * Body phase, right after the body is read: the request's inspection and forwarding run within
 * the current turn's slice of the event loop, or wait for a later turn (src/util/loop-slicer.ts,
 * `workers.loopSlice`). A client that leaves while waiting gets no further (MG_CLIENT_GONE, no
 * answer).
 */
import type { Policy } from '../pipeline/policy.js';
import type { LoopSlicer } from '../util/loop-slicer.js';

export function loopSlicePolicy(slicer: LoopSlicer): Policy {
  return {
    name: 'loop-slice',
    phase: 'body',
    onError: 'fail-closed',
    run: (ctx) => slicer.gate(ctx.clientGone),
  };
}
