// Decoding before scanning: the encodings attackers wrap instructions in, undone
// so both injection layers read what the model would read. Each decoder that
// changes something yields one more view of the text to scan; the original
// is always scanned too. Decoders:
//   - HTML entities (&#105;&#103;… , &lt; …);
//   - URL percent-encoding (ignore%20previous%20instructions);
//   - base64 / base64url runs of 24+ characters (the WAF rule for long
//     base64 runs) and hex runs of 32+ digits, when they decode to readable
//     UTF-8 text (the view is the decoded blobs);
//   - leetspeak digits and symbols between letters (1gn0r3 → ignore);
//   - ROT13 and reversed text, when the text asks for them (texts up to 4 KB).
// The entity, percent and leetspeak views keep only the changed stretches,
// with 128 characters of context (rewrite() below), so the cost of a prompt
// does not double for one "mp3" in it.
// Zero-width and bidi controls are removed by both layers' normalisation.
// Views are decoded once more (a base64 blob inside a URL-encoded one), two
// levels at most. Work is bounded: at most MAX_VIEWS views, MAX_BLOBS blobs
// decoded per text, and decoded output never more than MAX_DECODED_CHARS in all.

const MAX_VIEWS = 6;
const MAX_BLOBS = 32;
const MAX_DECODED_CHARS = 64 * 1024;

const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(lt|gt|amp|quot|apos|nbsp));/gi;
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' };
const PERCENT_RUN = /(?:%[0-9a-f]{2})+/gi;
/** Hex runs of 32 or more digits (searched inside long runs of base64 characters only: hexRuns). */
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}){16,}\b/g;
const LEET_CHARS = /[0134578@$]/;
const LEET_CHARS_G = /[0134578@$]/g;
const isLetterCode = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
/** Short tokens mixing letters and leet characters (long runs are left to the blob decoders). */
export const LEET_TOKEN = /(?<![A-Za-z0-9+/=%])[a-z0134578@$]{3,20}(?![A-Za-z0-9+/=])/gi;
/** Whether the leetspeak rewrite changes a LEET_TOKEN match: it holds a letter and a leet character. */
export const leetChanges = (m: string): boolean => LETTER.test(m) && LEET_CHARS.test(m);
const LETTER = /[a-z]/i;
const LEET_MAP: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's' };
const ASKS_ROT13 = /\brot[\s-]?13\b|caesar/i;
const ASKS_REVERSE = /backwards|reversed?\b|right[\s-]to[\s-]left/i;
/** ROT13 and reversed views are made of texts up to this length only. */
const WHOLE_TRANSFORM_MAX = 4096;
/** Either of the two above, in one pass (most texts ask for neither). */
const ASKS_EITHER = new RegExp(`${ASKS_ROT13.source}|${ASKS_REVERSE.source}`, 'i');

/**
 * Characters of base64 runs: A–Z a–z 0–9 + / _ -. BASE64_RUN, in the comments below, is the design
 * documents' WAF rule /[A-Za-z0-9+/_-]{24,}={0,2}/g, which base64Runs() answers without running it.
 */
const B64_CLASS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') B64_CLASS[c.charCodeAt(0)] = 1;

const isB64Code = (c: number): boolean => c < 128 && B64_CLASS[c] === 1;

/**
 * The maximal runs of BASE64_RUN's class characters that are at least `min` long, as [start, end).
 * Each window of `min` characters is read from its end backwards: in prose a character outside
 * the class comes within a few, no run of `min` can start at or before it, and the next window
 * starts after it, so most characters are never read. (The regexes try a match at every
 * position of every word: BASE64_RUN and HEX_RUN over 100 KB of prose were half of decoding it.)
 */
function* classRuns(text: string, min: number): Generator<[number, number]> {
  const n = text.length;
  // Invariant: start is 0 or follows a character outside the class, so a run found at start begins there.
  let start = 0;
  while (start + min <= n) {
    let q = start + min - 1;
    while (q >= start && isB64Code(text.charCodeAt(q))) q--;
    if (q >= start) {
      start = q + 1;
      continue;
    }
    let end = start + min;
    while (end < n && isB64Code(text.charCodeAt(end))) end++;
    yield [start, end];
    start = end + 1;
  }
}

/**
 * Does `text` hold 24 or more BASE64_RUN characters in a row — i.e. can BASE64_RUN (or HEX_RUN,
 * whose 32+ hex digits are all of that class) match at all? Most prompts have no such run, and
 * their two blob scans are skipped (4 KB of prose: 24 → 4 µs against a scan of every character).
 */
export function hasBlobRun(text: string): boolean {
  return !classRuns(text, 24).next().done;
}

/**
 * BASE64_RUN's matches in `text`, in order: the maximal class runs of 24 or more, each with the
 * one or two '=' after it. (The regex matches exactly these: greedy from a run's first character,
 * and no shorter start inside a run can reach 24.)
 */
export function* base64Runs(text: string): Generator<{ index: number; 0: string }> {
  for (const [start, end] of classRuns(text, 24)) {
    let to = end;
    while (to < text.length && to - end < 2 && text.charCodeAt(to) === 61) to++; // '='
    yield { index: start, 0: text.slice(start, to) };
  }
}

/**
 * HEX_RUN's matches in `text`, in order: its matches inside each class run of 32 or more (hex
 * digits are class characters; the character before and after a run is not a word character,
 * as at a string's ends, so the regex's \b reads the same on the run alone).
 */
export function* hexRuns(text: string): Generator<{ index: number; 0: string }> {
  for (const [start, end] of classRuns(text, 32)) {
    for (const m of text.slice(start, end).matchAll(HEX_RUN)) yield { index: start + (m.index ?? 0), 0: m[0] };
  }
}

/**
 * The matches of LEET_TOKEN in `text` that the rewrite changes (and perhaps a few it does not),
 * in text order, found only in the pieces between ASCII whitespace that hold a leet character
 * beside a letter. Matching the whole text gave every word of it to the rewrite's callback (half of
 * decoding's cost on a 4 KB prompt with one "mp3"). A changed token holds a letter and a leet
 * character, so somewhere in it the two stand side by side; a token never holds whitespace, and
 * LEET_TOKEN's look-arounds read whitespace, like the text's ends, as a boundary: a piece's
 * matches are the same whether it is matched alone or in the text.
 */
export function* leetMatches(text: string): Generator<{ index: number; 0: string }> {
  const n = text.length;
  LEET_CHARS_G.lastIndex = 0;
  while (LEET_CHARS_G.test(text)) {
    const i = LEET_CHARS_G.lastIndex - 1;
    if (!isLetterCode(text.charCodeAt(i - 1)) && !isLetterCode(text.charCodeAt(i + 1))) continue;
    let from = i;
    while (from > 0 && !isSpaceCode(text.charCodeAt(from - 1))) from--;
    let to = i + 1;
    while (to < n && !isSpaceCode(text.charCodeAt(to))) to++;
    for (const m of text.slice(from, to).matchAll(LEET_TOKEN)) yield { index: from + (m.index ?? 0), 0: m[0] };
    LEET_CHARS_G.lastIndex = to;
  }
}

/** Readable text: valid UTF-8 decoded without replacement characters, mostly printable, some letters. */
function readable(s: string): boolean {
  if (s.length < 8 || s.includes('\uFFFD')) return false;
  let printable = 0;
  let letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 || c === 9 || c === 10 || c === 13) printable++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0x80) letters++;
  }
  return printable / s.length > 0.95 && letters / s.length > 0.4;
}

interface Budget {
  chars: number;
  blobs: number;
}

/** The decoded blobs only, one per line (the text around them is scanned as the original). */
function blobs(runs: Iterable<{ 0: string }>, decode: (run: string) => string, budget: Budget): string {
  const out: string[] = [];
  for (const m of runs) {
    if (budget.blobs <= 0 || budget.chars <= 0) break;
    budget.blobs--;
    const d = decode(m[0]);
    if (!readable(d)) continue;
    budget.chars -= d.length;
    out.push(d);
  }
  return out.join('\n');
}

/** Characters of context kept on each side of a rewritten stretch (rewrite()). */
export const REWRITE_CONTEXT = 128;
const SNAP = 24;
const isSpaceCode = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
/** `i` moved back to just after a space, when one is at most SNAP characters before it. */
function snapBack(text: string, i: number): number {
  for (let k = i; k > 0 && k >= i - SNAP; k--) if (isSpaceCode(text.charCodeAt(k - 1))) return k;
  return i;
}
/** `i` moved forward to the next space, when one is at most SNAP characters after it. */
function snapForward(text: string, i: number): number {
  for (let k = i; k < text.length && k <= i + SNAP; k++) if (isSpaceCode(text.charCodeAt(k))) return k;
  return i;
}
/**
 * Whole-text rewrites (entities, percent-decoding, leetspeak) keep only the changed stretches of
 * the text. A prompt's rewrite usually changes a few tokens ("mp3", "Person1:", "&amp;"), and
 * scanning the whole rewritten text again doubled the scan for them (a 4 KB prompt with four such
 * views cost five scans, 5–7 ms of CPU on a slow machine); an encoded attack is a stretch of
 * changes. Changes less than 2 × REWRITE_CONTEXT characters apart are one stretch, rewritten
 * whole, with REWRITE_CONTEXT characters of the text on each side (widened to the next space, up
 * to SNAP more); stretches are joined by a line break. When the stretches cover most of the text
 * (a text encoded throughout), the view is the whole rewrite. At most MAX_DECODED_CHARS.
 */
export function rewrite(
  text: string,
  re: RegExp,
  fn: (m: string) => string,
  matches: Iterable<{ index?: number; 0: string }> = text.matchAll(re),
): string {
  const parts: string[] = [];
  let total = 0;
  let covered = 0;
  // The open stretch: its text so far (from `from` up to `cursor`, with its changes applied).
  let from = -1;
  let cursor = 0;
  let lastEnd = 0;
  let body = '';
  const close = (): void => {
    const to = Math.max(cursor, snapForward(text, Math.min(text.length, lastEnd + REWRITE_CONTEXT)));
    body += text.slice(cursor, to);
    covered += to - from;
    parts.push(body);
    total += body.length;
    from = -1;
  };
  for (const m of matches) {
    const r = fn(m[0]);
    if (r === m[0]) continue;
    const at = m.index ?? 0;
    if (from >= 0 && at - lastEnd > 2 * REWRITE_CONTEXT) {
      close();
      if (total > MAX_DECODED_CHARS) break;
    }
    if (from < 0) {
      from = at <= REWRITE_CONTEXT ? 0 : snapBack(text, at - REWRITE_CONTEXT);
      cursor = from;
      body = '';
    }
    body += text.slice(cursor, at) + r;
    cursor = at + m[0].length;
    lastEnd = cursor;
    // A text encoded throughout is one long stretch: it ends where the budget does.
    if (total + body.length > MAX_DECODED_CHARS) break;
  }
  if (from >= 0) close();
  // Mostly covered: the whole rewrite reads better (no cuts) and costs about the same.
  if (parts.length > 1 && covered * 4 >= text.length * 3 && text.length <= MAX_DECODED_CHARS) return text.replace(re, fn);
  return parts.join('\n');
}

function decodeEntities(text: string): string {
  return text.replace(ENTITY, (m, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? m;
    const cp = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** ROT13 of each ASCII letter, by code unit (0: unchanged). */
const ROT13 = new Uint16Array(128);
for (let c = 0; c < 26; c++) {
  ROT13[65 + c] = 65 + ((c + 13) % 26);
  ROT13[97 + c] = 97 + ((c + 13) % 26);
}
/** Scratch of the whole-text transforms (made of texts up to WHOLE_TRANSFORM_MAX; longer ones get their own). */
const transformScratch = new Uint16Array(WHOLE_TRANSFORM_MAX);
const transformOut = (n: number): Uint16Array => (n <= transformScratch.length ? transformScratch : new Uint16Array(n));
/** The first n code units of `out` as a string (UTF-16LE keeps every code unit as it is, lone surrogates too). */
const transformed = (out: Uint16Array, n: number): string => Buffer.from(out.buffer, out.byteOffset, n * 2).toString('utf16le');

/**
 * ASCII letters rotated by 13, everything else as it is. A loop over code units: a callback per
 * letter (replace(/[a-z]/gi, …)) was a quarter of decoding a crafted 4 KB prompt.
 */
export function rot13(text: string): string {
  const n = text.length;
  const out = transformOut(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const r = c < 128 ? (ROT13[c] as number) : 0;
    out[i] = r === 0 ? c : r;
  }
  return transformed(out, n);
}

/** The text's code points in reverse order (a surrogate pair stays a pair), as [...text].reverse().join(''). */
export function reversed(text: string): string {
  const out = transformOut(text.length);
  let k = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    const h = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (c >= 0xdc00 && c <= 0xdfff && h >= 0xd800 && h <= 0xdbff) {
      out[k++] = h;
      i--;
    }
    out[k++] = c;
  }
  return transformed(out, k);
}

function oneLevel(text: string, budget: Budget): string[] {
  const out: string[] = [];
  const push = (v: string): void => {
    if (v !== '' && v !== text && !out.includes(v)) out.push(v);
  };
  if (text.includes('&')) push(rewrite(text, /(?:&(?:#\d{1,7}|#x[0-9a-f]{1,6}|lt|gt|amp|quot|apos|nbsp);)+/gi, decodeEntities));
  if (text.includes('%')) {
    push(rewrite(text, PERCENT_RUN, (r) => {
      const d = Buffer.from(r.replace(/%/g, ''), 'hex').toString('utf8');
      return d.includes('\uFFFD') ? r : d;
    }));
  }
  if (hasBlobRun(text)) {
    push(blobs(base64Runs(text), (r) => Buffer.from(r, r.includes('-') || r.includes('_') ? 'base64url' : 'base64').toString('utf8'), budget));
    push(blobs(hexRuns(text), (r) => Buffer.from(r, 'hex').toString('utf8'), budget));
  }
  // Without a leet character beside a letter, leetMatches finds nothing and the view is empty.
  push(rewrite(text, LEET_TOKEN, (m) => (leetChanges(m) ? [...m].map((c) => LEET_MAP[c] ?? c).join('') : m), leetMatches(text)));
  if (text.length <= WHOLE_TRANSFORM_MAX && ASKS_EITHER.test(text)) {
    if (ASKS_ROT13.test(text)) push(rot13(text));
    if (ASKS_REVERSE.test(text)) push(reversed(text));
  }
  return out;
}

/** Decoded views of `text` (not including `text` itself); empty when nothing is encoded. */
export function decodedViews(text: string): string[] {
  const budget: Budget = { chars: Math.min(MAX_DECODED_CHARS, 2 * text.length + 1024), blobs: MAX_BLOBS };
  const views = oneLevel(text, budget).slice(0, MAX_VIEWS);
  for (const v of [...views]) {
    if (views.length >= MAX_VIEWS || budget.chars <= 0) break;
    for (const w of oneLevel(v, budget)) {
      if (views.length >= MAX_VIEWS) break;
      if (w !== text && !views.includes(w)) views.push(w);
    }
  }
  return views;
}
