/**
 * Cost: one unit across modalities. For text, a cost unit is a token: prompt tokens counted with a
 * real tokenizer (gpt-tokenizer; encoding chosen per route) plus the completion tokens requested
 * (× n), or the route's default when the request names none — never "all that is left". Image
 * routes will feed pixels ÷ 1000 and tensor routes elements ÷ 1000 through the same interface.
 *
 * Guard: BPE is quadratic in the length of one pre-token, and a pre-token is a run of letters or
 * of punctuation, so 100 KB of "aaaa…" takes gpt-tokenizer ~10 s — an attacker's way to stall the
 * gateway itself. Runs of more than 64 non-space characters are therefore cut into 64-character
 * pieces before counting (cutLongRuns) (at most a few tokens more than the exact count: an over-estimate,
 * which is the safe side for a reservation).
 */
import { createRequire } from 'node:module';
import { ScopedTextCache } from '../util/scoped-cache.js';

export type Tokenizer = 'o200k_base' | 'cl100k_base' | 'chars4';

export interface TokenCounter { count(text: string): number; }

/** The longest run of non-space characters counted as it is. */
const MAX_RUN = 64;

/** Whether `c` is a JavaScript `\s` character (the pre-tokenizer's notion of space). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * `text` with a space after every 64th character of a longer non-space run (as
 * text.replace(/\S{64}(?=\S)/g, '$& ') would, but in one linear pass: that regex retries 64
 * characters at every position and cost ~1.5 ms per 100 KB prompt). Returns `text` itself when
 * no run is that long, the common case.
 */
export function cutLongRuns(text: string): string {
  let run = 0;
  let out: string[] | null = null;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) {
      run = 0;
      continue;
    }
    if (run === MAX_RUN) {
      out ??= [];
      out.push(text.slice(from, i), ' ');
      from = i;
      run = 0;
    }
    run++;
  }
  if (out === null) return text;
  out.push(text.slice(from));
  return out.join('');
}

/** Messages carry a few tokens of framing each (role, separators) in chat templates. */
export const TOKENS_PER_MESSAGE = 4;

const require = createRequire(import.meta.url);
const loaded = new Map<Tokenizer, TokenCounter>();

/**
 * A lower bound on the tokens of `text` for the BPE tokenizers (o200k_base, cl100k_base), in one
 * linear pass: the number of maximal runs of non-space characters. Their pre-tokenizers never put
 * a space between two non-space characters of one pre-token, and every pre-token is at least one
 * token, so each run costs at least one token (inserting spaces, as cutLongRuns does, only adds
 * runs). For English prose it is ~70 % of the real count; it lets admission refuse a request that
 * cannot fit before paying for the tokenizer.
 */
export const tokenLowerBound: TokenCounter = {
  count: (text: string): number => countRuns(text, Infinity),
};

/** ASCII whitespace by code (the common case of isSpace, without the comparisons). */
const ASCII_SPACE = new Uint8Array(128);
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) ASCII_SPACE[c] = 1;

/**
 * Runs of non-space characters in `text`, counting stopped at `stopAt` (a caller that only needs
 * to know whether the bound exceeds some number reads no further than that).
 */
export function countRuns(text: string, stopAt: number): number {
  let runs = 0;
  let inRun = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c < 128 ? ASCII_SPACE[c] === 1 : isSpace(c);
    if (!space && !inRun) {
      if (++runs >= stopAt) return runs;
    }
    inRun = !space;
  }
  return runs;
}

export function tokenCounter(kind: Tokenizer): TokenCounter {
  const cached = loaded.get(kind);
  if (cached !== undefined) return cached;
  let counter: TokenCounter;
  if (kind === 'chars4') {
    counter = { count: (t) => Math.ceil(t.length / 4) };
  } else {
    // Loaded on first use only: each encoding's tables take a few MB and ~100 ms to load.
    const mod = require(`gpt-tokenizer/cjs/encoding/${kind}`) as { countTokens(t: string, o?: { disallowedSpecial?: Set<string> }): number };
    // Special-token text in a prompt ("<|endoftext|>", "<|im_start|>") is counted as plain text:
    // gpt-tokenizer throws on it by default, which refused such a prompt with a 500.
    const plain = { disallowedSpecial: new Set<string>() };
    counter = {
      count(text: string): number {
        if (text.length === 0) return 0;
        return mod.countTokens(cutLongRuns(text), plain);
      },
    };
  }
  loaded.set(kind, counter);
  return counter;
}

/** Texts shorter than this (a few tokens) are counted every time: hashing them costs about as much. */
const CACHE_MIN_CHARS = 16;
/** Remembered counts per tokenizer (the scope, a 44-character digest and a number each: ~12 MB at most). */
const CACHE_ENTRIES = 50_000;

/**
 * Token counts of recently seen texts, remembered per scope (the API key; ScopedTextCache): a chat
 * client resends the system prompt and the whole conversation with every turn, and BPE costs
 * ~1.5 µs per token, so admission counts only what is new. The count is the counter's own for
 * that exact text, so estimates, limits and charges are the same as without the cache. (Keyed by
 * SHA-256: a weaker hash could be collided on purpose to have a long prompt charged as a short one.)
 */
export class TokenCountCache {
  private readonly counts = new ScopedTextCache<number>(CACHE_ENTRIES, CACHE_MIN_CHARS);
  private readonly countOne: (text: string) => number;

  constructor(counter: TokenCounter) {
    this.countOne = (text) => counter.count(text);
  }

  /** `counter.count(text)`, remembered for `scope`. */
  count(scope: string, text: string): number {
    return this.counts.get(scope, text, this.countOne);
  }

  /** The sum of the texts' counts (as countTexts with the counter). */
  countTexts(scope: string, texts: readonly string[]): number {
    const known = this.counts.lookupAll(scope, texts);
    let n = 0;
    texts.forEach((t, i) => { n += known.results[i] ?? known.remember(i, this.countOne(t)); });
    return n;
  }

  /**
   * The sum of the texts' counts. The texts this scope did not send before are handed to
   * `offload`, which counts them elsewhere (the worker pool, when they are large) or answers null
   * (then they are counted here); either way their counts are remembered.
   */
  async countTextsWith(scope: string, texts: readonly string[], offload: (newTexts: string[]) => Promise<number[]> | null): Promise<number> {
    const known = this.counts.lookupAll(scope, texts);
    const fresh: number[] = [];
    known.results.forEach((c, i) => { if (c === undefined) fresh.push(i); });
    const counted = offload(fresh.map((i) => texts[i] as string));
    if (counted !== null) (await counted).forEach((c, j) => known.remember(fresh[j] as number, c));
    let n = 0;
    texts.forEach((t, i) => { n += known.results[i] ?? known.remember(i, this.countOne(t)); });
    return n;
  }
}

const caches = new Map<Tokenizer, TokenCountCache>();

/** The shared count cache of a tokenizer (chars4 needs none: its count is the length). */
export function tokenCountCache(kind: Tokenizer): TokenCountCache | null {
  if (kind === 'chars4') return null;
  let c = caches.get(kind);
  if (c === undefined) {
    c = new TokenCountCache(tokenCounter(kind));
    caches.set(kind, c);
  }
  return c;
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

/**
 * The sum of the texts' token counts, without message framing: what estimateTextCost counts on the
 * event loop and a scan-pool thread counts for a large prompt (src/workers/scan-worker.ts).
 */
export function countTexts(texts: readonly string[], counter: TokenCounter): number {
  let n = 0;
  for (const t of texts) n += counter.count(t);
  return n;
}

export function estimateTextCost(input: TextCostInput, counter: TokenCounter, defaultMaxTokens: number): CostEstimate {
  return costFromCount(input, countTexts(input.texts, counter), defaultMaxTokens);
}

/** The estimate of `input` given its texts' token count (`textTokens`, counted inline or in the pool). */
export function costFromCount(input: TextCostInput, textTokens: number, defaultMaxTokens: number): CostEstimate {
  const promptTokens = input.items * TOKENS_PER_MESSAGE + input.tokenIds + Math.ceil(input.extraUnits ?? 0) + textTokens;
  const completionTokens = (input.maxTokens ?? defaultMaxTokens) * Math.max(1, input.choices);
  return { promptTokens, completionTokens, total: promptTokens + completionTokens };
}
