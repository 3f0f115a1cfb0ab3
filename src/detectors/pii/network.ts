// Network recognizers: IPv4 and IPv6 addresses (type ip_address, kind 'v4'/'v6').
//
// IPv4: four dot-separated decimal octets accepted by node:net isIP (each
// 0–255, no leading zeros). Not an address when
//   - glued to a letter, digit, '_' or '.' on the left ("v10.2.1.4",
//     "a1.2.3.4", the tail of "1.2.3.4.5") or on the right ("1.2.3.4a",
//     "1.2.3.4.5"; a sentence-ending "1.2.3.4." is fine);
//   - preceded by a version word: "version 1.2.3.4", "ver. 1.2.3.4",
//     "v 1.2.3.4", "release: 1.2.3.4", "build 10.0.19041.1", "firmware 2.1.0.3",
//     "upgrade to 2.10.0.1";
//   - four single digits ("1.2.3.4") without an address word (ip, host,
//     server, address, dns, connect, from, to…) right before: a version.
// Three-part versions ("1.2.3") never have the shape.
//
// IPv6: a maximal run of hex digits, ':' and '.' (at most 45 characters, not
// glued to other letters or '_') that node:net isIP accepts as version 6, has
// at least two colons, a digit, and at least two non-empty groups — so
// "fe80::1", "2001:db8::8a2e:370:7334" and "::ffff:192.0.2.1" count while
// "::1", "dead::beef", "12:30:45" and MAC addresses do not. One or two
// trailing '.'/':' (sentence punctuation) are trimmed.

import { isIP } from 'node:net';
import { MAX_HOLD, type Family, type PiiMatch, type ScanInput } from './types.js';
import { contextBefore, isHex, isWord, numericTail, runEnd, runStartBack } from './text.js';

const IPV4_RE = /(?<![A-Za-z0-9_.])(?:\d{1,3}\.){3}\d{1,3}(?![A-Za-z0-9_]|\.\d)/y;
const VERSION_CONTEXT = /(?:^|[^a-z])(?:v|ver|version|release|rel|build|rev|revision|firmware|fw|patch|update|upgrade|upgraded|updated|downgrade|install|installed|installing)\.?\s*(?:to\s+|from\s+)?[:=#]?\s*$/i;
/** Words that make even "1.2.3.4" an address. */
const ADDRESS_CONTEXT = /(?:^|[^a-z])(?:(?:ip|ipv4|address|addr|host|server|gateway|dns|subnet|netmask|ping|connect(?:ed|ing)?)(?![a-z])|(?:from|to|at)\s*[:=]?\s*$)/i;
/** Four single-digit parts ("1.2.3.4"): a version string unless the words before say address. */
const SMALL_PARTS = /^\d\.\d\.\d\.\d$/;

function ipv4At(text: string, p: number): PiiMatch | null {
  IPV4_RE.lastIndex = p;
  const m = IPV4_RE.exec(text);
  if (!m || isIP(m[0]) !== 4 || contextBefore(text, p, 20, VERSION_CONTEXT)) return null;
  if (SMALL_PARTS.test(m[0]) && !contextBefore(text, p, 20, ADDRESS_CONTEXT)) return null;
  return { type: 'ip_address', kind: 'v4', start: p, end: p + m[0].length };
}

const V6_MAX = 45;
const isV6Char = (c: number): boolean => isHex(c) || c === 58 || c === 46;
const isV6At = (text: string, i: number): boolean => isV6Char(text.charCodeAt(i));

function validV6(s: string): boolean {
  if (isIP(s) !== 6 || !/\d/.test(s)) return false;
  let colons = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 58) colons++;
  return colons >= 2 && s.split(':').filter((g) => g !== '').length >= 2;
}

/** The IPv6 candidate of the run [s, e), or null. */
function ipv6Run(text: string, s: number, e: number): PiiMatch | null {
  if (e - s > V6_MAX) return null;
  if ((s > 0 && isWord(text.charCodeAt(s - 1))) || (e < text.length && isWord(text.charCodeAt(e)))) return null;
  let end = e;
  for (let trim = 0; trim <= 2 && end > s; trim++) {
    if (validV6(text.slice(s, end))) return { type: 'ip_address', kind: 'v6', start: s, end };
    const last = text.charCodeAt(end - 1);
    if (last !== 46 && last !== 58) break;
    end--;
  }
  return null;
}

function findIpv6(input: ScanInput, out: PiiMatch[]): void {
  const { text, from } = input;
  let i = text.indexOf(':', from);
  while (i !== -1) {
    const s = runStartBack(text, i, i - V6_MAX, isV6At);
    const e = runEnd(text, i, isV6Char);
    if (s >= i - V6_MAX && s >= from) {
      const m = ipv6Run(text, s, e);
      if (m) out.push(m);
    }
    i = text.indexOf(':', e);
  }
}

function findNetwork(input: ScanInput, out: PiiMatch[]): void {
  if (!input.types.has('ip_address')) return;
  for (const d of input.numericStarts()) {
    const m = ipv4At(input.text, d);
    if (m) out.push(m);
  }
  findIpv6(input, out);
}

function ipv6Tail(text: string): number {
  const len = text.length;
  const min = Math.max(0, len - MAX_HOLD);
  const s = runStartBack(text, len, min, isV6At);
  return s < min || s === len ? len : s;
}

export const networkFamily: Family = {
  types: ['ip_address'],
  find: findNetwork,
  tail(text, types) {
    return types.has('ip_address') ? Math.min(numericTail(text), ipv6Tail(text)) : text.length;
  },
};
