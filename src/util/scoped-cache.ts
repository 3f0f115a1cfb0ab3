/**
 * Results of a pure function of a text, remembered per scope (the caller's API key or address):
 * a chat client resends the system prompt and the whole conversation with every turn, so work
 * per text (token counting, injection scanning) is done once per text instead of once per turn.
 * The result is the function's own for that exact text, so callers decide as without the cache.
 *   - The key is the scope, length-prefixed, followed by the SHA-256 of the text: no text is kept
 *     in memory, and no text can be made to stand for another's result (a weaker hash could be
 *     collided on purpose, e.g. to have an attack take a benign text's verdict). Texts that are
 *     not well-formed UTF-16 are never cached (SHA-256 reads UTF-8, which turns a lone surrogate
 *     into U+FFFD, so such a text would share its key with its U+FFFD twin). The length prefix
 *     means no (scope, text) pair spells another's key. The scope (`key:<id>` or `ip:<address>`)
 *     is kept as it is rather than hashed with the text: hashing `scope + text` made a copy of
 *     every text per request (2.4 KB per chat request in `npm run bench:alloc`).
 *   - Per scope: whether a text is cached (a faster answer) tells a client only about texts it
 *     sent itself.
 *   - Bounded: `max` entries (the scope, a 44-character digest and the result each), least recently used
 *     forgotten first.
 */
import { LRUCache } from 'lru-cache';
import { sha256 } from './sha256.js';

/** What a cache knows of a batch of texts: each one's result or undefined, and how to remember one computed later. */
export interface Known<V> {
  readonly results: (V | undefined)[];
  /** Remember the result of text `i` of the batch (and return it). */
  remember(i: number, v: V): V;
}

/**
 * Digests taken in the current turn of the event loop, by text: one request's texts are looked up
 * by two caches (token counts, injection scans), and the second lookup of a text takes its digest
 * from here instead of hashing it again (two SHA-256s per chat request). Emptied by a setImmediate
 * at the end of the turn, so no text is held after the turn that hashed it; at most TURN_DIGESTS
 * texts at once.
 */
const turnDigests = new Map<string, string>();
const TURN_DIGESTS = 64;
let clearScheduled = false;
function clearTurnDigests(): void {
  clearScheduled = false;
  turnDigests.clear();
}

/** Texts whose digest is held right now (for tests: none once the turn has ended). */
export const heldDigests = (): number => turnDigests.size;

/** SHA-256 (base64) of a text, taken once per turn of the event loop. */
export function digestOf(text: string): string {
  let d = turnDigests.get(text);
  if (d !== undefined) return d;
  d = sha256(text, 'base64');
  if (turnDigests.size < TURN_DIGESTS) {
    turnDigests.set(text, d);
    if (!clearScheduled) {
      clearScheduled = true;
      setImmediate(clearTurnDigests);
    }
  }
  return d;
}

export class ScopedTextCache<V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<string, V>;
  hits = 0;
  misses = 0;

  /** `minChars`: shorter texts are computed every time (hashing them would cost about as much). */
  constructor(max: number, private readonly minChars = 0) {
    this.entries = new LRUCache<string, V>({ max });
  }

  /** `compute(text)`, remembered for `scope`. */
  get(scope: string, text: string, compute: (text: string) => V): V {
    const key = this.keyOf(scope, text);
    if (key === null) return compute(text);
    const hit = this.peek(key);
    if (hit !== undefined) return hit;
    const v = compute(text);
    this.entries.set(key, v);
    return v;
  }

  /** The key of (scope, text), or null when the text is not cached (shorter than `minChars`, or not well-formed). */
  keyOf(scope: string, text: string): string | null {
    if (text.length < this.minChars) return null;
    if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) return null;
    return `${scope.length}:${scope}${digestOf(text)}`;
  }

  /** The remembered result of a key (counted as a hit or a miss). */
  private peek(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) this.misses++;
    else this.hits++;
    return hit;
  }

  /**
   * Looks up every text of a batch at once, for callers that compute the misses elsewhere (a
   * worker thread) or later (only as far as a verdict needs them).
   */
  lookupAll(scope: string, texts: readonly string[]): Known<V> {
    const keys = texts.map((t) => this.keyOf(scope, t));
    const results = keys.map((k) => (k === null ? undefined : this.peek(k)));
    return {
      results,
      remember: (i, v) => {
        const k = keys[i];
        if (k !== null && k !== undefined) this.entries.set(k, v);
        results[i] = v;
        return v;
      },
    };
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
