/**
 * A key's model allow-list (`models` on the key). Runs first in the inspect phase, once the body
 * is parsed and before anything is charged: the model is the route's `{model}` parameter (KServe,
 * TorchServe) or the body's `model` (OpenAI). A key with an allow-list is refused on a request that
 * names no model (fail closed).
 */
import { deny } from '../errors.js';
import type { Policy } from '../pipeline/policy.js';
import type { RequestContext } from '../pipeline/context.js';

function requestedModel(ctx: RequestContext): string | null {
  const p = ctx.params.model;
  if (typeof p === 'string' && p.length > 0) return p;
  const body = ctx.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const m = (body as { model?: unknown }).model;
    if (typeof m === 'string') return m;
  }
  return null;
}

export function keyModelPolicy(): Policy {
  return {
    name: 'key-model',
    phase: 'inspect',
    onError: 'fail-closed',
    run: function keyModel(ctx) {
      const allowed = ctx.identity?.models;
      if (allowed === undefined) return undefined;
      const model = requestedModel(ctx);
      if (model === null || !allowed.has(model)) return deny('MG_KEY_MODEL_DENIED', `key ${ctx.identity?.keyId ?? '?'}`);
      return undefined;
    },
  };
}
