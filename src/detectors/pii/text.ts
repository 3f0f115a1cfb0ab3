// Character classes and small text helpers shared by the recognizer families.
// Everything here works on UTF-16 code units; the only non-ASCII class is the
// e-mail local part (letters, digits and marks of any script).

import { MAX_HOLD } from './types.js';

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
export const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
/** [A-Za-z0-9_]: an ASCII word character. */
export const isWord = (c: number): boolean => isAlnum(c) || c === 95;
/** [A-Za-z0-9_-]: base64url, and the body of most API tokens. */
export const isB64Url = (c: number): boolean => isWord(c) || c === 45;
export const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
export const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

const UNICODE_WORD = /^[\p{L}\p{N}\p{M}]$/u;

/** A letter, digit or mark of any script (the code point starting at i). */
function isUnicodeWordAt(text: string, i: number): boolean {
  const cp = text.codePointAt(i);
  return cp !== undefined && UNICODE_WORD.test(String.fromCodePoint(cp));
}

/** E-mail local-part character: [\p{L}\p{N}\p{M}._%+-]. */
export function isLocalChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
  return isUnicodeWordAt(text, i);
}

/**
 * Start of the maximal run of `pred` characters that ends at `end`, looking
 * back no further than `min`: returns a value below `min` when the run
 * reaches past it. Surrogate pairs are tested as one code point (pred gets
 * the index of the high surrogate).
 */
export function runStartBack(text: string, end: number, min: number, pred: (text: string, i: number) => boolean): number {
  let i = end;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    const pair = c >= 0xdc00 && c <= 0xdfff && i >= 2 && isHighSurrogate(text.charCodeAt(i - 2));
    const at = pair ? i - 2 : i - 1;
    if (!pred(text, at)) return i;
    i = at;
    if (i < min) return min - 1;
  }
  return 0;
}

/** End of the run of ASCII `pred` characters starting at `start`. */
export function runEnd(text: string, start: number, pred: (c: number) => boolean): number {
  let i = start;
  while (i < text.length && pred(text.charCodeAt(i))) i++;
  return i;
}

/** Number of ASCII digits in s. */
export function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isDigit(s.charCodeAt(i))) n++;
  return n;
}

/** Does `re` (no g/y flags) match within the `span` characters before `pos`? */
export function contextBefore(text: string, pos: number, span: number, re: RegExp): boolean {
  return re.test(text.slice(Math.max(0, pos - span), pos));
}

/** Luhn checksum over the digits of s (other characters ignored). */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) continue;
    let d = c - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

const NUMERIC_RUN = /[0-9 ()+.,\-/xet]/;

/**
 * Hold-back rule shared by phones, cards, SSNs and IPv4: the trailing run of
 * characters those can consist of (digits, separators, parentheses, '+', the
 * extension markers x / ext.), from its first digit, '+' or '(' on, and no
 * earlier than MAX_HOLD characters before the end.
 */
export function numericTail(text: string): number {
  const len = text.length;
  const min = Math.max(0, len - MAX_HOLD);
  let s = len;
  while (s > min && NUMERIC_RUN.test(text[s - 1] ?? '')) s--;
  for (let i = s; i < len; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c) || c === 43 || c === 40) return i;
  }
  return len;
}
