// Generated true positives and near-miss look-alikes for every PII / secret family the output
// scanner handles (issue 14): recall per family, and the share of look-alikes touched (any
// match overlapping the look-alike). Deterministic for a seed; nothing key-shaped is stored in
// the repository — every value is built here at run time.
//
//   npm run build && node dist/bench/pii-eval.js --lookalikes [--seed N] [--n 300] [--misses]
//
// Targets: recall ≥ 99 % per family, ≤ 1 % of look-alikes touched.

import type { PiiScanner, PiiType } from '../src/detectors/pii/index.js';
import { mulberry32 as rng } from '../src/util/prng.js';


type R = () => number;
const int = (r: R, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const chars = (r: R, alphabet: string, n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)]; return s; };
/** One of several generators, chosen at random. */
const alt = (r: R, fs: ReadonlyArray<() => [string, string]>): [string, string] => pick(r, fs)();
const DIG = '0123456789';
const LOW = 'abcdefghijklmnopqrstuvwxyz';
const UP = LOW.toUpperCase();
const ALNUM = DIG + LOW + UP;
const B64URL = `${ALNUM}-_`;
const HEX = '0123456789abcdef';
const digits = (r: R, n: number): string => chars(r, DIG, n);
/** n alphanumerics with at least one digit, one lower- and one upper-case letter. */
const mixed = (r: R, n: number, alphabet = ALNUM): string => {
  for (;;) {
    const s = chars(r, alphabet, n);
    if (/\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s)) return s;
  }
};

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function mod97(s: string): number {
  let rem = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    rem = c >= 65 ? (rem * 100 + (c - 55)) % 97 : (rem * 10 + (c - 48)) % 97;
  }
  return rem;
}

const IBAN_FORMATS: ReadonlyArray<[string, (r: R) => string]> = [
  ['DE', (r) => digits(r, 18)],
  ['GB', (r) => chars(r, UP, 4) + digits(r, 14)],
  ['FR', (r) => digits(r, 10) + chars(r, DIG + UP, 11) + digits(r, 2)],
  ['NL', (r) => chars(r, UP, 4) + digits(r, 10)],
  ['ES', (r) => digits(r, 20)],
  ['IT', (r) => chars(r, UP, 1) + digits(r, 10) + chars(r, DIG + UP, 12)],
  ['CH', (r) => digits(r, 17)],
];

function iban(r: R, valid: boolean): string {
  const [cc, bban] = pick(r, IBAN_FORMATS);
  const b = bban(r);
  let check = 98 - mod97(`${b}${cc}00`);
  if (!valid) check = ((check + int(r, 1, 96) - 2 + 97) % 97) + 2; // any other check digits
  return `${cc}${String(check).padStart(2, '0')}${b}`;
}
const group4 = (s: string): string => s.replace(/(.{4})(?=.)/g, '$1 ');

const CARD_PREFIXES: ReadonlyArray<[string, number]> = [['4', 16], ['4', 13], ['51', 16], ['55', 16], ['2221', 16], ['34', 15], ['37', 15], ['6011', 16], ['65', 16], ['3528', 16], ['62', 16]];
function card(r: R, valid: boolean, prefix?: [string, number]): string {
  const [p, len] = prefix ?? pick(r, CARD_PREFIXES);
  const body = p + digits(r, len - p.length - 1);
  const check = luhnDigit(body);
  const d = body + (valid ? check : String((Number(check) + int(r, 1, 9)) % 10));
  const sep = pick(r, ['', ' ', '-']);
  if (sep === '') return d;
  if (len === 15) return [d.slice(0, 4), d.slice(4, 10), d.slice(10)].join(sep);
  return d.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

export interface Family {
  name: string;
  type: PiiType;
  /** A true positive: the value and the sentence it sits in ({v} marks it). */
  positive(r: R): [string, string];
  /** A near miss that must stay untouched. */
  lookalike(r: R): [string, string];
}

const TP_CTX = ['{v}', 'Value: {v}.', 'see {v} here', '"{v}"', '({v})', 'x={v};', 'Line one\n{v}\nline three'];

export const FAMILIES: readonly Family[] = [
  {
    name: 'email', type: 'email',
    positive: (r) => [`${chars(r, LOW, int(r, 1, 10))}${pick(r, ['', '.', '_', '+', '-'])}${chars(r, LOW + DIG, int(r, 1, 8))}@${pick(r, ['', `${chars(r, LOW, 4)}.`])}${chars(r, LOW, int(r, 3, 10))}.${pick(r, ['com', 'org', 'io', 'co.uk', 'de', 'example'])}`, pick(r, [...TP_CTX, 'Mail {v} today', 'Contact: <{v}>'])],
    lookalike: (r) => alt(r, [
      () => [`${pick(r, ['icon', 'logo', 'btn-close', 'avatar', 'hero_bg'])}@${int(r, 2, 4)}x.${pick(r, ['png', 'jpg', 'webp', 'gif'])}`, pick(r, ['<img src="{v}">', 'the file {v} is missing', '{v}'])],
      () => [`${pick(r, ['lodash', 'react', 'express', 'typescript'])}@${int(r, 0, 20)}.${int(r, 0, 30)}.${int(r, 0, 9)}`, 'npm install {v}'],
      () => [`@${pick(r, ['types', 'babel', 'scope'])}/${chars(r, LOW, 6)}@${int(r, 1, 9)}.${int(r, 0, 9)}.${int(r, 0, 9)}`, 'add {v} to devDependencies'],
      () => [`${chars(r, LOW, 5)}@localhost`, 'log in as {v}'],
      () => [`@${chars(r, LOW, int(r, 3, 10))}`, 'thanks {v} for the review'],
      () => [`${chars(r, LOW, 5)}@${chars(r, LOW, 6)}`, 'user {v} on the server'],
      () => [`${chars(r, LOW, 5)}@${chars(r, LOW, 6)}.${chars(r, LOW, 1)}`, 'bad address {v}'],
    ]),
  },
  {
    name: 'phone', type: 'phone',
    positive: (r) => {
      const a = `${int(r, 2, 9)}${digits(r, 2)}`;
      const b = `${int(r, 2, 9)}${digits(r, 2)}`;
      const c = digits(r, 4);
      return [pick(r, [`(${a}) ${b}-${c}`, `(${a})${b}-${c}`, `${a}-${b}-${c}`, `${a}.${b}.${c}`, `+1 ${a} ${b} ${c}`, `+1-${a}-${b}-${c}`, `+44 20 ${digits(r, 4)} ${digits(r, 4)}`, `+49 30 ${digits(r, 7)}`, `020 ${digits(r, 4)} ${digits(r, 4)}`, `+33 1 ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)}`]), pick(r, ['Call me at {v}.', 'Phone: {v}', '{v}', 'reach us on {v} any time', 'tel. {v}'])];
    },
    lookalike: (r) => alt(r, [
      () => [`${int(r, 1, 9)}.${int(r, 0, 9)}.${int(r, 0, 9)}.${int(r, 0, 9)}`, pick(r, ['Upgrade to {v} now', 'Requires {v} or later', 'version {v}'])],
      () => [`${int(r, 2, 9)}${digits(r, 2)}-${digits(r, 3)}-${digits(r, 4)}`, pick(r, ['Part no. {v}', 'SKU {v} in stock', 'order #{v}', 'Invoice {v}', 'ticket {v}', 'Ref: {v}'])],
      () => [`${int(r, 2019, 2026)}-${String(int(r, 1, 12)).padStart(2, '0')}-${String(int(r, 1, 28)).padStart(2, '0')} ${String(int(r, 0, 23)).padStart(2, '0')}:${digits(r, 1)}${digits(r, 1)}:${int(r, 10, 59)}`, 'at {v} UTC'],
      () => [`${int(r, 1600000000, 1800000000)}`, pick(r, ['timestamp {v}', 'created_at: {v}', 'epoch {v}'])],
      () => [`${int(r, 1600000000000, 1800000000000)}`, 'ts={v}'],
      () => [`978-${int(r, 0, 1)}-${digits(r, 3)}-${digits(r, 5)}-${int(r, 0, 9)}`, 'ISBN {v}'],
      () => [`${digits(r, 5)}-${digits(r, 4)}`, 'ZIP {v}'],
      () => [`${int(r, 1, 999)},${digits(r, 3)},${digits(r, 3)}.${digits(r, 2)}`, 'total $ {v}'],
      () => [`${int(r, 10, 89)}.${digits(r, 4)}, -${int(r, 10, 170)}.${digits(r, 4)}`, 'coordinates {v}'],
      () => [`${int(r, 1, 9)}.${int(r, 0, 20)}.${int(r, 0, 200)}`, 'release {v}'],
      () => [`ORD-${digits(r, 3)}-${digits(r, 3)}-${digits(r, 4)}`, 'order {v} shipped'],
    ]),
  },
  {
    name: 'ssn', type: 'ssn',
    positive: (r) => {
      const a = String(pick(r, [int(r, 1, 665), int(r, 667, 899)])).padStart(3, '0');
      const g = String(int(r, 1, 99)).padStart(2, '0');
      const s = String(int(r, 1, 9999)).padStart(4, '0');
      const form = int(r, 0, 2);
      return form === 0 ? [`${a}-${g}-${s}`, pick(r, TP_CTX)] : form === 1 ? [`${a} ${g} ${s}`, 'SSN {v}'] : [`${a}${g}${s}`, pick(r, ['SSN: {v}', 'social security number {v}'])];
    },
    lookalike: (r) => alt(r, [
      () => [`000-${digits(r, 2)}-${digits(r, 4)}`, '{v}'],
      () => [`666-${digits(r, 2)}-${digits(r, 4)}`, '{v}'],
      () => [`9${digits(r, 2)}-${digits(r, 2)}-${digits(r, 4)}`, '{v}'],
      () => [`${int(r, 100, 665)}-00-${digits(r, 4)}`, '{v}'],
      () => [`${int(r, 100, 665)}-${digits(r, 2)}-${digits(r, 5)}`, 'code {v}'],
      () => [`${digits(r, 2)}-${digits(r, 3)}-${digits(r, 4)}`, 'tax id {v}'],
      () => [`${int(r, 100, 665)}${digits(r, 6)}`, pick(r, ['id {v}', 'amount {v}', 'user {v}'])],
    ]),
  },
  {
    name: 'credit_card', type: 'credit_card',
    positive: (r) => [card(r, true), pick(r, [...TP_CTX, 'Card: {v} exp 12/29'])],
    lookalike: (r) => alt(r, [
      () => [card(r, false), pick(r, ['order {v}', '{v}', 'tracking {v}'])],
      () => [card(r, true, [pick(r, ['9', '8', '7', '1']), 16]), 'account {v}'],
      () => [`1Z${chars(r, DIG + UP, 16)}`, 'UPS {v}'],
      () => [`978${digits(r, 10)}`, 'ISBN-13 {v}'],
      () => [`${int(r, 1600000000000, 1800000000000)}`, 'ts {v}'],
      () => [`${digits(r, 4)} ${digits(r, 4)} ${digits(r, 4)}`, 'ref {v}'],
    ]),
  },
  {
    name: 'iban', type: 'iban',
    positive: (r) => { const v = iban(r, true); return [r() < 0.5 ? v : group4(v), pick(r, [...TP_CTX, 'IBAN: {v}'])]; },
    lookalike: (r) => alt(r, [
      () => { const v = iban(r, false); return [r() < 0.5 ? v : group4(v), 'IBAN {v}']; },
      () => [`DE${digits(r, 2)}${digits(r, int(r, 12, 17))}`, '{v}'],
      () => [`QQ${digits(r, 20)}`, 'code {v}'],
      () => [`${chars(r, UP, 2)}${digits(r, 2)}-${digits(r, 4)}`, 'part {v}'],
    ]),
  },
  {
    name: 'ip_address', type: 'ip_address',
    positive: (r) => alt(r, [
      () => [`${int(r, 11, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`, pick(r, [...TP_CTX, 'connect to {v}:8080'])],
      () => [`2001:db8:${chars(r, HEX, 4)}:${chars(r, HEX, 3)}::${chars(r, HEX, 2)}${int(r, 1, 9)}`, pick(r, TP_CTX)],
      () => [`fe80::${chars(r, HEX, 3)}${int(r, 1, 9)}:${chars(r, HEX, 4)}`, 'link-local {v}'],
      () => [`${int(r, 1, 9)}.${int(r, 1, 9)}.${int(r, 1, 9)}.${int(r, 1, 9)}`, pick(r, ['the DNS server is {v}', 'ping {v}', 'host {v}'])],
    ]),
    lookalike: (r) => alt(r, [
      () => [`${int(r, 1, 9)}.${int(r, 0, 9)}.${int(r, 0, 9)}.${int(r, 0, 9)}`, pick(r, ['Upgrade to {v} now', 'requires {v} or later', 'v{v}', 'we shipped {v} today'])],
      () => [`${int(r, 1, 20)}.${int(r, 0, 9)}.${int(r, 10000, 22000)}.${int(r, 1, 999)}`, pick(r, ['version {v}', 'build {v}', 'Windows {v}'])],
      () => [`1.3.6.1.4.1.${int(r, 1, 60000)}`, 'OID {v}'],
      () => [`${int(r, 256, 999)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}`, '{v}'],
      () => [`${int(r, 1, 9)}.${int(r, 1, 9)}.${int(r, 1, 9)}.${int(r, 1, 9)}.${int(r, 1, 9)}`, 'section {v}'],
      () => [`${String(int(r, 0, 23)).padStart(2, '0')}:${int(r, 10, 59)}:${int(r, 10, 59)}`, 'at {v}'],
      () => [[0, 1, 2, 3, 4, 5].map(() => chars(r, HEX, 2)).join(':'), 'MAC {v}'],
      () => [`std::${pick(r, ['vector', 'map', 'string'])}`, 'use {v}'],
      () => [`${pick(r, ['dead', 'cafe', 'beef'])}::${pick(r, ['beef', 'babe', 'face'])}`, '{v}'],
    ]),
  },
  {
    name: 'github', type: 'api_key',
    positive: (r) => [pick(r, [`gh${pick(r, ['p', 'o', 'u', 's', 'r'])}_${mixed(r, 36)}`, `github_pat_${mixed(r, 22)}_${mixed(r, 59)}`]), pick(r, [...TP_CTX, 'GITHUB_TOKEN={v}'])],
    lookalike: (r) => alt(r, [
      () => [`ghp_${mixed(r, int(r, 8, 30))}`, 'token {v}'],
      () => [`gh${pick(r, ['x', 'a', 'q'])}_${mixed(r, 36)}`, '{v}'],
      () => [`ghp_${'x'.repeat(36)}`.replace(/x{36}/, 'YOUR_TOKEN_HERE'), 'set {v}'],
      () => [`github_pat_${chars(r, LOW, 8)}`, '{v}'],
    ]),
  },
  {
    name: 'slack', type: 'api_key',
    positive: (r) => [`xox${pick(r, ['b', 'p', 'a'])}-${digits(r, 12)}-${digits(r, 13)}-${mixed(r, 24)}`, pick(r, TP_CTX)],
    lookalike: (r) => alt(r, [
      () => [`xox${pick(r, ['b', 'p'])}-${chars(r, LOW, 12)}`, 'token {v}'],
      () => [`xox${pick(r, ['z', 'q'])}-${digits(r, 12)}-${digits(r, 13)}`, '{v}'],
      () => [`xoxb-${pick(r, ['your-token', 'REPLACE-ME', 'token-here'])}`, 'SLACK_TOKEN={v}'],
    ]),
  },
  {
    name: 'stripe', type: 'api_key',
    positive: (r) => [`${pick(r, ['sk', 'rk'])}_live_${mixed(r, pick(r, [24, 32, 99]))}`, pick(r, [...TP_CTX, 'STRIPE_KEY={v}'])],
    lookalike: (r) => alt(r, [
      () => [`pk_live_${mixed(r, 24)}`, 'publishable key {v}'],
      () => [`sk_live_${chars(r, LOW, int(r, 3, 12))}`, '{v}'],
      () => [`sk_live_${chars(r, LOW, 26)}`, 'placeholder {v}'],
      () => [`sk_${pick(r, ['dev', 'prod'])}_${mixed(r, 24)}`, '{v}'],
    ]),
  },
  {
    name: 'google', type: 'api_key',
    positive: (r) => [`AIza${chars(r, B64URL, 35)}`, pick(r, [...TP_CTX, 'key={v}&q=x'])],
    lookalike: (r) => alt(r, [
      () => [`AIza${chars(r, B64URL, int(r, 10, 34))}`, '{v} ok'],
      () => [`AIza${chars(r, ALNUM, 36)}`, '{v}'],
      () => [`AIzb${chars(r, B64URL, 35)}`, '{v}'],
    ]),
  },
  {
    name: 'aws_access_key', type: 'api_key',
    positive: (r) => [`${pick(r, ['AKIA', 'ASIA'])}${chars(r, UP + DIG, 16)}`, pick(r, [...TP_CTX, 'aws_access_key_id = {v}'])],
    lookalike: (r) => alt(r, [
      () => [`AKIA${chars(r, UP + DIG, int(r, 8, 15))}`, '{v} ok'],
      () => [`AKIA${chars(r, LOW, 16)}`, '{v}'],
      () => [`AKIB${chars(r, UP + DIG, 16)}`, '{v}'],
      () => [`AKIA${chars(r, UP + DIG, 17)}`, '{v}'],
    ]),
  },
  {
    name: 'aws_secret_key', type: 'api_key',
    positive: (r) => [mixed(r, 40, `${ALNUM}/+`), pick(r, ['aws_secret_access_key = {v}', 'AWS_SECRET_ACCESS_KEY={v}', '"SecretAccessKey": "{v}"', 'aws secret key: {v}', 'secret_access_key: {v}'])],
    lookalike: (r) => alt(r, [
      () => [chars(r, HEX, 40), pick(r, ['commit {v}', 'sha1 {v}', 'secret commit {v}'])],
      () => [chars(r, HEX, 64), 'sha256: {v}'],
      () => [mixed(r, 40, `${ALNUM}/+`), pick(r, ['blob {v}', 'id {v}', 'etag {v}'])],
      () => [`${chars(r, LOW, 20)}/${chars(r, LOW, 19)}`, 'path {v}'],
    ]),
  },
  {
    name: 'jwt', type: 'api_key',
    positive: (r) => [`${b64url(JSON.stringify({ alg: pick(r, ['HS256', 'RS256']), typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: digits(r, 8), iat: int(r, 1600000000, 1800000000) }))}.${chars(r, B64URL, 43)}`, pick(r, [...TP_CTX, 'Authorization: Bearer {v}'])],
    lookalike: (r) => alt(r, [
      () => [`eyJ${chars(r, ALNUM, int(r, 2, 14))}`, '{v}'],
      () => [`eyes${chars(r, LOW, 6)}`, '{v}'],
      () => [`${b64url('hello world, this is not json')}`, 'base64 {v}'],
    ]),
  },
  {
    name: 'pem_private_key', type: 'api_key',
    positive: (r) => {
      const label = pick(r, ['', 'RSA ', 'EC ', 'OPENSSH ', 'ENCRYPTED ']);
      const body = [0, 1, 2, 3].map(() => chars(r, `${ALNUM}+/`, 64)).join('\n');
      return [`-----BEGIN ${label}PRIVATE KEY-----\n${body}\n-----END ${label}PRIVATE KEY-----`, pick(r, ['{v}', 'key:\n{v}\nend'])];
    },
    lookalike: (r) => alt(r, [
      () => [`-----BEGIN ${pick(r, ['PUBLIC KEY', 'CERTIFICATE', 'RSA PUBLIC KEY'])}-----\n${chars(r, `${ALNUM}+/`, 64)}\n-----END ${'PUBLIC KEY'}-----`, '{v}'],
      () => ['-----BEGIN PRIVATE KEY-----', 'the file starts with a {v} header line'],
    ]),
  },
];

export interface FamilyResult { name: string; positives: number; found: number; lookalikes: number; touched: number; misses: string[]; touches: string[] }

const overlaps = (a: { start: number; end: number }, s: number, e: number): boolean => a.start < e && s < a.end;

export function evaluateLookalikes(scanner: PiiScanner, seed: number, n: number): FamilyResult[] {
  return FAMILIES.map((f, fi) => {
    const r = rng(seed * 1000 + fi);
    const res: FamilyResult = { name: f.name, positives: n, found: 0, lookalikes: n, touched: 0, misses: [], touches: [] };
    for (let i = 0; i < n; i++) {
      const [v, ctx] = f.positive(r);
      const text = ctx.replace('{v}', v);
      const s = ctx.indexOf('{v}');
      const hit = scanner.scan(text).some((m) => m.type === f.type && m.start <= s && m.end >= s + v.length);
      if (hit) res.found++;
      else if (res.misses.length < 20) res.misses.push(text);
    }
    for (let i = 0; i < n; i++) {
      const [v, ctx] = f.lookalike(r);
      const text = ctx.replace('{v}', v);
      const s = ctx.indexOf('{v}');
      const touched = scanner.scan(text).filter((m) => overlaps(m, s, s + v.length));
      if (touched.length > 0) {
        res.touched++;
        if (res.touches.length < 20) res.touches.push(`${text}  → ${touched.map((m) => `${m.type}/${m.kind ?? ''}`).join(',')}`);
      }
    }
    return res;
  });
}

export function formatLookalikes(rs: readonly FamilyResult[]): string {
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)} %`;
  const rows = ['| family | true positives | recall | look-alikes | touched |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const x of rs) rows.push(`| ${x.name} | ${x.positives} | ${pct(x.found, x.positives)} | ${x.lookalikes} | ${pct(x.touched, x.lookalikes)} |`);
  const p = rs.reduce((a, x) => a + x.positives, 0);
  const fnd = rs.reduce((a, x) => a + x.found, 0);
  const l = rs.reduce((a, x) => a + x.lookalikes, 0);
  const t = rs.reduce((a, x) => a + x.touched, 0);
  rows.push(`| **all** | ${p} | ${pct(fnd, p)} | ${l} | ${pct(t, l)} |`);
  return rows.join('\n');
}
