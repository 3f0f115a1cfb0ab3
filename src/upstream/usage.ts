/**
 * Respond phase — usage accounting: what the model server says it generated (the `usage` of a
 * JSON answer or of a stream's last chunk) and, for a stream, the generated text itself (bounded),
 * which settle counts when no usage arrives (a cut stream, a client that left or was cut for not
 * reading). Also hides the usage-only chunk that modelgate asked for on the client's behalf.
 */
import type { RequestContext } from '../pipeline/context.js';
import type { SseEvent } from '../protocols/sse.js';
import { chunkText, isUsageOnlyChunk, usageOf } from '../protocols/openai/usage.js';
import { fastChunk } from '../protocols/openai/chunk.js';

/** Generated text kept from a stream for counting when no usage arrives. */
const MAX_STREAMED_TEXT = 1024 * 1024;

/** observeEvent's answer for an event the client does not see. */
export const HIDDEN = Symbol('hidden');
/** observeEvent's answer for an event that is not JSON. */
export const NOT_JSON = Symbol('not JSON');

/**
 * Look at one complete SSE event on its way to the client: note usage and generated text, and
 * decide whether the client sees it (the usage-only chunk modelgate asked for itself is removed).
 * Returns the parsed data (reused by the output filter: a FastChunk for the common one-content-delta
 * chunk, which carries no usage and is never the usage-only chunk; else the JSON.parse), NOT_JSON,
 * or HIDDEN.
 */
export function observeEvent(ctx: RequestContext, ev: SseEvent): unknown {
  if (ev.data === null || ev.data === '[DONE]' || ev.data.charCodeAt(0) !== 0x7b) return NOT_JSON;
  const o = ctx.outcome;
  const fast = fastChunk(ev.data);
  if (fast !== null) {
    if (o.streamedText.length < MAX_STREAMED_TEXT) o.streamedText += fast.content;
    return fast;
  }
  let v: unknown;
  try { v = JSON.parse(ev.data); } catch { return NOT_JSON; }
  const u = usageOf(v);
  if (u !== null) o.usage = u;
  if (o.streamedText.length < MAX_STREAMED_TEXT) o.streamedText += chunkText(v);
  return o.stripUsageChunk && isUsageOnlyChunk(v) ? HIDDEN : v;
}

/**
 * A whole 2xx JSON body: its parsed value (for the output filter) with its usage noted, or
 * undefined when it does not parse (nothing to reconcile from; the output filter refuses it).
 */
export function observeJson(ctx: RequestContext, body: Buffer): unknown {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    ctx.outcome.usage = usageOf(parsed);
    return parsed;
  } catch {
    return undefined;
  }
}
