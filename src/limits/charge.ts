/**
 * What a request is charged once it is over: the usage the model server reported; else, for a
 * stream that broke or a client that left (or was cut for not reading), the prompt plus the text
 * generated so far; nothing when the model server was never reached or refused the request (4xx);
 * the prompt alone for a 5xx (prefill may have run).
 */
import type { Admission, RequestContext } from '../pipeline/context.js';
import { tokenCounter } from './cost.js';

export function actualCost(ctx: RequestContext, adm: Admission): number {
  const o = ctx.outcome;
  if (o.usage !== null) return o.usage.promptTokens + o.usage.completionTokens;
  if (!o.reached || (o.status >= 400 && o.status < 500)) return 0;
  if (o.status >= 500) return adm.estimate.promptTokens;
  if (o.streamedText.length > 0 || ctx.inspection?.stream === true) {
    return adm.estimate.promptTokens + tokenCounter(ctx.route.cost.tokenizer).count(o.streamedText);
  }
  return adm.estimate.total;
}
