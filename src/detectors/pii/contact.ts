// Contact recognizers: e-mail addresses and phone numbers.
//
// E-mail: local@domain with
//   - a local part of 1–64 characters [\p{L}\p{N}\p{M}._%+-] holding at least
//     one letter or digit; the whole run of such characters before the '@' is
//     the local part, and it must not follow another '@';
//   - a domain of 1–8 labels (letters/digits of any script and inner hyphens,
//     at most 63 characters each) then a top-level domain of 2–24 letters;
//     "pkg@1.2.3" and "user@localhost" are not addresses;
//   - not an image-density suffix: "icon@2x.png", "logo@1.5x.webp" — a domain whose first
//     label is a scale factor (digits, then 'x') is a file name (decided by the domain's start,
//     so more text never turns it into an address);
//   - the streaming window rule: the address must already be recognisable
//     (local part, '@', labels, '.', two TLD letters) within its first
//     MAX_HOLD (64) characters. Longer addresses may then grow without limit.
// No lookahead after the TLD: appending text can only lengthen a match, which
// is what makes swallowing a long address while it streams safe.
//
// Phone: four shapes, the longest valid one at each start wins.
//   us             (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567,
//                  optionally +1 / 1 / 001 before; area code 2–9; extension x123
//   international  + or 00, country code, groups (8–15 digits, "(0)" ignored)
//   national       trunk 0 then groups: 020 7946 0958, 030/1234567,
//                  01 23 45 67 89, (08) 8747 6301; 10–12 digits in
//                  groups (9 in three or more groups), 10–11 without
//   generic        any 7–12 digit grouping or plain run, only with a phone
//                  word (phone, tel, mobile, fax, call, desk, sms…) in the
//                  32 characters before it
// Never a phone: dates (2024-01-15, 15.01.2024, 1/15/2024), anything
// glued to letters, a run that continues with .digit or -digit.

import { MAX_HOLD, type Family, type PiiMatch, type ScanInput } from './types.js';
import { contextBefore, countDigits, isHighSurrogate, isLocalChar, numericTail, runStartBack } from './text.js';

// ---------------------------------------------------------------- e-mail

const LOCAL_MAX = 64;
/** Beyond this many characters after the '@' an address can no longer change. */
export const DOMAIN_RUN_CAP = 1100;

const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}\\p{M}-]{0,61}[\\p{L}\\p{N}\\p{M}])?';
const DOMAIN_RE = new RegExp(`(?:${LABEL}\\.){1,8}\\p{L}{2,24}`, 'uy');
const DOMAIN_MIN_RE = new RegExp(`(?:${LABEL}\\.){1,8}?\\p{L}{2}`, 'uy');
const HAS_ALNUM = /[\p{L}\p{N}]/u;
/** '@' + a scale-factor label: the asset-density suffix of a file name (icon@2x.png). */
const SCALE_PREFIX = /^@\d{1,3}(?:\.\d{1,2})?x\./;
const DOMAIN_CHAR = /^[\p{L}\p{N}\p{M}.-]$/u;

function isDomainChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
  if (isHighSurrogate(c) && i === text.length - 1) return true; // pair may complete later
  const cp = text.codePointAt(i);
  return cp !== undefined && DOMAIN_CHAR.test(String.fromCodePoint(cp));
}

/** Local-part characters plus '@': the run an address lives in. */
function isEmailRunChar(text: string, i: number): boolean {
  return text.charCodeAt(i) === 64 || isLocalChar(text, i);
}

/** End of an address whose '@' is at `at` (domain part only), or -1. */
export function emailEnd(text: string, at: number): number {
  DOMAIN_RE.lastIndex = at + 1;
  return DOMAIN_RE.exec(text) ? DOMAIN_RE.lastIndex : -1;
}

/** End of the run of domain characters after the '@' at `at`. */
export function domainRunEnd(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length && isDomainChar(text, i)) i += text.charCodeAt(i) >= 0xd800 && text.charCodeAt(i) <= 0xdbff && i + 1 < text.length ? 2 : 1;
  return Math.min(i, text.length);
}

function emailAt(text: string, at: number, from: number): PiiMatch | null {
  const s = runStartBack(text, at, at - LOCAL_MAX, isLocalChar);
  if (s < at - LOCAL_MAX || s >= at || s < from) return null;
  if (s > 0 && text.charCodeAt(s - 1) === 64) return null;
  if (!HAS_ALNUM.test(text.slice(s, at))) return null;
  DOMAIN_MIN_RE.lastIndex = at + 1;
  if (!DOMAIN_MIN_RE.exec(text) || DOMAIN_MIN_RE.lastIndex - s > MAX_HOLD) return null;
  const end = emailEnd(text, at);
  if (end < 0 || SCALE_PREFIX.test(text.slice(at, at + 12))) return null;
  return { type: 'email', start: s, end };
}

function findEmails(input: ScanInput, out: PiiMatch[]): void {
  const { text, from } = input;
  for (let at = text.indexOf('@', from); at !== -1; at = text.indexOf('@', at + 1)) {
    const m = emailAt(text, at, from);
    if (m) out.push(m);
  }
}

/** Is the e-mail match m still able to grow when text is appended? */
export function emailOpen(text: string, m: PiiMatch): boolean {
  const at = text.indexOf('@', m.start);
  const runEnd = domainRunEnd(text, at);
  return runEnd === text.length && runEnd - at <= DOMAIN_RUN_CAP;
}

function emailTail(text: string): number {
  const len = text.length;
  const min = Math.max(0, len - MAX_HOLD);
  const end = len > 0 && isHighSurrogate(text.charCodeAt(len - 1)) ? len - 1 : len;
  const s = runStartBack(text, end, min, isEmailRunChar);
  return s < min ? len : s;
}

// ---------------------------------------------------------------- phone

const EXT = '(?: ?(?:x|ext\\.?) ?\\d{1,5})?';
const END = '(?![A-Za-z0-9_]|[.\\-]\\d)';
/** Not glued to a word, a number, or an identifier joined by '-' / '_' (ORD-415-555-0134). */
const NOT_AFTER = '(?<![A-Za-z0-9_+(]|\\d[ .\\-/]|[A-Za-z][\\-_])';

const PHONE_PATTERNS: ReadonlyArray<{ kind: string; re: RegExp; ok: (s: string, m: RegExpExecArray, text: string, p: number) => boolean }> = [
  {
    kind: 'us',
    re: new RegExp(`${NOT_AFTER}(?:(?:\\+?1|001)[ .\\-]?)?(?:\\((?<a>\\d{3})\\)[ .\\-]?|(?<b>\\d{3})[ .\\-])\\d{3}[ .\\-]\\d{4}${EXT}${END}`, 'y'),
    ok: (_s, m) => {
      const area = m.groups?.['a'] ?? m.groups?.['b'] ?? '';
      return area >= '200';
    },
  },
  {
    kind: 'international',
    re: new RegExp(`${NOT_AFTER}(?:\\+|00)[1-9]\\d{0,2}(?:[ .\\-]?(?:\\(\\d{1,4}\\)|\\d{1,5})){1,6}${EXT}${END}`, 'y'),
    ok: (s) => {
      const core = s.replace(/ ?(?:x|ext\.?) ?\d{1,5}$/, '').replace(/\(0\)/g, '');
      const digits = countDigits(core) - (core.startsWith('00') ? 2 : 0);
      if (digits < 8 || digits > 15) return false;
      if (core.startsWith('00') && !/[ .\-(]/.test(core)) return false;
      return (core.match(/(?<!\d)\d(?!\d)/g) ?? []).length <= 2;
    },
  },
  {
    kind: 'national',
    re: new RegExp(`${NOT_AFTER}(?:0[1-9]\\d{0,4}|\\(0[1-9]\\d{0,4}\\))(?:[ .\\-/]?\\d{2,8}){1,4}${EXT}${END}`, 'y'),
    ok: (s) => {
      const core = s.replace(/ ?(?:x|ext\.?) ?\d{1,5}$/, '');
      const digits = countDigits(core);
      const groups = core.split(/[ .\-/()]+/).filter((g) => g !== '').length;
      if (groups > 1 ? digits < 9 || digits > 12 || (digits === 9 && groups < 3) : digits < 10 || digits > 11) return false;
      return !startsWithDate(core);
    },
  },
  {
    kind: 'generic',
    re: new RegExp(`${NOT_AFTER}(?:(?:\\(\\d{1,4}\\)[ .\\-]?)?\\d{2,6}(?:[ .\\-]\\d{2,6}){1,4}|\\d{7,11})${EXT}${END}`, 'y'),
    ok: (s, _m, text, p) => {
      const core = s.replace(/ ?(?:x|ext\.?) ?\d{1,5}$/, '');
      const digits = countDigits(core);
      if (digits < 7 || digits > 12 || startsWithDate(core)) return false;
      return contextBefore(text, p, 32, PHONE_CONTEXT);
    },
  },
];

const PHONE_CONTEXT = /(?:^|[^a-z])(?:phone|telephone|tel|mobile|cell|cellphone|fax|call|calling|sms|whatsapp|desk|landline|hotline|dial)(?![a-z])/i;

const DATE_YMD = /^((?:19|20)\d\d)[-./](\d{1,2})[-./](\d{1,2})(?!\d)/;
const DATE_DMY = /^(\d{1,2})[-./](\d{1,2})[-./](\d{4}|\d{2})(?!\d)/;

/** Does s start with a plausible calendar date (y-m-d, or d-m-y / m-d-y with a four-digit year or alone)? */
function startsWithDate(s: string): boolean {
  const ymd = DATE_YMD.exec(s);
  if (ymd) return Number(ymd[2]) >= 1 && Number(ymd[2]) <= 12 && Number(ymd[3]) >= 1 && Number(ymd[3]) <= 31;
  const dmy = DATE_DMY.exec(s);
  // A two-digit-year date followed by more groups (01.23.45.67.89) is a phone.
  if (!dmy || (dmy[0].length < s.length && (dmy[3] ?? '').length === 2)) return false;
  const a = Number(dmy[1]);
  const b = Number(dmy[2]);
  return a >= 1 && b >= 1 && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31));
}

/**
 * Identifier words right before a number: a part, order, invoice or tracking number shaped like
 * a phone number ("Part no. 415-555-0134", "SKU 800-555-1234") is not a phone.
 */
const ID_CONTEXT = /(?:^|[^a-z])(?:part|p\/n|pn|sku|model|serial|s\/n|order|invoice|item|ref|reference|catalog(?:ue)?|article|lot|batch|ticket|case|tracking|po|id)\.?\s*(?:no\.?|nr\.?|num(?:ber)?\.?|#|id)?\s*[:#=]?\s*$/i;

function phoneAt(text: string, p: number): PiiMatch | null {
  if (contextBefore(text, p, 24, ID_CONTEXT) && !contextBefore(text, p, 32, PHONE_CONTEXT)) return null;
  let best: PiiMatch | null = null;
  for (const pat of PHONE_PATTERNS) {
    pat.re.lastIndex = p;
    const m = pat.re.exec(text);
    if (!m || !pat.ok(m[0], m, text, p)) continue;
    const end = p + m[0].length;
    if (!best || end > best.end) best = { type: 'phone', kind: pat.kind, start: p, end };
  }
  return best;
}

function findPhones(input: ScanInput, out: PiiMatch[]): void {
  const { text, from } = input;
  for (const d of input.numericStarts()) {
    const before = d > 0 ? text.charCodeAt(d - 1) : 0;
    if ((before === 43 || before === 40) && d - 1 >= from) {
      const m = phoneAt(text, d - 1);
      if (m) out.push(m);
    }
    const m = phoneAt(text, d);
    if (m) out.push(m);
  }
}

export const contactFamily: Family = {
  types: ['email', 'phone'],
  find(input, out) {
    if (input.types.has('email')) findEmails(input, out);
    if (input.types.has('phone')) findPhones(input, out);
  },
  tail(text, types) {
    let t = text.length;
    if (types.has('email')) t = Math.min(t, emailTail(text));
    if (types.has('phone')) t = Math.min(t, numericTail(text));
    return t;
  },
};
