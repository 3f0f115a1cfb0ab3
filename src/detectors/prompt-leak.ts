/**
 * System-prompt leak detection by word n-grams: a response that reproduces `n` consecutive
 * words of the request's system prompt is a leak, streamed or not, wherever the copy starts.
 * The canary (detectors/canary.ts) catches the marker; this catches the prompt's own words —
 * including the ones before the marker, which a marker-only check lets stream out.
 *
 * Words are runs of letters/digits (any script), compared lower-cased, so punctuation,
 * markdown and spacing changes do not hide a copy. Streaming hold-back is only what the check
 * needs: text is released as it comes, except that when the last n-1 words released are
 * themselves n-1 consecutive words of the prompt, the word being written is held until it is
 * complete and checked. Ordinary output therefore streams with no added delay, and a copy of
 * the prompt shows at most n-1 of its words before the response is withheld. Pure, no I/O.
 */

const WORD = /[\p{L}\p{N}]/u;

function isWordChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return WORD.test(ch);
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The word n-grams (and (n-1)-grams) of a system prompt. */
export class PromptFingerprint {
  readonly grams = new Set<string>();
  readonly prefixes = new Set<string>();

  /** `maxWords` bounds the work for huge system prompts (the first ones are kept). */
  constructor(text: string, readonly n: number, maxWords = 20000) {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`systemPromptLeak.words must be an integer >= 2, got ${n}`);
    const w = words(text).slice(0, maxWords);
    for (let i = 0; i + n <= w.length; i++) {
      this.grams.add(w.slice(i, i + n).join(' '));
      this.prefixes.add(w.slice(i, i + n - 1).join(' '));
    }
  }

  get empty(): boolean {
    return this.grams.size === 0;
  }

  /** Does a whole text repeat n consecutive words of the prompt? */
  leaks(text: string): boolean {
    if (this.empty) return false;
    const w = words(text);
    for (let i = 0; i + this.n <= w.length; i++) if (this.grams.has(w.slice(i, i + this.n).join(' '))) return true;
    return false;
  }
}

/** Streaming watch over one text. */
export class PromptLeakWatch {
  /** The last n-1 completed words. */
  private recent: string[] = [];
  private word = '';
  private pending = '';
  private holding = false;
  leaked = false;

  constructor(private readonly fp: PromptFingerprint) {}

  /** Feed raw text; returns what can be released now, or null once the prompt was repeated. */
  push(chunk: string): string | null {
    if (this.leaked) return null;
    const buf = this.pending + chunk;
    let safe = 0;
    // Characters of buf before `from` were already scanned (they are the held word).
    let i = this.pending.length;
    if (!this.holding) safe = i;
    for (const ch of chunk) {
      if (isWordChar(ch)) {
        if (this.word === '') this.holding = this.recent.length === this.fp.n - 1 && this.fp.prefixes.has(this.recent.join(' '));
        this.word += ch.toLowerCase();
      } else if (this.word !== '' && this.complete()) {
        return null;
      }
      i += ch.length;
      if (!this.holding) safe = i;
    }
    this.pending = buf.slice(safe);
    return buf.slice(0, safe);
  }

  /** End of text: a held word is complete now. */
  end(): string | null {
    if (this.leaked) return null;
    if (this.word !== '' && this.complete()) return null;
    const out = this.pending;
    this.pending = '';
    return out;
  }

  /** The current word is complete: check the n-gram it ends; true on a leak. */
  private complete(): boolean {
    const gram = [...this.recent, this.word];
    this.word = '';
    this.holding = false;
    if (gram.length === this.fp.n && this.fp.grams.has(gram.join(' '))) {
      this.leaked = true;
      this.pending = '';
      return true;
    }
    this.recent = gram.slice(Math.max(0, gram.length - (this.fp.n - 1)));
    return false;
  }
}
