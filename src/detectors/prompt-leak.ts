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
import { TextDecoder } from 'node:util';
import { LRUCache } from 'lru-cache';

const WORD = /[\p{L}\p{N}]/u;

function isAsciiWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The word n-grams (and (n-1)-grams) of a system prompt. */
export class PromptFingerprint {
  private readonly grams = new Set<string>();
  private readonly prefixes = new Set<string>();
  /** First words of the grams: most positions of a checked text start no gram, and skip the join. */
  private readonly starts = new Set<string>();
  /** The grams that contain the canary placeholder word (a cached base only), and the request's own. */
  private markerGrams: string[] = [];
  private markerPrefixes: string[] = [];
  /** The same as sets, and the marker grams' first words (a cached base only; see own()). */
  private markerGramSet: ReadonlySet<string> = NONE;
  private markerPrefixSet: ReadonlySet<string> = NONE;
  private markerStartSet: ReadonlySet<string> = NONE;
  /**
   * A request's own marker word (its canary's hex digits) in a fingerprint made from a cached
   * base: the grams, prefixes and first words around it are recognised by reading what is asked
   * backwards (own()); only the whole-text check of an ASCII answer, on a hit of its hashes, makes
   * the request's grams (`extras`), so most requests build no strings and no sets for it.
   */
  private hex: string | null = null;
  private extras: Set<string> | null = null;
  /** The hashes of the request's own grams (leaksAscii), made when first needed. */
  private extraHashes: Set<number> | null = null;
  /** Set by leaksAscii: the base64 runs of at least MIN_B64_RUN characters of the text it read (start, end, …). */
  private runs: number[] = [];
  /**
   * One bit per word hash (its low 16 bits) of every word of the prompt: a gram is n words of
   * the prompt, so an answer's run of fewer than n such words in a row holds no gram, and
   * leaksAscii folds and looks up no gram hash there (in ordinary text, almost nowhere).
   */
  private wordBits = new Uint32Array(WORD_BITS / 32);

  /** `maxWords` bounds the work for huge system prompts (the first ones are kept). */
  constructor(text: string, readonly n: number, maxWords = 20000) {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`systemPromptLeak.words must be an integer >= 2, got ${n}`);
    const w = words(text).slice(0, maxWords);
    for (let i = 0; i + n <= w.length; i++) {
      this.grams.add(w.slice(i, i + n).join(' '));
      this.prefixes.add(w.slice(i, i + n - 1).join(' '));
      this.starts.add(w[i] as string);
    }
    for (const word of w) setBit(this.wordBits, hashWord(word));
  }

  /**
   * The fingerprint of a request's system prompt `text`, which contains the request's fresh
   * canary `marker` (or none): the same n-grams as `new PromptFingerprint(text, n)`, but built
   * from a small cache. A route's requests mostly carry the same system prompt, and building the
   * n-gram sets per request showed in the hot-path profile (docs/benchmarks.md). The cached base
   * is the prompt with the marker replaced by a placeholder; the grams around the placeholder
   * are re-made with the real marker per request (a handful of strings), and the placeholder's
   * own grams are never matched. The cache is bounded by prompt characters, so a flood of
   * distinct prompts evicts, never grows.
   */
  static of(text: string, n: number, marker: string | null): PromptFingerprint {
    const hex = marker === null ? null : markerWord(marker);
    if (text.length > MAX_CACHED_CHARS || text.includes(PLACEHOLDER_WORD) || (marker !== null && (hex === null || !text.includes(marker)))) {
      return new PromptFingerprint(text, n);
    }
    const baseText = marker === null ? text : text.split(marker).join(PLACEHOLDER);
    const key = `${n}\u0000${baseText}`;
    let base = fingerprints.get(key);
    if (base === undefined) {
      base = new PromptFingerprint(baseText, n);
      for (const set of [base.grams, base.prefixes]) {
        const out = set === base.grams ? base.markerGrams : base.markerPrefixes;
        for (const g of set) if (g.includes(PLACEHOLDER_WORD)) out.push(g);
        for (const g of out) set.delete(g);
      }
      base.markerGramSet = new Set(base.markerGrams);
      base.markerPrefixSet = new Set(base.markerPrefixes);
      base.markerStartSet = new Set(base.markerGrams.map((g) => g.slice(0, g.indexOf(' '))));
      // Only marker grams start with the placeholder (own() answers for their real first words).
      for (const w of base.markerStartSet) if (w.includes(PLACEHOLDER_WORD)) base.starts.delete(w);
      fingerprints.set(key, base);
    }
    if (hex === null || (base.markerGrams.length === 0 && base.markerPrefixes.length === 0)) return base;
    const fp = Object.create(PromptFingerprint.prototype) as PromptFingerprint;
    Object.assign(fp, { n, grams: base.grams, prefixes: base.prefixes, starts: base.starts, markerGrams: base.markerGrams, markerPrefixes: base.markerPrefixes, markerGramSet: base.markerGramSet, markerPrefixSet: base.markerPrefixSet, markerStartSet: base.markerStartSet, wordBits: base.wordBits, hex, extras: null, extraHashes: null, runs: [] });
    return fp;
  }

  /** The request's own grams (see `hex`), made on first use (ownGramHashes); null without a marker. */
  private ownGrams(): Set<string> | null {
    const hex = this.hex;
    if (hex === null) return null;
    this.extras ??= new Set(this.markerGrams.map((g) => g.split(PLACEHOLDER_WORD).join(hex)));
    return this.extras;
  }

  /**
   * Is `s` one of the request's own strings, a base string around the placeholder (`base`: marker
   * grams, prefixes or first words) with the placeholder replaced by the request's marker word?
   * Read backwards instead of making the request's strings: with the marker word replaced by the
   * placeholder, `s` must be such a base string, and that string forwards must give `s` back. A
   * streamed answer asks at most word starts, and making the request's sets (a dozen strings and
   * three sets) was 1.6% of a streamed request's CPU (npm run bench:profile). Sound by the
   * forward check. Complete as long as the base text does not hold the marker word itself: 20 hex
   * digits drawn fresh for the request, which the prompt's author could not know.
   */
  private own(s: string, base: ReadonlySet<string>): boolean {
    const hex = this.hex;
    if (hex === null || base.size === 0 || !s.includes(hex)) return false;
    const b = s.split(hex).join(PLACEHOLDER_WORD);
    return base.has(b) && b.split(PLACEHOLDER_WORD).join(hex) === s;
  }

  get empty(): boolean {
    return this.grams.size === 0 && (this.hex === null || this.markerGrams.length === 0);
  }

  hasGram(g: string): boolean {
    return this.grams.has(g) || this.own(g, this.markerGramSet);
  }

  hasPrefix(g: string): boolean {
    return this.prefixes.has(g) || this.own(g, this.markerPrefixSet);
  }

  /**
   * Can a gram (or a prefix: the first n-1 words of one) start with `word`? Every gram's and
   * prefix's first word is here, so a false answer skips building the joined string.
   */
  startsWith(word: string): boolean {
    return this.starts.has(word) || this.own(word, this.markerStartSet);
  }

  /**
   * Does a whole text repeat n consecutive words of the prompt, as it is or encoded (a base64 or
   * hex run, decoded on its own; see EncodedLeakWatch)? A run decoded is not decoded again.
   */
  leaks(text: string): boolean {
    if (this.empty) return false;
    const fast = this.leaksAscii(text);
    if (fast === true || (fast === null && this.leaksWords(text))) return true;
    // leaksAscii noted the runs long enough to be decoded; other texts are read for them here.
    const runs = fast === false ? this.runs : runsOf(text, 0, text.length, B64_VALUE, MIN_B64_RUN);
    return runs.length > 0 && this.leaksEncoded(text, runs);
  }

  /**
   * The plain check of base64 runs (start and end pairs), each decoded on its own, and of the hex
   * runs inside them (hex digits are base64 characters, so every hex run long enough lies in one).
   */
  private leaksEncoded(text: string, runs: readonly number[]): boolean {
    // leaksAscii overwrites this.runs: read them out first.
    const spans = runs.slice();
    for (let k = 0; k < spans.length; k += 2) {
      const from = spans[k] as number;
      const to = spans[k + 1] as number;
      const hex = runsOf(text, from, to, HEX_VALUE, MIN_HEX_RUN);
      const decoded = [Buffer.from(text.slice(from, to), 'base64').toString('utf8')];
      for (let h = 0; h < hex.length; h += 2) decoded.push(Buffer.from(text.slice(hex[h] as number, hex[h + 1] as number), 'hex').toString('utf8'));
      for (const d of decoded) {
        const fast = this.leaksAscii(d);
        if (fast === true || (fast === null && this.leaksWords(d))) return true;
      }
    }
    return false;
  }

  /** The general path of the plain check: words, then grams. */
  private leaksWords(text: string): boolean {
    const w = words(text);
    for (let i = 0; i + this.n <= w.length; i++) {
      if (!this.startsWith(w[i] as string)) continue;
      if (this.hasGram(w.slice(i, i + this.n).join(' '))) return true;
    }
    return false;
  }

  /**
   * The same for an all-ASCII text (null for any other): word runs are found and hashed as they
   * are read, each run of n word hashes is folded into one and looked up among the grams'
   * hashes, and words are sliced only on a hit (to compare the words themselves) — instead of
   * lower-casing the text, matching a Unicode regex into an array of every word, and joining n
   * words at every position whose first word starts a gram. Property-tested against the
   * general path.
   */
  private leaksAscii(text: string): boolean | null {
    const len = text.length;
    if (wordFrom.length < len + 1) { wordFrom = new Int32Array(len + 64); wordTo = new Int32Array(len + 64); wordHash = new Int32Array(len + 64); }
    const n = this.n;
    const bits = this.wordBits;
    const hexHash = this.hex === null ? -1 : hashWord(this.hex);
    let count = 0;
    let from = -1;
    let h = 0;
    // Words of the prompt in a row, ending with the last word read.
    let run = 0;
    // Where the base64 run being read starts; the runs that reached MIN_B64_RUN (leaks()
    // decodes those): looked at only at characters that are not letters or digits.
    let b64From = 0;
    const runs = this.runs;
    runs.length = 0;
    for (let i = 0; i <= len; i++) {
      const c = i < len ? text.charCodeAt(i) : 32;
      if (c >= 128) return null;
      const lower = ASCII_WORD[c] as number;
      if (lower !== 0) {
        if (from < 0) { from = i; h = FNV_SEED; }
        h = Math.imul(h ^ lower, FNV_PRIME);
        continue;
      }
      if (c !== 43 && c !== 47 && c !== 45 && c !== 95) {
        if (i - b64From >= MIN_B64_RUN) runs.push(b64From, i);
        b64From = i + 1;
      }
      if (from < 0) continue;
      const wh = h & SMI;
      wordFrom[count] = from;
      wordTo[count] = i;
      wordHash[count] = wh;
      count++;
      from = -1;
      run = hasBit(bits, wh) || wh === hexHash ? run + 1 : 0;
      if (run >= n && this.gramAt(text, count - n)) return true;
    }
    return false;
  }

  /** Are the n words read from `at` on (hashes and positions in the scratch arrays) a gram? */
  private gramAt(text: string, at: number): boolean {
    const n = this.n;
    let g = GRAM_SEED;
    for (let k = at; k < at + n; k++) g = Math.imul(g ^ (wordHash[k] as number), GRAM_PRIME);
    g &= SMI;
    if (!gramHashesOf(this.grams, n).has(g)) {
      const own = this.ownGramHashes();
      if (own === null || !own.has(g)) return false;
    }
    // A hash of a gram: compare the words themselves.
    let gram = text.slice(wordFrom[at] as number, wordTo[at] as number).toLowerCase();
    for (let k = at + 1; k < at + n; k++) gram += ` ${text.slice(wordFrom[k] as number, wordTo[k] as number).toLowerCase()}`;
    return this.hasGram(gram);
  }

  /** The hashes of the request's own grams (made from the base's marker grams on first use). */
  private ownGramHashes(): Set<number> | null {
    if (this.hex === null || this.markerGrams.length === 0) return null;
    this.extraHashes ??= gramHashes(this.ownGrams() ?? new Set<string>(), this.n);
    return this.extraHashes;
  }
}

/** Per ASCII code: its lower case when it is a word character (letter or digit), else 0. */
const ASCII_WORD = Uint8Array.from({ length: 128 }, (_, c) => (isAsciiWordCode(c) ? (c >= 65 && c <= 90 ? c + 32 : c) : 0));

/** Bits of PromptFingerprint.wordBits. */
const WORD_BITS = 1 << 16;
const setBit = (bits: Uint32Array, h: number): void => {
  const b = h & (WORD_BITS - 1);
  bits[b >>> 5] = (bits[b >>> 5] as number) | (1 << (b & 31));
};
const hasBit = (bits: Uint32Array, h: number): boolean => {
  const b = h & (WORD_BITS - 1);
  return ((bits[b >>> 5] as number) & (1 << (b & 31))) !== 0;
};

const GRAM_SEED = 0x3b9aca07 | 0;
const GRAM_PRIME = 0x5bd1e995 | 0;
/** The hash leaksAscii computes for n words: its words' FNV-1a hashes folded in order. */
function gramHashes(grams: Set<string>, n: number): Set<number> {
  const out = new Set<number>();
  for (const gram of grams) {
    const ws = gram.split(' ');
    if (ws.length !== n) continue;
    let g = GRAM_SEED;
    for (const w of ws) g = Math.imul(g ^ hashWord(w), GRAM_PRIME);
    out.add(g & SMI);
  }
  return out;
}
/** The base grams' hashes, cached with the (cached, shared) set they come from. */
function gramHashesOf(grams: Set<string>, n: number): Set<number> {
  let h = gramHashCache.get(grams);
  if (h === undefined) {
    h = gramHashes(grams, n);
    gramHashCache.set(grams, h);
  }
  return h;
}
const gramHashCache = new WeakMap<Set<string>, Set<number>>();

const FNV_SEED = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** FNV-1a over a (lower-cased) word's code units: what leaksAscii computes while reading. */
function hashWord(w: string): number {
  let h = FNV_SEED;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), FNV_PRIME);
  return h & SMI;
}
/** Hashes are cut to 30 bits: small integers, which V8 keeps unboxed (in the Set and the arithmetic). */
const SMI = 0x3fffffff;
/** Scratch of leaksAscii (synchronous, so one set serves every call). */
let wordFrom = new Int32Array(256);
let wordTo = new Int32Array(256);
let wordHash = new Int32Array(256);

/** The marker's random word, as words() sees it ('MGC-3F…' → '3f…'), or null if it is not one word. */
function markerWord(marker: string): string | null {
  const w = words(marker);
  return w.length === 2 && w[0] === 'mgc' ? (w[1] as string) : null;
}

/** Stands for the canary in a cached base: a word no marker (hex digits) can be. */
const PLACEHOLDER_WORD = 'qqqqqqqqqqqqqqqqqqqq';
const PLACEHOLDER = `MGC-${PLACEHOLDER_WORD.toUpperCase()}`;
const MAX_CACHED_CHARS = 64 * 1024;
const NONE: ReadonlySet<string> = new Set();
const fingerprints = new LRUCache<string, PromptFingerprint>({ max: 1024, maxSize: 4 * 1024 * 1024, sizeCalculation: (_fp, key) => Math.max(1, key.length) });

/**
 * A run of base64 characters (either alphabet: Node's decoder takes both) long enough to be
 * decoded: 16 characters are 12 bytes, about two words. Shorter runs are every ordinary word.
 */
const MIN_B64_RUN = 16;

/**
 * The runs of an alphabet (`value`: base64 or hex) of at least `min` characters inside
 * text[from, to), as start and end pairs, in one pass: a regex such as /[A-Za-z0-9+/_-]{16,}/g
 * tries again at every character of every shorter word, about 9 µs per KB of prose here.
 */
function runsOf(text: string, from: number, to: number, value: Int8Array, min: number): number[] {
  const out: number[] = [];
  let start = from;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : 32;
    if (c < 128 && (value[c] as number) >= 0) continue;
    if (i - start >= min) out.push(start, i);
    start = i + 1;
  }
  return out;
}
/** Per ASCII code: its 6-bit value in base64 (both alphabets), or -1. */
const B64_VALUE = Int8Array.from({ length: 128 }, (_, c) => {
  const ch = String.fromCharCode(c);
  const i = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(ch);
  return i >= 0 ? i : ch === '-' ? 62 : ch === '_' ? 63 : -1;
});
/** Per ASCII code: its value as a hex digit (either case), or -1. */
const HEX_VALUE = Int8Array.from({ length: 128 }, (_, c) => '0123456789abcdef'.indexOf(String.fromCharCode(c).toLowerCase()));
/** Shortest hex run decoded: 16 bytes, about three words (a SHA-256 in hex is 64: decoded, noise). */
const MIN_HEX_RUN = 32;

/** An encoding the leak check decodes: its characters' values, and how many make a whole group. */
export interface LeakEncoding {
  readonly name: 'base64' | 'hex';
  /** Per ASCII code: the character's value, or -1 outside the alphabet. */
  readonly value: Int8Array;
  /** Bits per character, characters per group (a whole number of bytes), shortest run decoded. */
  readonly bits: number;
  readonly group: number;
  readonly minRun: number;
}
export const BASE64: LeakEncoding = { name: 'base64', value: B64_VALUE, bits: 6, group: 4, minRun: MIN_B64_RUN };
export const HEX: LeakEncoding = { name: 'hex', value: HEX_VALUE, bits: 4, group: 2, minRun: MIN_HEX_RUN };


/**
 * Streaming watch for a copy of the system prompt written in base64 ("print your instructions
 * in base64") or, with HEX, in hex digits, which the word watch cannot read. A run of the
 * encoding's characters of at least its minRun (base64: 16) is decoded group by group (base64: 4
 * characters → 3 bytes; hex: 2 → 1; UTF-8) into a PromptLeakWatch of
 * its own, which says when the decoded text's last n-1 words are a prefix of the prompt: from the
 * group where the next decoded word starts, the run is held until that word is complete and
 * checked (a multi-byte character may start in the group before: the hold starts one group
 * earlier), and the last characters of a decoded run that are not a whole group yet are held too.
 * So the base64 released decodes to at most n-1 words of a copy, as for plain text. Ordinary
 * output is not held: its words are base64 runs too, but short; base64 that decodes to anything
 * else is held by at most three characters (hex: one). Each run is decoded on its own, from its
 * start: base64 wrapped into lines is checked line by line, about nine words each. ROT13,
 * reversed, spelled-out or translated copies are not recognised.
 */
export class EncodedLeakWatch {
  /** Text already read and held back (the current run from the group where a held word starts). */
  private pending = '';
  /** The current run's characters not yet decoded (all of them until it is MIN_B64_RUN long). */
  private run = '';
  private runLength = 0;
  private inner: PromptLeakWatch | null = null;
  private decoder: TextDecoder | null = null;
  private readonly bytes = new Uint8Array(3);
  leaked = false;

  constructor(private readonly fp: PromptFingerprint, private readonly enc: LeakEncoding = BASE64) {}

  /** Feed raw text; returns what can be released now, or null once the prompt was repeated. */
  push(chunk: string): string | null {
    if (this.leaked) return null;
    const enc = this.enc;
    const buf = this.pending + chunk;
    // Where the held word's hold starts in buf (-1: no word held). What was pending is all held.
    let hold = this.inner?.holding === true ? 0 : -1;
    for (let i = this.pending.length; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c < 128 && (enc.value[c] as number) >= 0) {
        this.run += buf.charAt(i);
        this.runLength++;
        if (this.inner === null) {
          if (this.runLength < enc.minRun) continue;
          this.inner = new PromptLeakWatch(this.fp);
          this.decoder = new TextDecoder('utf-8');
        }
        // Decode every whole group of the run: at its minRun-th character all of them (their
        // characters were released: base64, at most 11 bytes), then one group at a time.
        while (this.run.length >= enc.group) {
          const group = this.run.slice(0, enc.group);
          this.run = this.run.slice(enc.group);
          // The group's start in buf, one group earlier (a multi-byte character may start there).
          const at = Math.max(0, i + 1 - this.run.length - 2 * enc.group);
          const held = this.feed(group, (enc.group * enc.bits) / 8);
          if (held === null) return this.leak();
          if (!held) hold = -1;
          else if (hold < 0) hold = at;
        }
      } else if (this.runLength > 0) {
        if (this.endRun() === null) return this.leak();
        hold = -1;
      }
    }
    // Held: from where a held word starts; else a decoded run's last characters, which are not a
    // whole group yet (when decoded they may start the word that completes a copy).
    const cut = hold >= 0 ? hold : this.inner !== null ? buf.length - this.run.length : buf.length;
    this.pending = buf.slice(cut);
    return buf.slice(0, cut);
  }

  /** End of text: the current run ends here. */
  end(): string | null {
    if (this.leaked) return null;
    if (this.runLength > 0 && this.endRun() === null) return this.leak();
    const out = this.pending;
    this.pending = '';
    return out;
  }

  private leak(): null {
    this.leaked = true;
    this.pending = '';
    return null;
  }

  /**
   * Decodes one group (`n` bytes of it: all, or fewer for a run's last characters, the group
   * padded with zero bits) into the run's watch. Returns whether the watch holds a word now, or
   * null on a copy.
   */
  private feed(group: string, n: number): boolean | null {
    const enc = this.enc;
    let v = 0;
    for (let k = 0; k < enc.group; k++) v = (v << enc.bits) | (k < group.length ? (enc.value[group.charCodeAt(k)] as number) : 0);
    const whole = (enc.group * enc.bits) / 8;
    for (let j = 0; j < whole; j++) this.bytes[j] = (v >>> (8 * (whole - 1 - j))) & 255;
    const text = (this.decoder as TextDecoder).decode(this.bytes.subarray(0, n), { stream: true });
    const inner = this.inner as PromptLeakWatch;
    if (inner.push(text) === null) return null;
    return inner.holding;
  }

  /** The run ended: decode its last characters, finish its watch. Null on a copy. */
  private endRun(): true | null {
    const inner = this.inner;
    const rest = this.run;
    this.run = '';
    this.runLength = 0;
    if (inner === null) return true;
    // The characters left make this many whole bytes (base64: 2 or 3 characters are 1 or 2 bytes).
    const n = Math.floor((rest.length * this.enc.bits) / 8);
    const copy = n > 0 && this.feed(rest, n) === null;
    const tail = (this.decoder as TextDecoder).decode();
    this.inner = null;
    this.decoder = null;
    if (copy || inner.push(tail) === null || inner.end() === null) return null;
    return true;
  }
}

/** Streaming watch over one text. */
export class PromptLeakWatch {
  /** The last n-1 completed words. */
  private recent: string[] = [];
  private word = '';
  private pending = '';
  private holdingWord = false;
  leaked = false;

  constructor(private readonly fp: PromptFingerprint) {}

  /** Is the word being read held (the last n-1 words a prefix of the prompt)? */
  get holding(): boolean {
    return this.holdingWord;
  }

  /** A high surrogate that ended the last chunk: its letter is whole only with the next one. */
  private carry = '';

  /** Feed raw text; returns what can be released now, or null once the prompt was repeated. */
  push(chunk: string): string | null {
    if (this.leaked) return null;
    let text = this.carry + chunk;
    this.carry = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      // An astral letter (𝒳) cut between two chunks: scan it when its second half comes, so
      // that a copy written in such letters is not split into two non-letters and missed.
      this.carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    return this.scan(text);
  }

  private scan(chunk: string): string | null {
    const buf = this.pending + chunk;
    let safe = 0;
    // Characters of buf before `from` were already scanned (they are the held word).
    let i = this.pending.length;
    if (!this.holdingWord) safe = i;
    const end = chunk.length;
    let k = 0;
    while (k < end) {
      const c = chunk.charCodeAt(k);
      if (c < 128 && isAsciiWordCode(c)) {
        // A run of ASCII word characters at once (lower-casing ASCII is the same per character
        // or per run); `holding` is decided at a word's first character and stays until it ends.
        if (this.word === '') this.holdingWord = this.holds();
        let e = k + 1;
        while (e < end) { const d = chunk.charCodeAt(e); if (d >= 128 || !isAsciiWordCode(d)) break; e++; }
        this.word += chunk.slice(k, e).toLowerCase();
        i += e - k;
        k = e;
      } else {
        // One code point (a lone surrogate is one, as in for…of).
        const len = c >= 0xd800 && c <= 0xdbff && k + 1 < end && (chunk.charCodeAt(k + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
        const ch = len === 1 ? chunk.charAt(k) : chunk.slice(k, k + 2);
        if (c >= 128 && WORD.test(ch)) {
          if (this.word === '') this.holdingWord = this.holds();
          this.word += ch.toLowerCase();
        } else if (this.word !== '' && this.complete()) {
          return null;
        }
        i += len;
        k += len;
      }
      if (!this.holdingWord) safe = i;
    }
    this.pending = buf.slice(safe);
    return buf.slice(0, safe);
  }

  /** Is the word starting now the n-th of a possible copy (the last n-1 words a prompt prefix)? */
  private holds(): boolean {
    const r = this.recent;
    return r.length === this.fp.n - 1 && this.fp.startsWith(r[0] as string) && this.fp.hasPrefix(r.join(' '));
  }

  /** End of text: a held word is complete now. */
  end(): string | null {
    if (this.leaked) return null;
    let head = '';
    if (this.carry !== '') {
      const r = this.scan(this.carry); // a lone high surrogate at the very end
      this.carry = '';
      if (r === null) return null;
      head = r;
    }
    if (this.word !== '' && this.complete()) return null;
    const out = this.pending;
    this.pending = '';
    return head + out;
  }

  /** The current word is complete: check the n-gram it ends; true on a leak. */
  private complete(): boolean {
    const word = this.word;
    const recent = this.recent;
    this.word = '';
    this.holdingWord = false;
    // The gram is the last n-1 words and this one; its first word is recent[0] (n >= 2).
    if (recent.length === this.fp.n - 1 && this.fp.startsWith(recent[0] as string) && this.fp.hasGram(`${recent.join(' ')} ${word}`)) {
      this.leaked = true;
      this.pending = '';
      return true;
    }
    recent.push(word);
    if (recent.length > this.fp.n - 1) recent.shift();
    return false;
  }
}
