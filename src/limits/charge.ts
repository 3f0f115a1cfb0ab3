/**
 * What a request is charged once it is over: the usage the model server reported; else, for a
 * stream that broke or a client that left (or was cut for not reading), the prompt plus the text
 * generated so far; nothing when the model server was never reached or refused the request (4xx);
 * the prompt alone for a 5xx (prefill may have run).
 */
import type { Admission, RequestContext } from '../pipeline/context.js';
import { tokenCounter, type TokenCounter } from './cost.js';

/** Characters tokenized per event-loop turn (~1 ms of BPE): a cut 1 MB stream must not block the loop for 300 ms. */
const SLICE_CHARS = 4096;

/**
 * Token count of a long text, slice by slice with a turn of the event loop between slices. Slices
 * end before a space where there is one, which is where BPE pre-tokenization splits anyway, so the
 * sum equals the whole count (up to a token per slice for a text without spaces).
 */
export async function countInSlices(counter: TokenCounter, text: string): Promise<number> {
  if (text.length <= SLICE_CHARS) return counter.count(text);
  let total = 0;
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + SLICE_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > i) end = space;
    }
    total += counter.count(text.slice(i, end));
    i = end;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return total;
}

export async function actualCost(ctx: RequestContext, adm: Admission): Promise<number> {
  const o = ctx.outcome;
  if (o.usage !== null) return o.usage.promptTokens + o.usage.completionTokens;
  if (!o.reached || (o.status >= 400 && o.status < 500)) return 0;
  if (o.status >= 500) return adm.estimate.promptTokens;
  if (o.streamedText.length > 0 || ctx.inspection?.stream === true) {
    return adm.estimate.promptTokens + await countInSlices(tokenCounter(ctx.route.cost.tokenizer), o.streamedText);
  }
  return adm.estimate.total;
}
