/**
 * Usage as the model server reports it: `usage` of a JSON response, or of the final chunk of a
 * stream (`stream_options.include_usage`). When no usage arrives (a cut stream, a client that
 * left), the text streamed so far is what was generated: it is kept (bounded) to be counted.
 */

export interface Usage { promptTokens: number; completionTokens: number; }

export function usageOf(v: unknown): Usage | null {
  const u = (v as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } } | null)?.usage;
  if (u === null || u === undefined || typeof u !== 'object') return null;
  const p = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const c = typeof u.completion_tokens === 'number' ? u.completion_tokens : typeof u.total_tokens === 'number' ? u.total_tokens - p : 0;
  if (!Number.isFinite(p) || !Number.isFinite(c) || p < 0 || c < 0) return null;
  return { promptTokens: p, completionTokens: c };
}

/** The generated text in one stream chunk (chat deltas or completion text, every choice). */
export function chunkText(v: unknown): string {
  const choices = (v as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return '';
  let text = '';
  for (const c of choices as { delta?: { content?: unknown }; text?: unknown }[]) {
    const t = c.delta?.content ?? c.text;
    if (typeof t === 'string') text += t;
  }
  return text;
}

/** A chunk that only carries usage (choices empty): the one added when we asked for usage ourselves. */
export function isUsageOnlyChunk(v: unknown): boolean {
  const o = v as { choices?: unknown; usage?: unknown } | null;
  return o !== null && Array.isArray(o.choices) && o.choices.length === 0 && o.usage !== null && o.usage !== undefined;
}
