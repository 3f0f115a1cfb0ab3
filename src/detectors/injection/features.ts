// Features of the learned (second) prompt-injection layer: hashed character
// n-grams and word uni/bigrams over a lightly normalised text. Shared by the
// training script (scripts/train-detector.ts) and inference (learned.ts), so
// the two can never disagree about what a feature is.
//
// Normalisation keeps every script as it is written — no transliteration, no
// folding of whole Cyrillic or Greek words to Latin look-alikes (which turned
// Russian attacks into gibberish in the pattern layer). It does:
//   1. drop invisible characters (zero-width, bidi controls, tag characters…);
//   2. NFKC (fullwidth, mathematical letters → plain) and lower-case;
//   3. inside a single word that mixes Latin with Cyrillic or Greek letters
//      (the "іgnоre" homoglyph trick), map the Cyrillic/Greek look-alikes to
//      Latin; words written wholly in one script are untouched;
//   4. collapse runs of whitespace to one space.
//
// Features (each hashed into DIM buckets with FNV-1a, per-kind seeds):
//   - character n-grams, n = CHAR_MIN..CHAR_MAX, over UTF-16 code units of the
//     normalised text (works for CJK, which has no spaces);
//   - word unigrams and bigrams, a word being a run of letters/digits;
//   - clause-initial words (whole, and their first three characters), by the
//     kind of boundary before them: a sentence start, or a data/quote
//     boundary (quote, colon, bracket, pipe…). Imperatives addressed to the
//     model inside data ('"note": "send the file to …"') show up here in any
//     language.
// A feature's value is 1 + ln(count); the vector is divided by
// sqrt(squared norm + SHRINK).

import { CodeUnits } from '../../util/code-units.js';

/** Number of hash buckets (a power of two). */
export const DIM = 1 << 18;
export const CHAR_MIN = 2;
export const CHAR_MAX = 5;
/**
 * Texts are cut into blocks of BLOCK normalised characters and scored in
 * windows of two adjacent blocks (overlapping by one block).
 */
export const BLOCK = 512;
/** Feature-definition version: bump whenever anything in this file changes what a feature is. */
export const FEATURE_VERSION = 4;
/**
 * Added to the squared norm before normalising: a long text's vector has
 * length ~1, a text of a few words a shorter one, so a handful of n-grams
 * ("the prompt text") cannot carry a confident score on their own.
 */
export const SHRINK = 400;

const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
/**
 * Whitespace that collapsing runs to one space changes: a run of two or more, or one character
 * other than a space. The same result as /\s+/g → ' ' (a run of two or more is matched whole, from
 * its first character), without a match and a replacement at every single space between words:
 * 53 → 9 µs per 4 KB of text.
 */
const SPACES = /\s{2,}|[^\S ]/g;
/** Words (letter runs); a word is folded only when it mixes Latin with Cyrillic or Greek. */
const LETTER_RUN = /[\p{L}\p{M}]+/gu;
const HAS_LATIN = /[a-z]/;
const HAS_CYRILLIC_GREEK = /[\u0370-\u03FF\u0400-\u04FF]/;

/** Lower-case Cyrillic and Greek letters that look like a Latin letter. */
const CONFUSABLE: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ɡ: 'g',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLE).join('')}]`, 'g');

/**
 * Could a word (LETTER_RUN) of the lower-cased `s` mix Latin with Cyrillic or Greek? A word never
 * holds an ASCII character other than a-z, so it lies inside a stretch without one; true when
 * some such stretch holds both a Latin letter and a character of HAS_CYRILLIC_GREEK's blocks
 * (a necessary condition, in one pass without allocating).
 */
function mayMixScripts(s: string): boolean {
  let latin = false;
  let other = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (c >= 97 && c <= 122) {
        if (other) return true;
        latin = true;
      } else {
        latin = false;
        other = false;
      }
    } else if (c >= 0x370 && c <= 0x4ff) {
      if (latin) return true;
      other = true;
    }
  }
  return false;
}

export function normalizeForModel(text: string): string {
  const ascii = normalizeAscii(text);
  if (ascii !== null) return ascii;
  let s = text.replace(INVISIBLE, '').normalize('NFKC').toLowerCase();
  // Only a word that mixes Latin with Cyrillic or Greek is folded: without such a word, skip the
  // per-word callback (one per word of the text; most of the cost for Russian or Greek text).
  if (mayMixScripts(s)) {
    s = s.replace(LETTER_RUN, (w) => (HAS_LATIN.test(w) && HAS_CYRILLIC_GREEK.test(w) ? w.replace(CONFUSABLE_CHARS, (c) => CONFUSABLE[c] ?? c) : w));
  }
  return s.replace(SPACES, ' ').trim();
}

/** Code units of the text collect() reads (one at a time: collect is synchronous). */
const codeUnits = new CodeUnits();

/** Output buffer of normalizeAscii, reused for texts up to ASCII_REUSE characters. */
let asciiOut = Buffer.allocUnsafe(4096);
const ASCII_REUSE = 1 << 16;

/**
 * The ASCII case of normalizeForModel in one pass: what toLowerCase().replace(/\s+/g, ' ').trim()
 * gives (ASCII's \s is tab, line feed, vertical tab, form feed, carriage return and space), or
 * null at the first non-ASCII character. Returns `text` itself when nothing changes.
 */
function normalizeAscii(text: string): string | null {
  const len = text.length;
  let out = asciiOut;
  if (len > out.length) {
    out = Buffer.allocUnsafe(len);
    if (len <= ASCII_REUSE) asciiOut = out;
  }
  let n = 0;
  let space = false; // whitespace since the last character written
  let changed = false;
  for (let i = 0; i < len; i++) {
    let c = text.charCodeAt(i);
    if (c >= 128) return null;
    if (c === 32 || (c >= 9 && c <= 13)) {
      // Kept as is only when it is a single space after a character (and one follows).
      if (c !== 32 || space || n === 0) changed = true;
      space = true;
      continue;
    }
    if (space) {
      if (n > 0) out[n++] = 32;
      space = false;
    }
    if (c >= 65 && c <= 90) {
      c += 32;
      changed = true;
    }
    out[n++] = c;
  }
  if (space) changed = true; // trailing whitespace, trimmed
  return changed ? out.toString('latin1', 0, n) : text;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEED_WORD = 0x3a8f0c1d;
const SEED_BIGRAM = 0x5bd1e995;
const SEED_LEAD = 0x2f6b7c3d;
const SEED_LEAD_PREFIX = 0x7a1e44c9;

/**
 * Where a word stands, from the character before it (whitespace skipped):
 * 0 inside a clause (after a letter, digit, comma or hyphen), 1 at the start
 * of the text or after a sentence end, 2 after a data or quote boundary
 * (quote, colon, brackets, pipe, equals sign, angle brackets).
 */
function leadClass(c: number): number {
  switch (c) {
    case 46: case 33: case 63: case 59: case 0x3002: case 0xff01: case 0xff1f: case 0x061f: case 0x0964: // . ! ? ; 。 ！ ？ ؟ ।
      return 1;
    case 34: case 39: case 58: case 123: case 125: case 91: case 93: case 124: case 61: case 60: case 62: case 40: case 41: case 42: case 35: // " ' : { } [ ] | = < > ( ) * #
    case 0x300c: case 0x300d: case 0xff1a: case 0x201c: case 0x201d: case 0x00ab: case 0x00bb: // 「 」 ： “ ” « »
      return 2;
    default:
      return 0;
  }
}

/** Letters and digits (any script) make words; everything else separates them. */
function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  // General punctuation, CJK symbols and punctuation, fullwidth forms' punctuation.
  if (c >= 0x2000 && c <= 0x206f) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  if (c >= 0xff00 && c <= 0xff0f) return false;
  if (c === 0x00a0 || c === 0x00ab || c === 0x00bb || c === 0x060c || c === 0x061f || c === 0x0964) return false;
  return true;
}

const LOG_TABLE = (() => {
  const t = new Float64Array(65536);
  for (let i = 1; i < t.length; i++) t[i] = 1 + Math.log(i);
  return t;
})();

/**
 * FeatureBag.add on locals, for the n-gram loop: counts hash h's bucket and returns the new length
 * of `touched` (which has room).
 */
function countInto(counts: Uint16Array, touched: Int32Array, n: number, h: number): number {
  const b = h & (DIM - 1);
  const c = counts[b] as number;
  if (c < 65535) counts[b] = c + 1;
  if (c !== 0) return n;
  touched[n] = b;
  return n + 1;
}

/** The counted features of one block of text: bucket numbers and counts. */
export interface Block {
  idx: Int32Array;
  cnt: Uint16Array;
}

/**
 * Feature counter, reused across calls (one per scorer; not re-entrant).
 * Text is cut into blocks of BLOCK characters; the n-grams and words that
 * start in a block belong to it (they may read past its end), so a window of
 * adjacent blocks holds exactly the features starting inside it, and each
 * character is hashed once however many windows cover it.
 *
 * A window's features are counted in `counts`, and `touched` lists its
 * buckets in the order they were first counted; a window's dot product sums
 * over `touched` in that order. Inference (maxDot) allocates nothing: a text
 * of one or two blocks — one window — is counted straight into `counts`,
 * which gives the same buckets in the same first-touch order as counting its
 * blocks apart and merging them; longer texts keep their blocks in reusable
 * flat buffers.
 */
export class FeatureBag {
  private readonly counts = new Uint16Array(DIM);
  private touched = new Int32Array(4096);
  private n = 0;
  /** The blocks of the text being scored: block k's buckets and counts are [ends[k-1], ends[k]) of these. */
  private flatIdx = new Int32Array(8192);
  private flatCnt = new Uint16Array(8192);
  private ends = new Int32Array(64);
  private nBlocks = 0;

  private add(h: number): void {
    const b = h & (DIM - 1);
    const c = this.counts[b] as number;
    if (c === 0) {
      if (this.n === this.touched.length) this.grow();
      this.touched[this.n++] = b;
    }
    if (c < 65535) this.counts[b] = c + 1;
  }

  private grow(): void {
    const t = new Int32Array(this.touched.length * 2);
    t.set(this.touched);
    this.touched = t;
  }

  /** Moves the counted features into the flat block buffers as the next block. */
  private keep(): void {
    const at = this.nBlocks === 0 ? 0 : (this.ends[this.nBlocks - 1] as number);
    const need = at + this.n;
    if (need > this.flatIdx.length) {
      const size = Math.max(need, this.flatIdx.length * 2);
      const idx = new Int32Array(size);
      idx.set(this.flatIdx.subarray(0, at));
      this.flatIdx = idx;
      const cnt = new Uint16Array(size);
      cnt.set(this.flatCnt.subarray(0, at));
      this.flatCnt = cnt;
    }
    if (this.nBlocks === this.ends.length) {
      const e = new Int32Array(this.ends.length * 2);
      e.set(this.ends);
      this.ends = e;
    }
    const touched = this.touched;
    const counts = this.counts;
    const flatIdx = this.flatIdx;
    const flatCnt = this.flatCnt;
    for (let k = 0; k < this.n; k++) {
      const b = touched[k] as number;
      flatIdx[at + k] = b;
      flatCnt[at + k] = counts[b] as number;
      counts[b] = 0;
    }
    this.ends[this.nBlocks++] = need;
    this.n = 0;
  }

  /**
   * Counts the features of a normalised text. With `split`, each block's features are moved to
   * the flat buffers (keep) as it ends; without, the whole text's features stay in `counts`.
   */
  private collect(s: string, split: boolean): void {
    const len = s.length;
    // The text's code units, read by index below (util/code-units.ts); every index read is < len.
    const u = codeUnits.of(s);
    this.nBlocks = 0;
    // Word starts, and the previous word's hash at each, computed in one pass.
    let from = 0;
    let prevWord = 0;
    let i = 0;
    do {
      const to = Math.min(len, from + BLOCK);
      // Character n-grams starting at from-1 (the leading space of the text) .. to-1. Where all
      // five characters of the longest n-gram lie inside the text (p >= 0, p + 4 < len), the
      // last five characters are kept in registers; elsewhere the text is padded with a space
      // at -1 and at len. Either way the n-grams are counted in the same order.
      let p = from === 0 ? -1 : from;
      for (; p < to && p < 0; p++) this.ngramsAt(s, p);
      const fast = Math.min(to, len - CHAR_MAX + 1);
      if (p < fast) {
        // add() on locals (countInto): room for every n-gram of the loop is made first.
        while (this.touched.length < this.n + 4 * (fast - p)) this.grow();
        const counts = this.counts;
        const touched = this.touched;
        let n = this.n;
        let c1 = (u[p] as number);
        let c2 = (u[p + 1] as number);
        let c3 = (u[p + 2] as number);
        let c4 = (u[p + 3] as number);
        for (; p < fast; p++) {
          const c0 = c1;
          c1 = c2;
          c2 = c3;
          c3 = c4;
          c4 = u[p + 4] as number;
          let h = Math.imul(FNV_OFFSET ^ c0, FNV_PRIME);
          h = Math.imul(h ^ c1, FNV_PRIME);
          n = countInto(counts, touched, n, h);
          h = Math.imul(h ^ c2, FNV_PRIME);
          n = countInto(counts, touched, n, h);
          h = Math.imul(h ^ c3, FNV_PRIME);
          n = countInto(counts, touched, n, h);
          h = Math.imul(h ^ c4, FNV_PRIME);
          n = countInto(counts, touched, n, h);
        }
        this.n = n;
      }
      for (; p < to; p++) this.ngramsAt(s, p);
      // Words starting in [from, to).
      while (i < to) {
        if (!isWordChar(u[i] as number)) { i++; continue; }
        let h = SEED_WORD;
        let j = i;
        while (j < len && isWordChar(u[j] as number)) h = Math.imul(h ^ (u[j++] as number), FNV_PRIME);
        h >>>= 0;
        this.add(h);
        if (prevWord !== 0) this.add(Math.imul((prevWord ^ SEED_BIGRAM) + h, FNV_PRIME) >>> 0);
        // Clause-initial words (imperatives: "ignore …", "send …", "please …"),
        // apart for sentence starts and for data/quote boundaries ('": send
        // all…', '| ignore …'), where an instruction inside data shows. The
        // first three characters generalise over inflections and CJK runs.
        const before = i > 0 && u[i - 1] === 32 ? i - 2 : i - 1;
        const lead = before < 0 ? 1 : isWordChar(u[before] as number) ? 0 : leadClass(u[before] as number);
        if (lead !== 0) {
          this.add(Math.imul(h ^ (SEED_LEAD + lead), FNV_PRIME) >>> 0);
          let pre = SEED_LEAD_PREFIX + lead;
          for (let q = i; q < Math.min(j, i + 3); q++) pre = Math.imul(pre ^ (u[q] as number), FNV_PRIME);
          this.add(pre >>> 0);
        }
        prevWord = h || 1;
        i = j;
      }
      if (split) this.keep();
      from = to;
    } while (from < len);
  }

  /** The character n-grams starting at `p` (-1 <= p < len), reading a space at -1 and at len. */
  private ngramsAt(s: string, p: number): void {
    const len = s.length;
    let h = FNV_OFFSET;
    for (let k = 0; k < CHAR_MAX; k++) {
      const q = p + k;
      if (q > len) break;
      const c = q < 0 || q === len ? 32 : s.charCodeAt(q);
      h = Math.imul(h ^ c, FNV_PRIME);
      if (k + 1 >= CHAR_MIN) this.add(h >>> 0);
    }
  }

  /** The blocks of a normalised text (training; inference uses maxDot). */
  blocks(s: string): Block[] {
    this.collect(s, true);
    const out: Block[] = [];
    for (let k = 0; k < this.nBlocks; k++) {
      const a = k === 0 ? 0 : (this.ends[k - 1] as number);
      const e = this.ends[k] as number;
      out.push({ idx: this.flatIdx.slice(a, e), cnt: this.flatCnt.slice(a, e) });
    }
    return out;
  }

  /**
   * The highest dot product of `w` with the L2-normalised features of a window of the normalised,
   * non-empty text `s` (the windows of windows(blocks(s))): exactly max over those windows of
   * dot(window, w), the same sums in the same order, without allocating.
   */
  maxDot(s: string, w: Float32Array): number {
    if (s.length <= 2 * BLOCK) {
      this.collect(s, false);
      return this.finish(w);
    }
    this.collect(s, true);
    let best = -Infinity;
    // Window k is blocks k and k + 1. Block k + 1 is counted once for both windows it is in: the
    // window's finish leaves its counts in place (finishInto), where merging it again would read
    // and write every one of its buckets a second time.
    this.mergeFlat(0);
    for (let k = 0; k + 1 < this.nBlocks; k++) {
      this.mergeFlat(k + 1);
      const d = k + 2 < this.nBlocks ? this.finishInto(w, k) : this.finish(w);
      if (d > best) best = d;
    }
    return best;
  }

  /**
   * finish() for the window of blocks k and k + 1, counted in that order, leaving block k + 1
   * counted as mergeFlat(k + 1) alone would have: block k's counts are taken off (no count
   * saturates: a window has far fewer than 65,535 features) and `touched` becomes block k + 1's
   * buckets in its own order. The same sums in the same order as finish().
   */
  private finishInto(w: Float32Array, k: number): number {
    const ends = this.ends;
    const a0 = k === 0 ? 0 : (ends[k - 1] as number);
    const lenA = (ends[k] as number) - a0;
    const b0 = ends[k] as number;
    const lenB = (ends[k + 1] as number) - b0;
    const touched = this.touched;
    const counts = this.counts;
    const flatCnt = this.flatCnt;
    let norm = 0;
    let dot = 0;
    for (let i = 0; i < this.n; i++) {
      const b = touched[i] as number;
      const c = counts[b] as number;
      const v = LOG_TABLE[c] as number;
      norm += v * v;
      dot += v * (w[b] as number);
      // The first lenA buckets are block k's, in its order (it was merged first, into nothing).
      if (i < lenA) counts[b] = c - (flatCnt[a0 + i] as number);
    }
    touched.set(this.flatIdx.subarray(b0, b0 + lenB));
    this.n = lenB;
    return norm > 0 ? dot / Math.sqrt(norm + SHRINK) : 0;
  }

  /** Adds block k of the flat buffers to the counts. */
  private mergeFlat(k: number): void {
    const e = this.ends[k] as number;
    const counts = this.counts;
    for (let a = k === 0 ? 0 : (this.ends[k - 1] as number); a < e; a++) {
      const b = this.flatIdx[a] as number;
      const c = counts[b] as number;
      if (c === 0) {
        if (this.n === this.touched.length) this.grow();
        this.touched[this.n++] = b;
      }
      counts[b] = Math.min(65535, c + (this.flatCnt[a] as number));
    }
  }

  private merge(blocks: readonly Block[]): void {
    for (const { idx, cnt } of blocks) {
      for (let k = 0; k < idx.length; k++) {
        const b = idx[k] as number;
        const c = this.counts[b] as number;
        if (c === 0) {
          if (this.n === this.touched.length) this.grow();
          this.touched[this.n++] = b;
        }
        this.counts[b] = Math.min(65535, c + (cnt[k] as number));
      }
    }
  }

  /** The dot product of `w` with the L2-normalised counted features, in `touched` order; clears the counts. */
  private finish(w: Float32Array): number {
    let norm = 0;
    let dot = 0;
    const touched = this.touched;
    const counts = this.counts;
    for (let k = 0; k < this.n; k++) {
      const b = touched[k] as number;
      const v = LOG_TABLE[counts[b] as number] as number;
      norm += v * v;
      dot += v * (w[b] as number);
      counts[b] = 0;
    }
    this.n = 0;
    return norm > 0 ? dot / Math.sqrt(norm + SHRINK) : 0;
  }

  /** Dot product of `w` with the L2-normalised features of the window made of `blocks`. */
  dot(blocks: readonly Block[], w: Float32Array): number {
    this.merge(blocks);
    return this.finish(w);
  }

  /** The L2-normalised sparse vector of the window made of `blocks` (for training). */
  sparse(blocks: readonly Block[]): { idx: Int32Array; val: Float32Array } {
    this.merge(blocks);
    const idx = this.touched.slice(0, this.n).sort();
    const val = new Float32Array(this.n);
    let norm = 0;
    for (let k = 0; k < idx.length; k++) {
      const v = LOG_TABLE[this.counts[idx[k] as number] as number] as number;
      val[k] = v;
      norm += v * v;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm + SHRINK) : 0;
    for (let k = 0; k < val.length; k++) {
      val[k] = (val[k] as number) * inv;
      this.counts[idx[k] as number] = 0;
    }
    this.n = 0;
    return { idx, val };
  }
}

/** Windows over `count` blocks: each pair of adjacent blocks, or the one block. */
export function windows<T>(blocks: readonly T[]): T[][] {
  if (blocks.length <= 1) return [blocks.slice()];
  const out: T[][] = [];
  for (let k = 0; k + 1 < blocks.length; k++) out.push([blocks[k] as T, blocks[k + 1] as T]);
  return out;
}
