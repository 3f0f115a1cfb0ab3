// Text normalisation for the first-layer prompt-injection detector.
//
// The detector's rules are written against a canonical form of the input:
// lower-case ASCII-ish words separated by single spaces, with punctuation kept
// (rules use it to stay inside one sentence). This file turns the usual
// obfuscations back into that form:
//
//   1. hidden "tag" characters (U+E0020–U+E007E, "ASCII smuggling") are decoded
//      back to the ASCII they encode, so hidden text becomes visible to rules;
//   2. Unicode NFKC (fullwidth, mathematical alphanumerics, circled letters,
//      ligatures → plain letters);
//   3. invisible characters removed (zero-width, bidi controls, soft hyphen,
//      variation selectors, word joiners …);
//   4. case folded (toLowerCase; for this use the difference from full case
//      folding does not matter);
//   5. diacritics stripped from Latin letters and stray combining marks
//      removed ("ìgnörë", Zalgo text);
//   6. homoglyphs (Cyrillic / Greek / small-capital lookalikes) mapped to the
//      Latin letter they imitate;
//   7. typographic quotes mapped to ASCII quotes;
//   8. leetspeak digits/symbols (0 1 3 4 5 7 @ $) mapped, but only where they
//      touch a letter, so ordinary numbers ("2021", "3.5", "100%") stay;
//   9. words spelled out letter by letter with one repeated separator
//      ("i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e") rejoined;
//  10. words split by a stray hyphen ("i-nstruction", "li-mitations") rejoined;
//  11. whitespace collapsed to single spaces and trimmed.
//
// Every step is a single linear regex pass (or a native normalize call); no
// pattern here can backtrack catastrophically. Pure-ASCII input skips the
// Unicode-only steps, which keeps the common case cheap.

/** Tag characters U+E0020–U+E007E mirror printable ASCII (U+E0000 + code). */
const TAG_CHARS = /[\u{E0020}-\u{E007E}]/gu;

/**
 * Characters that render as nothing (or nearly nothing) and are used to split
 * trigger words: soft hyphen, combining grapheme joiner, Arabic letter mark,
 * Hangul fillers, Mongolian vowel separators, zero-width space/joiners,
 * LRM/RLM, bidi embeddings/overrides/isolates, word joiner and invisible
 * operators, variation selectors, BOM, and the remaining tag block characters.
 */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;

/**
 * Diacritics. Precomposed accented Latin letters are mapped to their base
 * letter through a table built once at load time (from each character's NFD
 * form), and combining marks from the diacritical-mark blocks are dropped
 * (after NFKC, any still present are stacked or Zalgo marks). This avoids a
 * full NFD → strip → NFC round trip per input. Marks of other scripts'
 * own blocks (Devanagari, Arabic …) are left alone.
 */
const ACCENTED_LATIN = /[\u00C0-\u024F\u1E00-\u1EFF]/g;
const COMBINING_DIACRITICS = /[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]+/g;
/** Pre-check for both of the above. BMP-only, so no 'u' flag (faster). */
const MAY_HAVE_DIACRITICS = /[\u00C0-\u024F\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u1E00-\u1EFF\u20D0-\u20FF\uFE20-\uFE2F]/;

function buildAccentTable(): ReadonlyMap<string, string> {
  const table = new Map<string, string>();
  const ranges: readonly (readonly [number, number])[] = [[0x00c0, 0x024f], [0x1e00, 0x1eff]];
  for (const [lo, hi] of ranges) {
    for (let cp = lo; cp <= hi; cp++) {
      const ch = String.fromCharCode(cp);
      const base = ch.normalize('NFD').charAt(0).toLowerCase();
      if (base >= 'a' && base <= 'z') table.set(ch, base);
    }
  }
  // Letters with a stroke/bar have no decomposition but read as the base letter.
  const extra: Readonly<Record<string, string>> = { 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ħ': 'h', 'ŧ': 't', 'ƀ': 'b', 'ɨ': 'i', 'ƶ': 'z', 'ǥ': 'g', 'ɇ': 'e' };
  for (const [k, v] of Object.entries(extra)) table.set(k, v);
  return table;
}
const ACCENT_TABLE = buildAccentTable();

/**
 * Lower-case lookalikes → Latin. Applied after toLowerCase, so only lower-case
 * forms are listed. The table is intentionally small: letters that are
 * visually interchangeable with a Latin letter in common fonts. Mapping whole
 * Cyrillic/Greek words this way produces gibberish, which is harmless because
 * the output is only used for matching English-language attack patterns.
 */
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  // Cyrillic
  'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'і': 'i', 'ї': 'i', 'ј': 'j', 'к': 'k', 'м': 'm',
  'н': 'h', 'о': 'o', 'п': 'n', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'һ': 'h',
  'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ь': 'b', 'ɡ': 'g',
  // Greek
  'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't',
  'υ': 'u', 'χ': 'x', 'ϲ': 'c', 'ϳ': 'j', 'ω': 'w',
  // Latin small capitals and IPA letters that NFKC leaves alone
  'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ꜰ': 'f', 'ɢ': 'g', 'ʜ': 'h', 'ɪ': 'i', 'ᴊ': 'j',
  'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p', 'ǫ': 'q', 'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't',
  'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z', 'ɑ': 'a', 'ɩ': 'i', 'ı': 'i', 'ȷ': 'j', 'ɒ': 'a',
};

// All table keys are BMP characters, so the class needs no 'u' flag.
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');

/** Typographic quotes/apostrophes → ASCII, so "don’t" matches "don't". */
const QUOTES: Readonly<Record<string, string>> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u02BC': "'", '\u00B4': "'", '`': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u2033': '"', '\u00AB': '"', '\u00BB': '"',
};
const QUOTES_RE = /[\u2018\u2019\u201A\u201B\u2032\u02BC\u00B4`\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g;

/**
 * Leetspeak: a run of leet characters is mapped only when it touches an ASCII
 * letter ("1gn0r3", "pr3v10u5", "h4ck"), so ordinary numbers ("2021", "3.5",
 * "100%") and digit-only tokens stay as they are. The regex only finds runs
 * of leet characters (a single class, linear); the neighbour check is done in
 * the callback, which is much cheaper than a regex that tries every letter.
 */
const LEET_RUN = /[013457@$]+/g;
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's' };

/**
 * Spelled-out words: at least three single letters, each separated by the
 * same one-character separator (space, '.', '-', '_', '*', '/', '|', '+', '~').
 * Requiring the same separator throughout (backreference \3) means
 * "i g n o r e  a l l" (double space between words) becomes "ignore all", and
 * "i.g.n.o.r.e a.l.l" becomes "ignore all". A letter-by-letter phrase with
 * single spaces everywhere collapses into one run ("ignoreall"); the detector
 * covers that case with its compact (letters-only) view.
 *
 * Runs after homoglyph mapping, so ASCII classes suffice (much faster than
 * \p{L} with look-behind). Linear: the loop body is "separator then exactly
 * one letter", which can only be matched one way.
 */
const SPACED_LETTERS = /(^|[^a-z0-9])([a-z])([ .\-_*/|+~])[a-z](?:\3[a-z])+(?![a-z0-9])/g;
const NON_LETTER = /[^a-z]+/g;

/**
 * Words split by hyphens at an odd place ("i-nstruction", "terminatio-n",
 * "li-mitations", "m----ssage"): a hyphen run with letters on both sides and
 * at most two letters on one side (up to the word edge) is removed. Ordinary
 * compounds of that shape lose their hyphen too ("e-mail" → "email"), which
 * does not matter for matching; "well-known" keeps it.
 */
const HYPHEN_RUN = /-+/g;

/**
 * Only whitespace that is not already a single space gets replaced. ASCII
 * classes only: NFKC has already turned the Unicode spaces (NBSP, en/em
 * spaces, ideographic space …) into ' ', and UNICODE_LINE_BREAKS handles the
 * few it leaves.
 */
const WHITESPACE = /[ \t\n\r\f\v]{2,}|[\t\n\r\f\v]/g;
const UNICODE_LINE_BREAKS = /[\u0085\u1680\u2028\u2029\u180E]/g;
/** Pre-check for the homoglyph table's blocks (IPA, Greek, Cyrillic, phonetic extensions, Latin Ext-D). */
const MAY_HAVE_HOMOGLYPHS = /[\u0131\u0237\u0250-\u02AF\u0370-\u03FF\u0400-\u04FF\u1D00-\u1D7F\uA720-\uA7FF]/;
const NON_ASCII = /[^\x00-\x7F]/;

function decodeTagChars(s: string): string {
  return s.replace(TAG_CHARS, (c) => String.fromCharCode((c.codePointAt(0) ?? 0xe0020) - 0xe0000));
}

const isAsciiLetter = (c: number): boolean => c >= 97 && c <= 122;

function mapLeetRun(run: string, offset: number, whole: string): string {
  if (!isAsciiLetter(whole.charCodeAt(offset - 1)) && !isAsciiLetter(whole.charCodeAt(offset + run.length))) return run;
  let out = '';
  for (const c of run) out += LEET[c] ?? c;
  return out;
}

function joinSpaced(match: string, lead: string): string {
  // Keep the leading boundary character, drop the separators between letters.
  return lead + match.slice(lead.length).replace(NON_LETTER, '');
}

/** Length of the run of ASCII letters starting at `from` and going in direction `step`, capped at 3. */
function letterRun(s: string, from: number, step: 1 | -1): number {
  let n = 0;
  for (let i = from; n < 3 && isAsciiLetter(s.charCodeAt(i)); i += step) n++;
  return n;
}

function joinSplitHyphen(run: string, offset: number, whole: string): string {
  const left = letterRun(whole, offset - 1, -1);
  const right = letterRun(whole, offset + run.length, 1);
  return left > 0 && right > 0 && (left <= 2 || right <= 2) ? '' : run;
}

/**
 * Code unit → code unit of the accent and homoglyph tables (0: unchanged). Every key of both is
 * one BMP code unit and every value one ASCII letter, so mapping code units one by one gives
 * exactly what the replace with a callback per character gives; in Cyrillic or Greek text that
 * callback ran for most letters (a 4 KB Russian text spent about 260 µs in it).
 */
function codeUnitTable(map: Iterable<readonly [string, string]>): Uint16Array {
  const t = new Uint16Array(0x10000);
  for (const [k, v] of map) {
    if (k.length !== 1 || v.length !== 1) throw new Error(`normalisation table: ${k} → ${v} is not one code unit to one`);
    t[k.charCodeAt(0)] = v.charCodeAt(0);
  }
  return t;
}
// Only what ACCENTED_LATIN matches: the table also holds letters outside its ranges (ɨ), which
// this step never mapped.
const ACCENTED_LATIN_ONE = new RegExp(ACCENTED_LATIN.source);
const ACCENT_CODES = codeUnitTable([...ACCENT_TABLE].filter(([k]) => ACCENTED_LATIN_ONE.test(k)));
const HOMOGLYPH_CODES = codeUnitTable(Object.entries(HOMOGLYPHS));
/** Scratch of mapCodeUnits, reused up to this many code units. */
let mapOut = new Uint16Array(4096);

/** `s` with each code unit that `table` maps replaced (one pass; `s` itself when none is). */
function mapCodeUnits(s: string, table: Uint16Array): string {
  const n = s.length;
  let i = 0;
  while (i < n && table[s.charCodeAt(i)] === 0) i++;
  if (i === n) return s;
  let out = mapOut;
  if (out.length < n) {
    out = new Uint16Array(n);
    if (n <= 1 << 16) mapOut = out;
  }
  for (let k = 0; k < i; k++) out[k] = s.charCodeAt(k);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    const m = table[c] as number;
    out[i] = m === 0 ? c : m;
  }
  // UTF-16LE keeps every code unit as it is, lone surrogates included.
  return Buffer.from(out.buffer, out.byteOffset, n * 2).toString('utf16le');
}

/** Steps 1–7 on text with non-ASCII characters (`plain`: the replace-per-character form, for the reference). */
function unicodeSteps(text: string, plain = false): string {
  let s = decodeTagChars(text);
  s = s.normalize('NFKC');
  s = s.replace(INVISIBLE, '');
  s = s.toLowerCase();
  if (MAY_HAVE_DIACRITICS.test(s)) {
    s = plain ? s.replace(ACCENTED_LATIN, (c) => ACCENT_TABLE.get(c) ?? c) : mapCodeUnits(s, ACCENT_CODES);
    s = s.replace(COMBINING_DIACRITICS, '');
  }
  if (MAY_HAVE_HOMOGLYPHS.test(s)) s = plain ? s.replace(HOMOGLYPH_RE, (c) => HOMOGLYPHS[c] ?? c) : mapCodeUnits(s, HOMOGLYPH_CODES);
  s = s.replace(QUOTES_RE, (c) => QUOTES[c] ?? c);
  return s.replace(UNICODE_LINE_BREAKS, '\n');
}

/** Steps 1–7 on ASCII text: only case and the backquote change. */
const asciiSteps = (s: string): string => s.toLowerCase().replace(/`/g, "'");

/**
 * Few-non-ASCII fast path. Most prose is ASCII plus a handful of characters
 * such as ’ “ é – ·. For a character that NFKC leaves alone, that is a
 * starter nothing composes with (not a mark, not a conjoining Hangul jamo),
 * and whose lower case does not depend on its neighbours (Σ does), steps 1–7
 * act on it alone: unicodeSteps(text) equals the text with each such
 * character replaced by unicodeSteps(character) and ASCII steps on the rest.
 * That skips NFKC and the Unicode passes over the whole text. Characters are
 * classified on first sight (cached); a text with any other character, or with
 * more than FEW_NON_ASCII of them, takes unicodeSteps.
 */
const FEW_NON_ASCII = 64;
const NON_ASCII_G = /[^\x00-\x7F]/g;
const MARK = /\p{M}/u;
/** Per non-ASCII BMP character: what steps 1–7 make of it, or null when it must take the full path. */
const simpleChars = new Map<string, string | null>();

function simpleChar(c: string): string | null {
  let out = simpleChars.get(c);
  if (out !== undefined) return out;
  const cp = c.charCodeAt(0);
  const conjoiningJamo = (cp >= 0x1160 && cp <= 0x11ff) || (cp >= 0xd7b0 && cp <= 0xd7ff);
  const surrogate = cp >= 0xd800 && cp <= 0xdfff;
  out = null;
  if (!surrogate && !conjoiningJamo && c !== '\u03a3' && !MARK.test(c) && c.normalize('NFKC') === c) {
    const mapped = unicodeSteps(c);
    // The ASCII steps run over the result again: they must leave it alone.
    if (asciiSteps(mapped) === mapped) out = mapped;
  }
  simpleChars.set(c, out);
  return out;
}

/** Steps 1–7 by the few-non-ASCII fast path, or null when it does not apply. */
function fewNonAsciiSteps(text: string): string | null {
  NON_ASCII_G.lastIndex = 0;
  let out = '';
  let from = 0;
  for (let k = 0; k < FEW_NON_ASCII; k++) {
    const m = NON_ASCII_G.exec(text);
    if (!m) return out + text.slice(from);
    const mapped = simpleChar(m[0]);
    if (mapped === null) return null;
    out += text.slice(from, m.index) + mapped;
    from = m.index + 1;
  }
  return null;
}

/** Steps 1–7 on any text: the ASCII path, the few-non-ASCII path or the Unicode path. */
function steps(s: string): string {
  if (!NON_ASCII.test(s)) return asciiSteps(s);
  const few = fewNonAsciiSteps(s);
  return few === null ? unicodeSteps(s) : asciiSteps(few);
}

/** Pieces of about this many code units (see chunkedSteps). */
const STEP_CHUNK = 1024;

const isAsciiSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/**
 * Steps 1–7 piece by piece, each piece ending just before an ASCII whitespace character, so
 * that in a long text a few non-ASCII characters (a name in Chinese, 70 curly quotes in 100 KB
 * of English) send only the pieces that hold them through the Unicode path, not the whole text
 * (a 100 KB English article with 231 such characters: see docs/benchmarks.md). Neighbouring
 * pieces of the same kind (ASCII only, or not) go through their steps together, so text written
 * in another script is one piece, as before.
 *
 * Exact: steps 1–7 of a + b are steps(a) + steps(b) when b starts with an ASCII whitespace
 * character. NFKC never composes a character with a preceding one across an ASCII starter, and
 * never reorders marks past it; lower-casing depends on its neighbours only for Σ (Final_Sigma),
 * whose context a whitespace character (neither cased nor case-ignorable) cuts; every other step
 * maps code points one by one, and a split before an ASCII character splits no surrogate pair.
 * The tests compare it with the reference on texts cut into pieces of a few characters.
 */
function chunkedSteps(text: string, chunk: number): string {
  const n = text.length;
  let out = '';
  // Start of the current run of pieces of one kind, and whether that kind is ASCII only.
  let runFrom = 0;
  let runAscii = true;
  // The first non-ASCII character at or after `from` (n: none), found once per stretch.
  let next = -1;
  for (let from = 0; from < n; ) {
    let to = from + chunk;
    if (to >= n) to = n;
    else while (to < n && !isAsciiSpace(text.charCodeAt(to))) to++;
    if (next < from) {
      NON_ASCII_FROM.lastIndex = from;
      next = NON_ASCII_FROM.exec(text)?.index ?? n;
    }
    const ascii = next >= to;
    if (from === 0) runAscii = ascii;
    else if (ascii !== runAscii) {
      out += runAscii ? asciiSteps(text.slice(runFrom, from)) : steps(text.slice(runFrom, from));
      runFrom = from;
      runAscii = ascii;
    }
    from = to;
  }
  const last = runFrom === 0 ? text : text.slice(runFrom);
  return out + (runAscii ? asciiSteps(last) : steps(last));
}
/** Its own 'g' regex: fewNonAsciiSteps, called by steps() between two searches, moves NON_ASCII_G's lastIndex. */
const NON_ASCII_FROM = /[^\x00-\x7F]/g;

/**
 * Canonicalise text for injection matching. The output is for matching only;
 * it is never shown to users or forwarded upstream. `chunk` is the piece size of long texts
 * with many non-ASCII characters (tests pass a small one).
 */
export function normalizeForDetection(text: string, chunk = STEP_CHUNK): string {
  let s = text;
  if (NON_ASCII.test(s)) {
    const few = fewNonAsciiSteps(s);
    s = few !== null ? asciiSteps(few) : s.length > 2 * chunk ? chunkedSteps(s, chunk) : unicodeSteps(s);
  } else {
    s = asciiSteps(s);
  }
  s = s.replace(LEET_RUN, mapLeetRun);
  s = s.replace(SPACED_LETTERS, joinSpaced);
  if (s.includes('-')) s = s.replace(HYPHEN_RUN, joinSplitHyphen);
  return s.replace(WHITESPACE, ' ').trim();
}

/**
 * Letters-only view of already-normalised text ("ig nore previ-ous" →
 * "ignoreprevious"). Used by a few strong rules to catch words split at
 * arbitrary points. Kept here because it is part of the canonicalisation.
 */
export function compactView(normalized: string): string {
  // A loop into bytes rather than replace(/[^a-z]+/g, ''), where every gap between letters was
  // one replacement (100 KB of prose: 480 → 285 µs); the result is a one-byte string.
  const n = normalized.length;
  let out = compactOut;
  if (out.length < n) {
    out = new Uint8Array(n);
    if (n <= 1 << 16) compactOut = out;
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    const c = normalized.charCodeAt(i);
    if (c >= 97 && c <= 122) out[k++] = c;
  }
  return Buffer.from(out.buffer, out.byteOffset, k).toString('latin1');
}
/** Scratch of compactView, reused up to this many code units. */
let compactOut = new Uint8Array(4096);

/**
 * normalizeForDetection without its fast paths and prechecks: every step on
 * every text. The reference the fast paths are tested against; not for use.
 */
export function normalizeForDetectionReference(text: string): string {
  let s = NON_ASCII.test(text) ? unicodeSteps(text, true) : asciiSteps(text);
  s = s.replace(LEET_RUN, mapLeetRun);
  s = s.replace(SPACED_LETTERS, joinSpaced);
  s = s.replace(HYPHEN_RUN, joinSplitHyphen);
  return s.replace(WHITESPACE, ' ').trim();
}
