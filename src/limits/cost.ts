/**
 * Cost: one unit across modalities. For text, a cost unit is a token: prompt tokens counted with a
 * real tokenizer (gpt-tokenizer; encoding chosen per route) plus the completion tokens requested
 * (× n), or the route's default when the request names none — never "all that is left". Image
 * routes will feed pixels ÷ 1000 and tensor routes elements ÷ 1000 through the same interface.
 *
 * Guard: BPE is quadratic in the length of one pre-token, and a pre-token is a run of letters or
 * of punctuation, so 100 KB of "aaaa…" takes gpt-tokenizer ~10 s — an attacker's way to stall the
 * gateway itself. Runs of more than 64 non-space characters are therefore cut into 64-character
 * pieces before counting (at most a few tokens more than the exact count: an over-estimate,
 * which is the safe side for a reservation).
 */
import { createRequire } from 'node:module';

export type Tokenizer = 'o200k_base' | 'cl100k_base' | 'chars4';

export interface TokenCounter { count(text: string): number; }

const LONG_RUN = /\S{64}(?=\S)/g;

/** Messages carry a few tokens of framing each (role, separators) in chat templates. */
export const TOKENS_PER_MESSAGE = 4;

const require = createRequire(import.meta.url);
const loaded = new Map<Tokenizer, TokenCounter>();

export function tokenCounter(kind: Tokenizer): TokenCounter {
  const cached = loaded.get(kind);
  if (cached !== undefined) return cached;
  let counter: TokenCounter;
  if (kind === 'chars4') {
    counter = { count: (t) => Math.ceil(t.length / 4) };
  } else {
    // Loaded on first use only: each encoding's tables take a few MB and ~100 ms to load.
    const mod = require(`gpt-tokenizer/cjs/encoding/${kind}`) as { countTokens(t: string): number };
    counter = {
      count(text: string): number {
        if (text.length === 0) return 0;
        return mod.countTokens(text.replace(LONG_RUN, '$& '));
      },
    };
  }
  loaded.set(kind, counter);
  return counter;
}

export interface TextCostInput {
  texts: readonly string[];
  /** How many messages (chat) or prompts: each adds TOKENS_PER_MESSAGE. */
  items: number;
  tokenIds: number;
  maxTokens: number | null;
  choices: number;
  /** Units that are not tokens (pixels ÷ 1,000, tensor elements ÷ 1,000), counted as prompt. */
  extraUnits?: number;
}

export interface CostEstimate {
  promptTokens: number;
  completionTokens: number;
  total: number;
}

export function estimateTextCost(input: TextCostInput, counter: TokenCounter, defaultMaxTokens: number): CostEstimate {
  let promptTokens = input.items * TOKENS_PER_MESSAGE + input.tokenIds + Math.ceil(input.extraUnits ?? 0);
  for (const t of input.texts) promptTokens += counter.count(t);
  const completionTokens = (input.maxTokens ?? defaultMaxTokens) * Math.max(1, input.choices);
  return { promptTokens, completionTokens, total: promptTokens + completionTokens };
}
