// Financial recognizers: payment cards, US social security numbers, IBANs.
//
// Cards and SSNs are never the tail of an identifier: a run glued to a letter by '-' or '_'
// (xoxq-506707873358, ORD-123-45-6789) is part of that identifier.
//
// Card: 12–19 digits written as one run, or in groups of 4-4-4[-1..4[-1..3]]
// or 4-6-4/5 separated consistently by spaces or hyphens; the digit run must
// stand alone (no digit, letter or decimal point glued to it, no further
// group with the same separator). The number must pass Luhn and start with a
// known issuer prefix of a length that issuer uses (kind = brand); 12 digits
// are accepted for Maestro only.
//
// SSN: AAA-GG-SSSS or AAA GG SSSS (one separator, used twice) with area not
// 000, 666 or 900–999, group not 00, serial not 0000. Nine plain digits count
// only after an SSN word (SSN, SSN#, SS#, social security…) in the 24
// characters before them: an unlabelled nine-digit number is far more often
// an id, a ZIP+4 or an amount than an SSN.
//
// IBAN: country code (registry below), two check digits, BBAN; exactly the
// registered length for the country; written in one run or in groups of four
// separated by single spaces; all upper or all lower case; ISO 7064 mod-97
// must equal 1; not glued to letters or digits.

import { MAX_HOLD, type Family, type PiiMatch, type ScanInput } from './types.js';
import { contextBefore, isAlnum, isAlpha, isDigit, isLower, isUpper, luhnValid, numericTail } from './text.js';

// ---------------------------------------------------------------- cards

interface Brand {
  kind: string;
  /** Inclusive prefix range; both bounds have the same number of digits. */
  lo: number;
  hi: number;
  lengths: readonly number[];
}

const L16_19 = [16, 17, 18, 19];
const L12_19 = [12, 13, 14, 15, 16, 17, 18, 19];

const BRANDS: readonly Brand[] = [
  { kind: 'amex', lo: 34, hi: 34, lengths: [15] },
  { kind: 'amex', lo: 37, hi: 37, lengths: [15] },
  { kind: 'diners', lo: 300, hi: 305, lengths: [14, 15, 16, 17, 18, 19] },
  { kind: 'diners', lo: 3095, hi: 3095, lengths: [14, 15, 16, 17, 18, 19] },
  { kind: 'diners', lo: 36, hi: 36, lengths: [14, 15, 16, 17, 18, 19] },
  { kind: 'diners', lo: 38, hi: 39, lengths: [14, 15, 16, 17, 18, 19] },
  { kind: 'jcb', lo: 3528, hi: 3589, lengths: L16_19 },
  { kind: 'jcb', lo: 1800, hi: 1800, lengths: [15] },
  { kind: 'jcb', lo: 2131, hi: 2131, lengths: [15] },
  { kind: 'visa', lo: 4, hi: 4, lengths: [13, 16, 19] },
  { kind: 'mastercard', lo: 51, hi: 55, lengths: [16] },
  { kind: 'mastercard', lo: 2221, hi: 2720, lengths: [16] },
  { kind: 'mir', lo: 2200, hi: 2204, lengths: L16_19 },
  { kind: 'discover', lo: 6011, hi: 6011, lengths: L16_19 },
  { kind: 'discover', lo: 644, hi: 649, lengths: L16_19 },
  { kind: 'discover', lo: 65, hi: 65, lengths: L16_19 },
  { kind: 'unionpay', lo: 62, hi: 62, lengths: L16_19 },
  { kind: 'rupay', lo: 60, hi: 60, lengths: L16_19 },
  { kind: 'maestro', lo: 50, hi: 50, lengths: L12_19 },
  { kind: 'maestro', lo: 56, hi: 58, lengths: L12_19 },
  { kind: 'maestro', lo: 6304, hi: 6304, lengths: L12_19 },
  { kind: 'maestro', lo: 639, hi: 639, lengths: L12_19 },
  { kind: 'maestro', lo: 67, hi: 67, lengths: L12_19 },
];

/** The brand of a digit string by issuer prefix and length (longest prefix first), or null. */
export function cardBrand(digits: string): string | null {
  let best: Brand | null = null;
  let bestLen = 0;
  const head = Number(digits.slice(0, 4));
  for (const b of BRANDS) {
    const n = String(b.lo).length;
    const prefix = Math.floor(head / 10 ** (4 - n));
    if (prefix < b.lo || prefix > b.hi || n <= bestLen || !b.lengths.includes(digits.length)) continue;
    best = b;
    bestLen = n;
  }
  return best ? best.kind : null;
}

const CARD_RE = new RegExp(
  '(?<![A-Za-z0-9_]|\\d[ .,\\-]|[A-Za-z][\\-_])(?:' +
    '\\d{12,19}(?![A-Za-z0-9_]|[.,]\\d)' +
    '|\\d{4}(?<s>[ \\-])\\d{4}\\k<s>\\d{4}(?:\\k<s>\\d{1,4}(?:\\k<s>\\d{1,3})?)?(?![A-Za-z0-9_]|\\k<s>\\d|[.,]\\d)' +
    '|\\d{4}(?<t>[ \\-])\\d{6}\\k<t>\\d{4,5}(?![A-Za-z0-9_]|\\k<t>\\d|[.,]\\d)' +
    ')',
  'y',
);

function cardAt(text: string, p: number): PiiMatch | null {
  CARD_RE.lastIndex = p;
  const m = CARD_RE.exec(text);
  if (!m) return null;
  const digits = m[0].replace(/[ -]/g, '');
  const kind = cardBrand(digits);
  if (!kind || !luhnValid(digits)) return null;
  return { type: 'credit_card', kind, start: p, end: p + m[0].length };
}

// ---------------------------------------------------------------- SSN

const SSN_RE = /(?<![A-Za-z0-9_]|\d[ .,-]|[A-Za-z][-_])(\d{3})([ -])(\d{2})\2(\d{4})(?![A-Za-z0-9_]|\2\d|[.,]\d)/y;
const SSN_PLAIN_RE = /(?<![A-Za-z0-9_]|\d[ .,-]|[A-Za-z][-_])(\d{3})(\d{2})(\d{4})(?![A-Za-z0-9_]|[.,]\d)/y;
const SSN_CONTEXT = /(?:^|[^a-z])(?:ssn|ss#|ssn#|social security|social sec\.?|soc\.? sec\.?)(?![a-z])/i;

/** SSA validity rules for area, group and serial. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function ssnAt(text: string, p: number): PiiMatch | null {
  SSN_RE.lastIndex = p;
  let m = SSN_RE.exec(text);
  let kind = 'separated';
  if (m) {
    if (!ssnValid(m[1] ?? '', m[3] ?? '', m[4] ?? '')) return null;
  } else {
    SSN_PLAIN_RE.lastIndex = p;
    m = SSN_PLAIN_RE.exec(text);
    if (!m || !ssnValid(m[1] ?? '', m[2] ?? '', m[3] ?? '') || !contextBefore(text, p, 24, SSN_CONTEXT)) return null;
    kind = 'plain';
  }
  return { type: 'ssn', kind, start: p, end: p + m[0].length };
}

// ---------------------------------------------------------------- IBAN

/** Registered IBAN lengths (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 7064 mod-97-10 over a compact IBAN (letters A=10 … Z=35). */
export function ibanChecksumValid(compact: string): boolean {
  const s = compact.slice(4) + compact.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) rem = (rem * 10 + (c - 48)) % 97;
    else rem = (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1;
}

/** Is a compact IBAN (no spaces, any case) of a registered country, of its length, with a valid checksum? */
export function ibanValid(compact: string): boolean {
  const s = compact.toUpperCase();
  return /^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s) && IBAN_LENGTHS[s.slice(0, 2)] === s.length && ibanChecksumValid(s);
}

/** The end of an IBAN starting at p, or -1. */
export function ibanEnd(text: string, p: number): number {
  if (p > 0 && isAlnum(text.charCodeAt(p - 1))) return -1;
  const cc = text.slice(p, p + 2);
  const upper = isUpper(cc.charCodeAt(0)) && isUpper(cc.charCodeAt(1));
  const lower = isLower(cc.charCodeAt(0)) && isLower(cc.charCodeAt(1));
  const len = IBAN_LENGTHS[cc.toUpperCase()];
  if ((!upper && !lower) || len === undefined) return -1;
  if (!isDigit(text.charCodeAt(p + 2)) || !isDigit(text.charCodeAt(p + 3))) return -1;
  const grouped = text.charCodeAt(p + 4) === 32;
  let compact = cc.toUpperCase() + text.slice(p + 2, p + 4);
  let i = p + 4;
  while (compact.length < len) {
    if (grouped && compact.length % 4 === 0) {
      if (text.charCodeAt(i) !== 32) return -1;
      i++;
    }
    const c = text.charCodeAt(i);
    if (isDigit(c) || (upper ? isUpper(c) : isLower(c))) compact += String.fromCharCode(c).toUpperCase();
    else return -1;
    i++;
  }
  if (i < text.length && isAlnum(text.charCodeAt(i))) return -1;
  return ibanChecksumValid(compact) ? i : -1;
}

// ---------------------------------------------------------------- family

function findFinancial(input: ScanInput, out: PiiMatch[]): void {
  const { text, from, types } = input;
  const cards = types.has('credit_card');
  const ssn = types.has('ssn');
  if (cards || ssn) {
    for (const d of input.numericStarts()) {
      const card = cards ? cardAt(text, d) : null;
      if (card) out.push(card);
      const s = ssn ? ssnAt(text, d) : null;
      if (s) out.push(s);
    }
  }
  if (!types.has('iban')) return;
  for (const d of input.digitStarts()) {
    if (d - 2 < from || !isAlpha(text.charCodeAt(d - 2)) || !isAlpha(text.charCodeAt(d - 1))) continue;
    const end = ibanEnd(text, d - 2);
    if (end > 0) out.push({ type: 'iban', kind: text.slice(d - 2, d).toUpperCase(), start: d - 2, end });
  }
}

/** Could text[p..] still become (or be a complete) IBAN once more text arrives? */
const IBAN_VIABLE = /^(?:[A-Za-z]{1,2}|[A-Za-z]{2}\d{1,2}|[A-Za-z]{2}\d{2}[A-Za-z0-9]{1,30}|[A-Za-z]{2}\d{2}(?: [A-Za-z0-9]{4}){0,8}(?: [A-Za-z0-9]{0,4})?)$/;

/** Is p the start of a word that IBAN_VIABLE accepts to the end of the text? */
function ibanViableAt(text: string, p: number): boolean {
  if (!isAlpha(text.charCodeAt(p)) || (p > 0 && isAlnum(text.charCodeAt(p - 1)))) return false;
  // Necessary for every alternative of IBAN_VIABLE (cheap; most word starts fail it, so the
  // slice and the regex run rarely): a second letter, then a digit.
  const rest = text.length - p;
  if (rest >= 2 && !isAlpha(text.charCodeAt(p + 1))) return false;
  if (rest >= 3 && !isDigit(text.charCodeAt(p + 2))) return false;
  return IBAN_VIABLE.test(text.slice(p));
}

const DIGIT = /\d/g;

/**
 * The earliest p ≥ len - MAX_HOLD where the rest of the text could still become an IBAN, or len.
 * Asked at every streamed event, so only where one can start: a viable start p has a digit at
 * p + 2 unless p + 2 is past the end. The candidates are the starts two characters before each
 * digit of the last MAX_HOLD characters, in order, and then len - 2 and len - 1; all others fail
 * the digit check of ibanViableAt. Streamed prose has few digits: this replaces a loop over
 * the last 64 characters at every event (the largest part of the output filter's hold-back,
 * `npm run bench:profile`). ibanTailEvery is the loop; the tests compare the two.
 */
export function ibanTail(text: string): number {
  const len = text.length;
  const min = Math.max(0, len - MAX_HOLD);
  DIGIT.lastIndex = min + 2;
  for (let m = DIGIT.exec(text); m !== null; m = DIGIT.exec(text)) {
    if (ibanViableAt(text, m.index - 2)) return m.index - 2;
  }
  for (let p = Math.max(min, len - 2); p < len; p++) if (ibanViableAt(text, p)) return p;
  return len;
}

/** ibanTail trying every position of the last MAX_HOLD characters (the tests' reference). */
export function ibanTailEvery(text: string): number {
  const len = text.length;
  for (let p = Math.max(0, len - MAX_HOLD); p < len; p++) if (ibanViableAt(text, p)) return p;
  return len;
}

export const financialFamily: Family = {
  types: ['credit_card', 'ssn', 'iban'],
  find: findFinancial,
  tail(text, types) {
    const numeric = types.has('credit_card') || types.has('ssn') ? numericTail(text) : text.length;
    return types.has('iban') ? Math.min(numeric, ibanTail(text)) : numeric;
  },
};
