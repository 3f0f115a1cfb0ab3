// Secret recognizers (type api_key, kind below). Every token must start at a
// boundary: the character before it is not an ASCII letter or digit.
//
//   openai      sk-… (also sk-proj-…, sk-svcacct-…): then a run of
//               [A-Za-z0-9_-], at least 20 long, with a digit among its
//               first 41 characters; the match is the whole run
//   anthropic   the same shape starting sk-ant-
//   aws         AKIA / ASIA + 16 [A-Z0-9], not followed by [A-Za-z0-9]
//   github      gh[pousr]_ + a run of ≥ 36 [A-Za-z0-9];
//               github_pat_ + a run of ≥ 22 [A-Za-z0-9_]
//   slack       xox[abprs]- + a run of ≥ 10 [A-Za-z0-9-], digit among the first 21
//   stripe      sk_live_ / rk_live_ / sk_test_ / rk_test_ + a run of ≥ 24
//               [A-Za-z0-9] with a digit and a letter (publishable pk_ keys are
//               public and left alone)
//   google      AIza + exactly 35 [A-Za-z0-9_-], not followed by more
//   jwt         eyJ + ≥ 17 base64url (the base64 of '{"'), then up to two
//               more .segments; a bare header-like blob counts too, since its
//               decision has to be made within the streaming window
//   modelgate   mg_ + exactly 43 base64url, not followed by more
//   aws_secret  an AWS secret access key: exactly 40 [A-Za-z0-9/+] (not glued to another such
//               character, nor followed by '='), holding an upper-case letter, a lower-case
//               letter and a digit — a hex SHA-1 (no upper case) or an upper-case hex id is not
//               one — with "aws" or "secret" (any case) in the 48 characters before it
//               (aws_secret_access_key = …, "SecretAccessKey": "…"): unlabelled, a 40-character
//               base64 run is far more often a hash or an id
//   private_key -----BEGIN [LABEL ]PRIVATE KEY[ BLOCK]----- (label: at most
//               two words of ≤ 9 [A-Z0-9]), a line break (or a literal \n /
//               \r\n escape, as in JSON strings), at most 4 spaces of
//               indentation, then a base64 character ("the -----BEGIN PRIVATE
//               KEY----- header" in prose is not a key); the match runs to the
//               first -----END …----- line, or to the end of the text when
//               there is none (fail closed: a truncated key is still a key)
//
// Each of these is recognisable within its first 63 characters; after that,
// run-shaped tokens (openai, anthropic, github, slack, jwt) and PEM blocks can
// grow without limit: see tracker.ts.

import { MAX_HOLD, type Family, type PiiMatch, type ScanInput } from './types.js';
import { contextBefore, isAlnum, isB64Url, isDigit, isUpper, isWord, runEnd, runStartBack } from './text.js';

const PEM_HEAD = '-----BEGIN ';
/** Header, one line break (real or a literal \\n / \\r\\n escape), at most 4 spaces of indentation, a base64 character: ≤ 63 characters. */
export const PEM_HEAD_RE = /-----BEGIN (?:[A-Z0-9]{1,9} ){0,2}PRIVATE KEY(?: BLOCK)?-----[ \t]?(?:\r?\n|\\r\\n|\\n)[ \t]{0,4}[A-Za-z0-9+/]/y;
export const PEM_FOOTER_RE = /-----END (?:[A-Z0-9]{1,9} ){0,2}PRIVATE KEY(?: BLOCK)?-----/g;
/** The longest possible footer, in characters. */
export const PEM_FOOTER_MAX = 9 + 20 + 17 + 5;

const isTokenWord = (c: number): boolean => isAlnum(c);
const isSlackChar = (c: number): boolean => isAlnum(c) || c === 45;
const isUpperAlnum = (c: number): boolean => isUpper(c) || isDigit(c);

/** Run class of a run-shaped token, by its text (null: not run-shaped). */
export function runClassOf(kind: string, tokenStart: string): ((c: number) => boolean) | null {
  switch (kind) {
    case 'openai':
    case 'anthropic':
      return isB64Url;
    case 'github':
      return tokenStart.startsWith('github_pat_') ? isWord : isTokenWord;
    case 'slack':
      return isSlackChar;
    case 'stripe':
      return isTokenWord;
    default:
      return null;
  }
}

/** Are text[from, to) all `pred` characters (and inside the text)? */
function allIn(text: string, from: number, to: number, pred: (c: number) => boolean): boolean {
  if (to > text.length) return false;
  for (let i = from; i < to; i++) if (!pred(text.charCodeAt(i))) return false;
  return true;
}

function hasLetter(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) return true;
  }
  return false;
}

function hasDigit(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}

/** Memo of the last run found per class, so tokens nested in one long run cost O(1) each. */
class RunMemo {
  private start = -1;
  private end = -1;
  constructor(private readonly pred: (c: number) => boolean) {}
  endFrom(text: string, i: number): number {
    if (i >= this.start && i < this.end) return this.end;
    this.start = i;
    this.end = runEnd(text, i, this.pred);
    return this.end;
  }
}

interface SecretMemos {
  b64: RunMemo;
  word: RunMemo;
  alnum: RunMemo;
  slack: RunMemo;
  jwtRunEnd: number;
  jwtEnd: number;
}

/** Extent of a JWT whose header run ends at h: up to two more .segments. */
function jwtEnd(text: string, h: number, memo: SecretMemos): number {
  if (memo.jwtRunEnd === h) return memo.jwtEnd;
  let e = h;
  for (let k = 0; k < 2 && text.charCodeAt(e) === 46 && isB64Url(text.charCodeAt(e + 1)); k++) e = runEnd(text, e + 1, isB64Url);
  memo.jwtRunEnd = h;
  memo.jwtEnd = e;
  return e;
}

function secretAt(text: string, p: number, prefix: string, memo: SecretMemos): PiiMatch | null {
  const c0 = prefix.charCodeAt(0);
  const body = p + prefix.length;
  let end = -1;
  let kind = '';
  if (prefix === 'sk-') {
    end = memo.b64.endFrom(text, body);
    if (end - body < 20 || !hasDigit(text, body, Math.min(end, body + 41))) return null;
    kind = text.startsWith('ant-', body) ? 'anthropic' : 'openai';
  } else if (prefix === 'AIza') {
    end = body + 35;
    if (!allIn(text, body, end, isB64Url) || (end < text.length && isB64Url(text.charCodeAt(end)))) return null;
    kind = 'google';
  } else if (prefix.endsWith('live_') || prefix.endsWith('test_')) {
    end = memo.alnum.endFrom(text, body);
    if (end - body < 24 || !hasDigit(text, body, end) || !hasLetter(text, body, end)) return null;
    kind = 'stripe';
  } else if (c0 === 65 /* A */) {
    end = body + 16;
    if (!allIn(text, body, end, isUpperAlnum) || (end < text.length && isAlnum(text.charCodeAt(end)))) return null;
    kind = 'aws';
  } else if (prefix === 'github_pat_') {
    end = memo.word.endFrom(text, body);
    if (end - body < 22) return null;
    kind = 'github';
  } else if (c0 === 103 /* g */) {
    end = memo.alnum.endFrom(text, body);
    if (end - body < 36) return null;
    kind = 'github';
  } else if (c0 === 120 /* x */) {
    end = memo.slack.endFrom(text, body);
    if (end - body < 10 || !hasDigit(text, body, Math.min(end, body + 21))) return null;
    kind = 'slack';
  } else if (prefix === 'mg_') {
    end = body + 43;
    if (!allIn(text, body, end, isB64Url) || (end < text.length && isB64Url(text.charCodeAt(end)))) return null;
    kind = 'modelgate';
  } else {
    const h = memo.b64.endFrom(text, p);
    if (h - p < 20) return null;
    end = jwtEnd(text, h, memo);
    kind = 'jwt';
  }
  return { type: 'api_key', kind, start: p, end };
}

/** First footer at or after `from`: [start, end], or null. Memoised for monotone queries. */
class FooterMemo {
  private searchedFrom = Infinity;
  private found: [number, number] | null = null;
  constructor(private readonly text: string) {}
  after(from: number): [number, number] | null {
    if (from >= this.searchedFrom && (this.found === null || from <= this.found[0])) return this.found;
    PEM_FOOTER_RE.lastIndex = from;
    const m = PEM_FOOTER_RE.exec(this.text);
    this.searchedFrom = from;
    this.found = m ? [m.index, m.index + m[0].length] : null;
    return this.found;
  }
}

function findPem(text: string, from: number, out: PiiMatch[]): void {
  let footers: FooterMemo | null = null;
  for (let p = text.indexOf(PEM_HEAD, from); p !== -1; p = text.indexOf(PEM_HEAD, p + 1)) {
    PEM_HEAD_RE.lastIndex = p;
    if (!PEM_HEAD_RE.exec(text)) continue;
    footers ??= new FooterMemo(text);
    const f = footers.after(PEM_HEAD_RE.lastIndex);
    out.push({ type: 'api_key', kind: 'private_key', start: p, end: f ? f[1] : text.length });
  }
}

/**
 * Hits of the characters that end a secret prefix ('-' of sk- / xox?- and the
 * first '-' of -----BEGIN, '_' of gh?_ / github_pat_ / mg_, 'J' of eyJ, "IA" of
 * AKIA / ASIA): one single-class regex pass is much cheaper than searching
 * for the prefixes themselves, whose first letters are common.
 */
const TRIGGER_RE = /[-_J]|[KS]IA|AIza/g;
const STRIPE_PREFIX = /^[sr]k_(?:live|test)_$/;

/** The secret prefix that ends with the trigger at i (or, for PEM, starts there), and where it starts. */
function prefixAt(text: string, i: number): [number, string] | null {
  const c = text.charCodeAt(i);
  if (c === 45 /* - */) {
    if (text.startsWith('sk', i - 2)) return [i - 2, 'sk-'];
    if (text.startsWith('xox', i - 4) && 'abprs'.includes(text.charAt(i - 1))) return [i - 4, text.slice(i - 4, i + 1)];
    if (text.startsWith(PEM_HEAD, i)) return [i, PEM_HEAD];
    return null;
  }
  if (c === 65 /* A */) return text.startsWith('AIza', i) ? [i, 'AIza'] : null;
  if (c === 95 /* _ */) {
    if (i >= 7 && STRIPE_PREFIX.test(text.slice(i - 7, i + 1))) return [i - 7, text.slice(i - 7, i + 1)];
    if (text.startsWith('gh', i - 3) && 'pousr'.includes(text.charAt(i - 1))) return [i - 3, text.slice(i - 3, i + 1)];
    if (text.startsWith('github_pat', i - 10)) return [i - 10, 'github_pat_'];
    if (text.startsWith('mg', i - 2)) return [i - 2, 'mg_'];
    return null;
  }
  if (c === 74 /* J */) return text.startsWith('ey', i - 2) ? [i - 2, 'eyJ'] : null;
  return text.charCodeAt(i - 1) === 65 /* A */ ? [i - 1, text.slice(i - 1, i + 3)] : null;
}

function findSecrets(input: ScanInput, out: PiiMatch[]): void {
  if (!input.types.has('api_key')) return;
  const { text, from } = input;
  const memo: SecretMemos = {
    b64: new RunMemo(isB64Url),
    word: new RunMemo(isWord),
    alnum: new RunMemo(isTokenWord),
    slack: new RunMemo(isSlackChar),
    jwtRunEnd: -1,
    jwtEnd: -1,
  };
  let pem = false;
  TRIGGER_RE.lastIndex = from;
  for (let m = TRIGGER_RE.exec(text); m; m = TRIGGER_RE.exec(text)) {
    const hit = prefixAt(text, m.index);
    if (!hit || hit[0] < from) continue;
    const [p, prefix] = hit;
    if (prefix === PEM_HEAD) {
      pem = true;
      continue;
    }
    if (p > 0 && isAlnum(text.charCodeAt(p - 1))) continue;
    const found = secretAt(text, p, prefix, memo);
    if (found) out.push(found);
  }
  if (pem) findPem(text, from, out);
  findAwsSecrets(input, out);
}

// ---------------------------------------------------------------- AWS secret access keys

const AWS_SECRET_LEN = 40;
const AWS_CONTEXT_SPAN = 48;
const AWS_CONTEXT_BEFORE = /aws|secret/i;
const isAwsSecretChar = (c: number): boolean => isAlnum(c) || c === 47 || c === 43;
const isAwsSecretAt = (text: string, i: number): boolean => isAwsSecretChar(text.charCodeAt(i));

/** Is the maximal run [p, e) of key characters an AWS secret key (length, no '=' after, character mix)? */
function awsSecretShape(text: string, p: number, e: number): boolean {
  if (e - p !== AWS_SECRET_LEN || text.charCodeAt(e) === 61 /* = */) return false;
  let up = false;
  let low = false;
  let dig = false;
  for (let i = p; i < e; i++) {
    const c = text.charCodeAt(i);
    up ||= isUpper(c);
    low ||= c >= 97 && c <= 122;
    dig ||= isDigit(c);
  }
  return up && low && dig;
}

/**
 * Candidates anchored on digit runs (shared with the other families, computed once per scan): a
 * key holds a digit, so every key run contains a digit-run start. Prose without digits costs
 * nothing here; the context words are looked for only before a 40-character run.
 */
function findAwsSecrets(input: ScanInput, out: PiiMatch[]): void {
  const { text, from } = input;
  let examined = -1;
  for (const d of input.digitStarts()) {
    if (d < examined) continue; // inside a run already measured
    const e = runEnd(text, d, isAwsSecretChar);
    examined = e;
    const s = runStartBack(text, d, d - AWS_SECRET_LEN, isAwsSecretAt);
    if (s < from || e - s !== AWS_SECRET_LEN || !awsSecretShape(text, s, e)) continue;
    if (contextBefore(text, s, AWS_CONTEXT_SPAN, AWS_CONTEXT_BEFORE)) out.push({ type: 'api_key', kind: 'aws_secret', start: s, end: e });
  }
}

/** Hold a trailing run of up to 40 key characters when a context word precedes it. */
function awsSecretTail(text: string): number {
  const len = text.length;
  let s = len;
  while (s > 0 && len - s <= AWS_SECRET_LEN && isAwsSecretChar(text.charCodeAt(s - 1))) s--;
  if (s === len || len - s > AWS_SECRET_LEN) return len;
  return AWS_CONTEXT_BEFORE.test(text.slice(Math.max(0, s - AWS_CONTEXT_SPAN), s)) ? s : len;
}

/** Is the secret match m still able to grow when text is appended? */
export function secretOpen(text: string, m: PiiMatch): boolean {
  const len = text.length;
  switch (m.kind) {
    case 'openai':
    case 'anthropic':
    case 'github':
    case 'slack':
    case 'stripe':
      return m.end === len;
    case 'jwt':
      if (m.end === len) return true;
      return m.end === len - 1 && text.charCodeAt(len - 1) === 46 && text.slice(m.start, m.end).split('.').length < 3;
    case 'private_key': {
      if (m.end !== len) return false;
      PEM_FOOTER_RE.lastIndex = Math.max(m.start, len - PEM_FOOTER_MAX);
      for (let f = PEM_FOOTER_RE.exec(text); f; f = PEM_FOOTER_RE.exec(text)) if (f.index + f[0].length === len) return false;
      return true;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------- hold-back

const PREFIX_SHAPES: readonly (readonly string[])[] = [
  ['s', 'k', '-'],
  ['g', 'h', 'pousr', '_'],
  ['g', 'i', 't', 'h', 'u', 'b', '_', 'p', 'a', 't', '_'],
  ['x', 'o', 'x', 'abprs', '-'],
  ['A', 'KS', 'I', 'A'],
  ['m', 'g', '_'],
  ['sr', 'k', '_', 'lt', 'ie', 'vs', 'et', '_'],
  ['A', 'I', 'z', 'a'],
  ['e', 'y', 'J'],
];

/** Is u a prefix of a secret prefix, or does it start with one? */
function prefixViable(u: string): boolean {
  return PREFIX_SHAPES.some((shape) => {
    const n = Math.min(u.length, shape.length);
    for (let i = 0; i < n; i++) if (!(shape[i] ?? '').includes(u[i] ?? '\u0000')) return false;
    return true;
  });
}

/**
 * The shapes as code-unit sets: SHAPE_CODES[k][i] is a bitmap of the characters allowed at i
 * (every shape character is ASCII below 128).
 */
const SHAPE_CODES: readonly (readonly Uint8Array[])[] = PREFIX_SHAPES.map((shape) =>
  shape.map((chars) => {
    const set = new Uint8Array(128);
    for (const c of chars) set[c.charCodeAt(0)] = 1;
    return set;
  }),
);

/**
 * prefixViable(text.slice(p, p + 12)) without the slice: it runs at every streamed event, at
 * the start of the text's last word (the tests compare the two).
 */
export function prefixViableAt(text: string, p: number): boolean {
  const rest = text.length - p;
  for (const shape of SHAPE_CODES) {
    const n = rest < shape.length ? rest : shape.length;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(p + i);
      if (c >= 128 || (shape[i] as Uint8Array)[c] !== 1) break;
    }
    if (i === n) return true;
  }
  return false;
}

export { prefixViable as prefixViableReference };

const isSecretRun = (c: number): boolean => isB64Url(c) || c === 46;

function secretTail(text: string): number {
  const len = text.length;
  const min = Math.max(0, len - MAX_HOLD);
  let s = len;
  while (s > min && isSecretRun(text.charCodeAt(s - 1))) s--;
  let best = len;
  for (let p = s; p < len; p++) {
    if (p > 0 && isAlnum(text.charCodeAt(p - 1))) continue;
    if (prefixViableAt(text, p)) {
      best = p;
      break;
    }
  }
  for (let p = text.indexOf('-', min); p !== -1 && p < best; p = text.indexOf('-', p + 1)) {
    const u = text.slice(p, p + PEM_HEAD.length);
    if (PEM_HEAD.startsWith(u)) return p;
  }
  return best;
}

export const secretsFamily: Family = {
  types: ['api_key'],
  find: findSecrets,
  tail(text, types) {
    return types.has('api_key') ? Math.min(secretTail(text), awsSecretTail(text)) : text.length;
  },
};
