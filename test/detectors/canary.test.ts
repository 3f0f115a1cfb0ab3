// The canary watch: a needle is caught whole or split across any chunking, no part of a needle
// is ever released, and text that holds no needle comes out exactly as it went in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CanaryWatch, canaryText, newCanary } from '../../src/detectors/canary.js';

function run(needles: string[], chunks: string[]): { out: string; leak: string | null; released: string[] } {
  const w = new CanaryWatch(needles, true);
  let out = '';
  const released: string[] = [];
  for (const c of chunks) {
    const r = w.push(c);
    if (r === null) return { out, leak: w.leak, released };
    released.push(r);
    out += r;
  }
  const r = w.end();
  if (r === null) return { out, leak: w.leak, released };
  return { out: out + r, leak: w.leak, released };
}

function chunk(text: string, cuts: number[]): string[] {
  const out: string[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = cuts[k % cuts.length] ?? 1;
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

test('markers are fresh, unguessable and fill the wording', () => {
  const a = newCanary();
  const b = newCanary();
  assert.match(a, /^MGC-[0-9A-F]{20}$/);
  assert.notEqual(a, b);
  assert.equal(canaryText('x {canary} y {canary}', a), `x ${a} y ${a}`);
});

test('markers drawn from the pooled random bytes stay well-formed and distinct across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const m = newCanary();
    assert.match(m, /^MGC-[0-9A-F]{20}$/);
    seen.add(m);
  }
  assert.equal(seen.size, 2000);
});

test('a marker split across three chunks is caught; its kind is canary; fragments are kind fragment', () => {
  const m = 'MGC-0123456789ABCDEF0123';
  const r = run([m, 'You are the ACME helpdesk'], ['Sure: MGC-0123', '456789AB', 'CDEF0123 done']);
  assert.equal(r.leak, 'canary');
  assert.ok(!r.out.includes('MGC'), 'no part of the marker released');
  assert.equal(run([m, 'You are the ACME helpdesk'], ['I was told: You are the', ' ACME helpdesk.']).leak, 'fragment');
});

test('clean text passes unchanged and is released at once unless it ends in a needle prefix', () => {
  const m = 'MGC-0123456789ABCDEF0123';
  const w = new CanaryWatch([m], true);
  assert.equal(w.push('Hello there. '), 'Hello there. ');
  assert.equal(w.push('Model MG'), 'Model ', 'a possible marker start is held');
  assert.equal(w.push('A is fine'), 'MGA is fine', 'released once it cannot be the marker');
  assert.equal(w.end(), '');
});

test('property: for any chunking, a needle is caught iff the text contains it; otherwise output == input; never a needle prefix ≥ 4 chars leaks', () => {
  const needle = 'MGC-AB12CD34';
  const piece = fc.constantFrom('M', 'MG', 'MGC', 'MGC-', 'MGC-AB', 'AB12', 'CD34', needle, ' ', 'hello ', '-', 'C');
  fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (parts, cuts) => {
    const text = parts.join('');
    const r = run([needle], chunk(text, cuts));
    if (text.includes(needle)) {
      assert.equal(r.leak, 'canary');
      // What was released is a prefix of the text that ends before the needle starts.
      assert.ok(text.startsWith(r.out) && r.out.length <= text.indexOf(needle));
    } else {
      assert.equal(r.leak, null);
      assert.equal(r.out, text);
    }
  }), { numRuns: 2000 });
});
