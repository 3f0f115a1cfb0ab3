/**
 * Structural limits on JSON text, checked in one linear pass BEFORE JSON.parse allocates
 * anything: nesting depth, array length, string length, keys per object, and forbidden keys
 * (`__proto__`, `constructor`, `prototype`). JSON.parse has no such limits (a 1,000,000-element
 * array or 10,000 levels of nesting would be built in full first) and no JSON library on npm
 * checks all of these in a single pass without building the tree, hence this hand-written
 * scanner. It does not validate syntax — JSON.parse does that right after.
 */
import type { ErrorCode } from '../errors.js';

export interface JsonLimits {
  maxDepth: number;
  maxArrayLength: number;
  maxStringChars: number;
  maxKeys: number;
}

export interface JsonGuardViolation { code: ErrorCode; detail: string; }

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the closing quote of the string that starts at `start` (the opening quote), or -1. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q === -1) return -1;
    // Count the backslashes just before the quote: an odd number escapes it.
    let b = q - 1;
    while (b > start && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * `stats.keys`, when given, receives the number of object members in the text (duplicates
 * included): equal to countObjectKeys(JSON.parse(text)) exactly when no object has a key twice.
 */
export function checkJsonLimits(text: string, limits: JsonLimits, stats?: { keys: number }): JsonGuardViolation | null {
  let keys = 0;
  // Per open container: 1 = object, 2 = array; and the element/key count so far.
  const kinds: number[] = [];
  const counts: number[] = [];
  // Whether the next token in the current container has not started yet (just after [ { or ,).
  let fresh = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    const top = kinds.length - 1;
    if (fresh && c !== RBRACKET && c !== RBRACE) {
      fresh = false;
      const count = (counts[top] as number) + 1;
      counts[top] = count;
      if (kinds[top] === 2 && count > limits.maxArrayLength) return { code: 'MG_JSON_ARRAY_TOO_LONG', detail: `array over ${limits.maxArrayLength}` };
      if (kinds[top] === 1 && count > limits.maxKeys) return { code: 'MG_JSON_TOO_MANY_KEYS', detail: `object over ${limits.maxKeys} keys` };
    }
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) return null; // unterminated: JSON.parse reports it
      if (end - i - 1 > limits.maxStringChars) return { code: 'MG_JSON_STRING_TOO_LONG', detail: `string over ${limits.maxStringChars}` };
      // A string that is an object key: the next non-space character is ':'.
      if (kinds[top] === 1 && end - i - 1 <= 80) { // a forbidden key is at most 11 characters, 66 when fully \u-escaped
        let j = end + 1;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a) {
          let key = text.slice(i + 1, end);
          if (key.includes('\\')) {
            try { key = JSON.parse(text.slice(i, end + 1)) as string; } catch { return null; }
          }
          if (FORBIDDEN_KEYS.has(key)) return { code: 'MG_JSON_FORBIDDEN_KEY', detail: 'forbidden key' };
        }
      }
      i = end;
    } else if (c === LBRACE || c === LBRACKET) {
      if (kinds.length >= limits.maxDepth) return { code: 'MG_JSON_TOO_DEEP', detail: `depth over ${limits.maxDepth}` };
      kinds.push(c === LBRACE ? 1 : 2);
      counts.push(0);
      fresh = true;
    } else if (c === RBRACE || c === RBRACKET) {
      if (c === RBRACE) keys += counts[top] ?? 0;
      kinds.pop();
      counts.pop();
      fresh = false;
    } else if (c === COMMA) {
      if (kinds.length > 0) fresh = true;
    }
  }
  if (stats !== undefined) stats.keys = keys;
  return null;
}

/**
 * Members of every object in a parsed value. JSON.parse keeps the last of duplicate keys, other
 * parsers the first: a body whose text has more members than its parse has duplicates, and only
 * a body without them may be forwarded as the client's bytes (no parser differential).
 */
export function countObjectKeys(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (typeof e === 'object' && e !== null) n += countObjectKeys(e);
    }
    return n;
  }
  for (const k in v) {
    n++;
    n += countObjectKeys((v as Record<string, unknown>)[k]);
  }
  return n;
}
