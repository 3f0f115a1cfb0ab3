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
//   - word unigrams and bigrams, a word being a run of letters/digits.
// A feature's value is 1 + ln(count); the vector is L2-normalised.

/** Number of hash buckets (a power of two). */
export const DIM = 1 << 18;
export const CHAR_MIN = 2;
export const CHAR_MAX = 5;
/** Texts longer than this are scored in overlapping windows of this many normalised characters. */
export const WINDOW = 1024;
export const STRIDE = 512;
/** Feature-definition version: bump whenever anything in this file changes what a feature is. */
export const FEATURE_VERSION = 1;

const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
const NON_ASCII = /[^\x00-\x7F]/;
const SPACES = /\s+/g;
/** A word containing a Latin letter and a Cyrillic or Greek letter. */
const MIXED_WORD = /[\p{L}\p{M}]*(?:[a-z][\p{L}\p{M}]*[\u0370-\u03FF\u0400-\u04FF]|[\u0370-\u03FF\u0400-\u04FF][\p{L}\p{M}]*[a-z])[\p{L}\p{M}]*/gu;

/** Lower-case Cyrillic and Greek letters that look like a Latin letter. */
const CONFUSABLE: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ɡ: 'g',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLE).join('')}]`, 'g');

export function normalizeForModel(text: string): string {
  let s = text;
  if (NON_ASCII.test(s)) {
    s = s.replace(INVISIBLE, '').normalize('NFKC').toLowerCase();
    s = s.replace(MIXED_WORD, (w) => w.replace(CONFUSABLE_CHARS, (c) => CONFUSABLE[c] ?? c));
  } else {
    s = s.toLowerCase();
  }
  return s.replace(SPACES, ' ').trim();
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEED_WORD = 0x3a8f0c1d;
const SEED_BIGRAM = 0x5bd1e995;

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

/**
 * Sparse feature accumulator, reused across windows: `add` counts a bucket,
 * `finish` turns counts into L2-normalised values and resets.
 */
export class FeatureBag {
  private readonly counts = new Float64Array(DIM);
  private touched = new Int32Array(4096);
  private n = 0;

  private add(h: number): void {
    const b = h & (DIM - 1);
    if (this.counts[b] === 0) {
      if (this.n === this.touched.length) {
        const t = new Int32Array(this.touched.length * 2);
        t.set(this.touched);
        this.touched = t;
      }
      this.touched[this.n++] = b;
    }
    this.counts[b] = (this.counts[b] ?? 0) + 1;
  }

  /** Count the features of s[from, to) (s already normalised). */
  extract(s: string, from: number, to: number): void {
    // Character n-grams, with a space as the boundary on both sides.
    const len = to - from;
    for (let i = -1; i < len; i++) {
      let h = FNV_OFFSET;
      for (let k = 0; k < CHAR_MAX; k++) {
        const p = i + k;
        if (p > len) break;
        const c = p < 0 || p === len ? 32 : s.charCodeAt(from + p);
        h = Math.imul(h ^ c, FNV_PRIME);
        if (k + 1 >= CHAR_MIN) this.add(Math.imul(h ^ (k + 1), FNV_PRIME) >>> 0);
      }
    }
    // Word unigrams and bigrams.
    let prev = 0;
    let start = -1;
    for (let i = from; i <= to; i++) {
      const c = i < to ? s.charCodeAt(i) : 32;
      if (isWordChar(c)) {
        if (start < 0) start = i;
        continue;
      }
      if (start < 0) continue;
      let h = SEED_WORD;
      for (let j = start; j < i; j++) h = Math.imul(h ^ s.charCodeAt(j), FNV_PRIME);
      h >>>= 0;
      this.add(h);
      if (prev !== 0) this.add(Math.imul((prev ^ SEED_BIGRAM) + h, FNV_PRIME) >>> 0);
      prev = h || 1;
      start = -1;
    }
  }

  /** Dot product of the L2-normalised bag with `w`, then reset. */
  dotAndReset(w: Float32Array): number {
    let norm = 0;
    let dot = 0;
    for (let k = 0; k < this.n; k++) {
      const b = this.touched[k] as number;
      const v = 1 + Math.log(this.counts[b] as number);
      norm += v * v;
      dot += v * (w[b] as number);
      this.counts[b] = 0;
    }
    this.n = 0;
    return norm > 0 ? dot / Math.sqrt(norm) : 0;
  }

  /** The L2-normalised sparse vector (for training), then reset. */
  takeSparse(): { idx: Int32Array; val: Float32Array } {
    const idx = this.touched.slice(0, this.n).sort();
    const val = new Float32Array(this.n);
    let norm = 0;
    for (let k = 0; k < idx.length; k++) {
      const v = 1 + Math.log(this.counts[idx[k] as number] as number);
      val[k] = v;
      norm += v * v;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < val.length; k++) {
      val[k] = (val[k] as number) * inv;
      this.counts[idx[k] as number] = 0;
    }
    this.n = 0;
    return { idx, val };
  }
}

/** Window start offsets for a normalised text of length `len`. */
export function windowStarts(len: number): number[] {
  if (len <= WINDOW) return [0];
  const starts: number[] = [];
  for (let s = 0; s + WINDOW < len; s += STRIDE) starts.push(s);
  starts.push(len - WINDOW);
  return starts;
}
