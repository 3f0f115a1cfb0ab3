/**
 * The policy contract and the runner that applies a phase's policies in order.
 *
 * A policy is built once, from validated configuration (regexes compiled, tables built there),
 * and at request time is a plain function of the context that returns nothing (pass) or a
 * Denial. A throw — or a timeout of an async policy — denies with MG_POLICY_ERROR unless the
 * policy is configured fail-open; every fail-open pass is counted and logged at warn.
 */
import { deny, DenialError, type Denial } from '../errors.js';
import { errorMessage, type Emitter } from '../observability/events.js';
import type { Phase, RequestContext } from './context.js';

export type PolicyResult = Denial | undefined | void;

export interface Policy {
  readonly name: string;
  readonly phase: Phase;
  readonly onError: 'fail-closed' | 'fail-open';
  /** Only for async policies: how long run() may take before it counts as a failure. */
  readonly timeoutMs?: number;
  run(ctx: RequestContext): PolicyResult | Promise<PolicyResult>;
}

class PolicyTimeout extends Error {
  constructor(name: string, ms: number) {
    super(`policy ${name} took longer than ${ms} ms`);
    this.name = 'PolicyTimeout';
  }
}

function withTimeout<T>(p: Promise<T>, policy: Policy): Promise<T> {
  const ms = policy.timeoutMs;
  if (ms === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PolicyTimeout(policy.name, ms)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function onFailure(policy: Policy, ctx: RequestContext, err: unknown, events: Emitter): Denial | undefined {
  if (err instanceof DenialError) return err.denial;
  const failOpen = policy.onError === 'fail-open';
  events.emit({ type: 'policy.failed', reqId: ctx.id, policy: policy.name, failOpen, error: errorMessage(err) });
  return failOpen ? undefined : deny('MG_POLICY_ERROR', `policy ${policy.name} failed`);
}

/** The pipeline stopped because the client left: nothing is answered, settle still runs. */
export const CLIENT_GONE: Denial = deny('MG_CLIENT_GONE', 'client closed the connection');

/**
 * Runs the policies in order and stops at the first denial. Synchronous policies are not
 * awaited (no microtask per policy on the hot path). After every asynchronous policy, a client
 * that has left stops the pipeline (CLIENT_GONE): no further work, no further resource taken.
 */
export async function runPolicies(
  policies: readonly Policy[],
  ctx: RequestContext,
  events: Emitter,
): Promise<Denial | undefined> {
  for (const policy of policies) {
    let result: PolicyResult | Promise<PolicyResult>;
    try {
      result = policy.run(ctx);
      if (result instanceof Promise) {
        result = await withTimeout(result, policy);
        if (result === undefined && ctx.clientGone.aborted) return CLIENT_GONE;
      }
    } catch (err) {
      const d = onFailure(policy, ctx, err, events);
      if (d !== undefined) return d;
      continue;
    }
    if (result !== undefined) return result;
  }
  return undefined;
}
