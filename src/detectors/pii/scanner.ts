// The PII / secret scanner: runs the recognizer families, drops allow-listed
// values, resolves overlaps, and answers the streaming questions (how much to
// hold back, is there a long token to swallow).
//
// Overlaps: candidates sorted by start, then longer first, then type priority
// (api_key > credit_card > iban > ssn > email > ip_address > phone), then
// kind; a candidate is kept when it starts at or after the end of the last
// kept one.
//
// Cost: nothing runs over the whole text per recognizer. Digit recognizers
// are tried only at the starts of digit runs that have at least four digits
// nearby; e-mail only at '@'; IPv6 only at runs around ':'; secrets at the
// hits of one prefix regex and at "-----BEGIN ". Clean prose without digits,
// '@' or secret prefixes costs one pass of each of those searches.

import { contactFamily, emailOpen } from './contact.js';
import { financialFamily } from './financial.js';
import { networkFamily } from './network.js';
import { secretOpen, secretsFamily } from './secrets.js';
import { createTracker } from './tracker.js';
import { isDigit } from './text.js';
import {
  MAX_HOLD,
  PII_TYPES,
  TYPE_PRIORITY,
  type Family,
  type LongToken,
  type PiiMatch,
  type PiiType,
  type ScanInput,
  type TokenTracker,
} from './types.js';

export interface PiiScannerOptions {
  types: readonly PiiType[];
  /** Literal values never reported (compared with the exact match text), e.g. support@acme.com. At most 64 characters each. */
  allow?: readonly string[];
}

export interface PiiScanner {
  readonly types: readonly PiiType[];
  /**
   * Non-overlapping matches in order. With `from`, only candidates starting at
   * or after it are considered and text before it serves as left context
   * (a streamer passes its last CONTEXT_CHARS released characters there).
   */
  scan(text: string, from?: number): PiiMatch[];
  /**
   * Streaming support: given the text seen so far (which may continue), the
   * number of trailing characters that must be held back because they could
   * still become part of a match, or change a match, once more text arrives.
   * Always ≤ MAX_HOLD (64). Guarantee, when longTokenAt(text) is null: every
   * candidate that starts before text.length - holdBack(text) is final —
   * scan(text + s) has exactly the same matches starting there as scan(text),
   * for every s. A match that starts before that point but ends after it is
   * final too, so a streamer may release through its end.
   */
  holdBack(text: string): number;
  /**
   * A confirmed match that may still grow and starts more than MAX_HOLD
   * characters before the end (a long secret, a PEM block, a long e-mail
   * address), or null. Its type, kind and start are final and every match
   * before it is final. Check this before holdBack: when it is non-null, the
   * streamer releases the text before `start` (redacting scan's matches
   * there), emits `[REDACTED:<type>]`, and passes everything after `start` to
   * trackToken(...) instead of holding it.
   */
  longTokenAt(text: string, from?: number): LongToken | null;
  /** A tracker that tells where the long token found in `text` ends (tracker.ts). */
  trackToken(text: string, token: LongToken): TokenTracker;
}

const FAMILIES: readonly Family[] = [contactFamily, financialFamily, networkFamily, secretsFamily];

/** [0-9 ().-/+] */
const isNumericBlob = (c: number): boolean => isDigit(c) || c === 32 || c === 40 || c === 41 || c === 46 || c === 45 || c === 47 || c === 43;
const DIGIT_RUN = /\d+/g;

/** Starts of digit runs at or after `from`; `numeric` keeps those with ≥ 4 digits in the next 24 numeric-blob characters. */
function digitRuns(text: string, from: number): { all: number[]; numeric: number[] } {
  const all: number[] = [];
  const numeric: number[] = [];
  const len = text.length;
  DIGIT_RUN.lastIndex = from;
  for (let m = DIGIT_RUN.exec(text); m; m = DIGIT_RUN.exec(text)) {
    const i = m.index;
    if (i > 0 && isDigit(text.charCodeAt(i - 1))) continue; // only when `from` cut a run
    all.push(i);
    let digits = m[0].length;
    for (let j = i + digits; j < len && j < i + 24 && digits < 4; j++) {
      const c = text.charCodeAt(j);
      if (!isNumericBlob(c)) break;
      if (isDigit(c)) digits++;
    }
    if (digits >= 4) numeric.push(i);
  }
  return { all, numeric };
}

function compare(a: PiiMatch, b: PiiMatch): number {
  return (
    a.start - b.start ||
    b.end - b.start - (a.end - a.start) ||
    TYPE_PRIORITY[b.type] - TYPE_PRIORITY[a.type] ||
    (a.kind ?? '').localeCompare(b.kind ?? '')
  );
}

function select(cands: PiiMatch[]): PiiMatch[] {
  cands.sort(compare);
  const out: PiiMatch[] = [];
  let end = -1;
  for (const c of cands) {
    if (c.start < end) continue;
    out.push(c);
    end = c.end;
  }
  return out;
}

function isOpen(text: string, m: PiiMatch): boolean {
  if (m.type === 'email') return emailOpen(text, m);
  if (m.type === 'api_key') return secretOpen(text, m);
  return false;
}

export function createPiiScanner(opts: PiiScannerOptions): PiiScanner {
  const types = new Set<PiiType>(opts.types);
  for (const t of types) if (!PII_TYPES.includes(t)) throw new TypeError(`unknown PII type: ${String(t)}`);
  const allow = new Set(opts.allow ?? []);
  for (const a of allow) {
    if (a.length > MAX_HOLD) throw new RangeError(`allow-list value longer than ${MAX_HOLD} characters: ${a.slice(0, 20)}…`);
  }
  const families = FAMILIES.filter((f) => f.types.some((t) => types.has(t)));

  let memoText: string | null = null;
  let memoFrom = -1;
  let memoResult: PiiMatch[] = [];

  // One input for every scan (scan is synchronous and the families keep no reference to it):
  // a streamed answer is scanned at every event, and a fresh object with two closures per scan
  // was the largest allocation of a streamed request (`npm run bench:alloc`).
  let runs: { all: number[]; numeric: number[] } | null = null;
  const input: { -readonly [K in keyof ScanInput]: ScanInput[K] } = {
    text: '',
    from: 0,
    types,
    digitStarts: () => (runs ??= digitRuns(input.text, input.from)).all,
    numericStarts: () => (runs ??= digitRuns(input.text, input.from)).numeric,
  };

  function scan(text: string, from = 0): PiiMatch[] {
    if (text === memoText && from === memoFrom) return memoResult.map((m) => ({ ...m }));
    input.text = text;
    input.from = from;
    runs = null;
    let cands: PiiMatch[] = [];
    for (const f of families) f.find(input, cands);
    if (allow.size > 0) cands = cands.filter((c) => !allow.has(text.slice(c.start, c.end)));
    const result = select(cands);
    memoText = text;
    memoFrom = from;
    memoResult = result;
    input.text = '';
    runs = null;
    return result.map((m) => ({ ...m }));
  }

  return {
    types: [...types],
    scan,
    holdBack(text) {
      let t = text.length;
      for (const f of families) t = Math.min(t, f.tail(text, types));
      return text.length - t;
    },
    longTokenAt(text, from = 0) {
      const limit = text.length - MAX_HOLD;
      for (const m of scan(text, from)) {
        if (m.start >= limit) break;
        if (isOpen(text, m)) return { type: m.type, kind: m.kind ?? '', start: m.start };
      }
      return null;
    },
    trackToken: createTracker,
  };
}
