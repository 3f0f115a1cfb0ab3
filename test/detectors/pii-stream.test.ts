// Streaming equivalence of the PII redactor: for any text and any chunking
// (down to one UTF-16 unit, splitting surrogate pairs), streamRedact(chunks)
// === redact(text, scan(text)); outside a long token at most 64 characters
// are held after a push. Texts are random mixes of filler, valid and
// truncated PII of every recognizer, near-miss prefixes, long secrets, PEM
// blocks with and without footer, and long e-mail addresses.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPiiScanner, PII_TYPES, PiiRedactStream, redact, streamRedact, type PiiScanner, type PiiType } from '../../src/detectors/pii/index.js';
import { ibanTail, ibanTailEvery } from '../../src/detectors/pii/financial.js';
import { prefixViableAt, prefixViableReference } from '../../src/detectors/pii/secrets.js';

const ALL: readonly PiiType[] = PII_TYPES;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const strOf = (alphabet: string | readonly string[], min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...(typeof alphabet === 'string' ? [...alphabet] : alphabet)), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digits = (n: number): fc.Arbitrary<string> => strOf('0123456789', n, n);

function withLuhnDigit(s: string): string {
  for (let d = 0; d < 10; d++) {
    const t = s + d;
    let sum = 0;
    let alt = false;
    for (let i = t.length - 1; i >= 0; i--) {
      let n = Number(t[i]);
      if (alt) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
      sum += n;
      alt = !alt;
    }
    if (sum % 10 === 0) return t;
  }
  return s;
}

function ibanOf(cc: string, bban: string): string {
  let r = 0;
  for (const ch of bban + cc + '00') for (const c of /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55)) r = (r * 10 + Number(c)) % 97;
  return cc + String(98 - r).padStart(2, '0') + bban;
}

const card = fc
  .tuple(fc.constantFrom('4', '51', '2221', '34', '6011', '3528', '36', '62', '5018'), fc.integer({ min: 12, max: 19 }), digits(19), fc.constantFrom('', ' ', '-'))
  .map(([p, len, ds, sep]) => {
    const body = withLuhnDigit((p + ds).slice(0, len - 1));
    return sep && len === 16 ? (body.match(/.{4}/g) ?? []).join(sep) : body;
  });
const iban = fc.tuple(strOf('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4, 4), digits(14), fc.boolean()).map(([bank, n, grouped]) => {
  const s = ibanOf('GB', bank + n);
  return grouped ? (s.match(/.{1,4}/g) ?? []).join(' ') : s;
});
const email = fc
  .tuple(strOf('abcxyzé.0_+-', 1, 70), strOf('abcdefg-', 1, 30), fc.constantFrom('com', 'co.uk', 'io', 'x'), fc.boolean())
  .map(([local, dom, tld, long]) => `${local}@${dom}.${long ? 'sub.'.repeat(10) : ''}${tld}`);
const ssn = fc.tuple(digits(3), digits(2), digits(4), fc.constantFrom('-', ' ', '')).map(([a, b, c, s]) => (s === '' ? 'SSN ' : '') + a + s + b + s + c);
const phone = fc.oneof(
  fc.tuple(digits(3), digits(3), digits(4)).map(([a, b, c]) => `(${a}) ${b}-${c}`),
  fc.tuple(digits(3), digits(3), digits(4), fc.constantFrom('-', '.', ' ')).map(([a, b, c, s]) => `${a}${s}${b}${s}${c}`),
  fc.tuple(digits(2), digits(4), digits(4)).map(([a, b, c]) => `+44 ${a} ${b} ${c}`),
  fc.tuple(digits(3), digits(4), digits(4)).map(([a, b, c]) => `0${a} ${b} ${c}`),
  digits(8).map((a) => `Phone: ${a}`),
  fc.tuple(digits(3), digits(3), digits(4), digits(3)).map(([a, b, c, x]) => `${a}-${b}-${c} ext. ${x}`),
);
const ip = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map((a) => a.join('.')),
  fc.tuple(strOf('0123456789abcdef', 1, 4), strOf('0123456789abcdef', 1, 4)).map(([a, b]) => `fe80::${a}:${b}`),
  fc.constantFrom('2001:db8::8a2e:370:7334', '::ffff:192.0.2.1', 'version 1.2.3.4', 'v10.2.1.4', '12:30:45'),
);
const secret = fc.oneof(
  strOf(B64, 15, 200).map((s) => 'sk-proj-' + s + '1'),
  strOf(B64, 15, 60).map((s) => 'sk-' + s),
  strOf('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 16, 17).map((s) => 'AKIA' + s),
  strOf('abcXYZ019', 30, 45).map((s) => 'ghp_' + s),
  strOf('abcXYZ019_', 20, 100).map((s) => 'github_pat_' + s),
  strOf('abc019-', 8, 80).map((s) => 'xoxb-1' + s),
  fc
    .tuple(strOf(B64, 10, 120), strOf(B64, 0, 80), strOf(B64, 0, 60), fc.integer({ min: 0, max: 3 }))
    .map(([h, p, sig, k]) => 'eyJ' + h + (k > 0 ? '.' + p : '') + (k > 1 ? '.' + sig : '') + (k > 2 ? '.' : '')),
  strOf(B64, 42, 44).map((s) => 'mg_' + s),
  // AWS secret access keys: 39–41 key characters after a context word, ending in either case.
  fc.tuple(fc.constantFrom('aws_secret_access_key = ', 'SecretAccessKey: "', 'aws ', 'secret=', 'AWS key '), strOf('aB3/+', 39, 41), fc.constantFrom('', '=', '"', 'x')).map(([c, k, e]) => `${c}a${k.slice(1)}${e}`),
  fc
    .tuple(strOf(B64 + '+/\n', 0, 300), fc.boolean(), fc.constantFrom('RSA ', '', 'EC ', 'OPENSSH '), fc.constantFrom('\n', '\\n', '\r\n  '))
    .map(([body, footer, label, nl]) => `-----BEGIN ${label}PRIVATE KEY-----${nl}MII${body}${footer ? `${nl}-----END ${label}PRIVATE KEY-----` : ''}`),
  fc.constantFrom('icon@2x.png', 'logo@1.5x.webp', 'x@2x.example.com', 'ORD-415-555-0134', 'xoxq-506707873358', 'sk-', 'eyJ', '-----BEGIN RSA', '-----BEGIN ', 'AK', 'AKIA', 'gh', 'github_pat_', 'xoxp-', 'mg_', '-----END RSA PRIVATE KEY-----'),
);
const whole = fc.oneof(card, iban, email, ssn, phone, ip, secret);
const cut = fc.tuple(whole, fc.nat(), fc.nat()).map(([w, a, b]) => {
  const x = a % (w.length + 1);
  const y = b % (w.length + 1);
  return w.slice(Math.min(x, y), Math.max(x, y));
});
const filler = strOf(['a', 'b', 'e', 'x', 't', 'Z', ' ', ' ', '.', '-', '@', '_', ':', '+', '(', ')', '\n', '/', ',', '1', '9', '0', 'é', '\u{1d400}', '\\', 'n'], 0, 12);
const numeric = strOf(['1', '2', '0', '9', ' ', '-', '.', '(', ')', '+', '/', 'x'], 1, 20);
const piece = fc.oneof({ weight: 3, arbitrary: filler }, { weight: 2, arbitrary: numeric }, { weight: 3, arbitrary: whole }, { weight: 2, arbitrary: cut });
const text = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));

/** Random cut points (UTF-16 indices, so surrogate pairs may be split) or one unit per chunk. */
const chunking = (t: string): fc.Arbitrary<string[]> =>
  fc.oneof(
    fc.constant(t.split('')),
    fc.array(fc.integer({ min: 0, max: t.length }), { maxLength: 24 }).map((cuts) => {
      const sorted = [...new Set(cuts)].sort((a, b) => a - b);
      const out: string[] = [];
      let p = 0;
      for (const c of sorted) {
        out.push(t.slice(p, c));
        p = c;
      }
      out.push(t.slice(p));
      return out;
    }),
  );

const scanners: PiiScanner[] = [
  createPiiScanner({ types: ALL }),
  createPiiScanner({ types: ['email'] }),
  createPiiScanner({ types: ['api_key'] }),
  createPiiScanner({ types: ['phone', 'credit_card'] }),
  createPiiScanner({ types: ['ip_address', 'iban', 'ssn'] }),
  createPiiScanner({ types: ALL, allow: ['a@b.co', '192.168.1.1', '555-123-4567', 'AKIAABCDEFGHIJKLMNOP'] }),
];

function checkStream(s: PiiScanner, t: string, chunks: readonly string[]): void {
  const expected = redact(t, s.scan(t));
  const st = new PiiRedactStream(s);
  let got = '';
  for (const c of chunks) {
    got += st.push(c);
    if (!st.inLongToken) assert.ok(st.held <= 64, `held ${st.held} characters`);
  }
  got += st.end();
  assert.equal(got, expected, `text ${JSON.stringify(t)} chunks ${JSON.stringify(chunks)}`);
}

describe('pii streaming: equivalence with batch redaction', () => {
  it('random texts with embedded PII, random chunkings (fast-check)', () => {
    fc.assert(
      fc.property(
        text.chain((t) => chunking(t).map((chunks) => ({ t, chunks }))),
        fc.integer({ min: 0, max: scanners.length - 1 }),
        ({ t, chunks }, i) => checkStream(scanners[i] ?? (scanners[0] as PiiScanner), t, chunks),
      ),
      { numRuns: 2500 },
    );
  });

  it('dense texts over small alphabets aimed at one recognizer (fast-check)', () => {
    const alphabets: readonly string[][] = [
      ['4', '1', '1', '1', ' ', '-', '.', '5', '0', '2'],
      ['a', '@', '.', 'b', 'c', '-', 'o', 'm', 'é'],
      ['s', 'k', '-', 'e', 'y', 'J', '.', '1', 'a', '_', 'g', 'h', 'p', 'x', 'o', 'b', 'A', 'K', 'I', 'S'],
      ['0', '1', '2', '5', '5', ' ', '(', ')', '+', '-', '.', 'x', 'e', 't', 'P', 'h', 'o', 'n', 'e', ':'],
      ['G', 'B', '8', '2', ' ', 'W', 'E', 'S', 'T', '1', '2', '3', '4', 'D', 'E'],
      ['f', 'e', '8', '0', ':', ':', '1', '.', '2', '5', 'a', 'g'],
    ];
    const gen = fc
      .integer({ min: 0, max: alphabets.length - 1 })
      .chain((i) => strOf(alphabets[i] ?? [], 1, 300))
      .chain((t) => chunking(t).map((chunks) => ({ t, chunks })));
    fc.assert(
      fc.property(gen, ({ t, chunks }) => checkStream(scanners[0] as PiiScanner, t, chunks)),
      { numRuns: 1200 },
    );
  });
});

describe('pii streaming: long tokens', () => {
  const s = createPiiScanner({ types: ALL });
  const oneByOne = (t: string): string => streamRedact(t.split(''), s);

  it('a long API key is redacted as soon as it is confirmed and swallowed to its end', () => {
    const key = 'sk-proj-' + 'Ab1_'.repeat(50);
    const st = new PiiRedactStream(s);
    let out = st.push('key: ');
    for (const c of key) out += st.push(c);
    assert.ok(st.inLongToken);
    assert.equal(out, 'key: [REDACTED:api_key]');
    out += st.push(' done 555-123-4567') + st.end();
    assert.equal(out, 'key: [REDACTED:api_key] done [REDACTED:phone]');
  });

  it('a PEM block is swallowed to its footer, or to the end of the stream without one', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n'.repeat(20);
    const pem = `-----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY-----`;
    assert.equal(oneByOne(`a ${pem} b@c.io`), 'a [REDACTED:api_key] [REDACTED:email]');
    assert.equal(oneByOne(`a ${pem.slice(0, 400)}`), 'a [REDACTED:api_key]');
  });

  it('a JWT keeps a trailing dot that does not start a segment', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMzQ1Njc4OTAiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.' + 'x'.repeat(80);
    assert.equal(oneByOne(`token ${jwt}. Next`), 'token [REDACTED:api_key]. Next');
  });

  it('a long e-mail address is swallowed while its domain grows', () => {
    const addr = 'firstname.middlename.lastname@' + 'department.'.repeat(6) + 'example.com';
    assert.equal(oneByOne(`mail ${addr}.`), 'mail [REDACTED:email].');
  });

  it('holds at most 64 characters on a token-sized stream of plain prose', () => {
    const st = new PiiRedactStream(s);
    let max = 0;
    for (const w of 'The quick brown fox jumps over the lazy dog, version 1.2.3, in 2024. '.repeat(20).split(/(?<= )/)) {
      st.push(w);
      max = Math.max(max, st.held);
    }
    assert.ok(max <= 64);
    st.end();
  });
});

describe('pii streaming: the hold-back searches equal the loops they replace', () => {
  // ibanTail tries only the starts two characters before a digit and the last two characters;
  // ibanTailEvery tries every start of the last 64 characters. prefixViableAt reads the text
  // where prefixViable read a slice of it. Texts: IBAN-like runs (grouped and not, cut
  // anywhere), words of one and two letters, digits, secret prefixes, and the characters
  // around them, longer than the 64-character window.
  const pieces = [
    'GB82', 'WEST', '1234', '5698', '7654', '32', ' ', ' ', 'DE', 'de', 'a', 'ab', 'Ab', 'x1', '12', '3', '-', '.', ',', '\n', '(', 'é',
    'sk-', 'sk_live_', 'rk_test_', 'ghp_', 'github_pat_', 'xoxb-', 'AKIA', 'ASIA', 'AIza', 'eyJ', 'mg_', 'the ', 'word', '_',
    // Near misses: a secret prefix cut short or with one character wrong.
    'sk', 'gh', 'githu', 'xo', 'AK', 'AI', 'ey', 'eyj', 'm', 's', 'g', 'k', 'J', 'sk_liv', 'rk_', 'ghx', 'AKIB',
  ];
  const text = fc.array(fc.constantFrom(...pieces), { minLength: 0, maxLength: 60 }).map((a) => a.join(''));

  it('ibanTail equals ibanTailEvery, at every length of random texts (fast-check)', () => {
    fc.assert(
      fc.property(text, (t) => {
        for (let n = 0; n <= t.length; n++) assert.equal(ibanTail(t.slice(0, n)), ibanTailEvery(t.slice(0, n)), JSON.stringify(t.slice(0, n)));
      }),
      { numRuns: 400, seed: 15 },
    );
  });

  it('prefixViableAt equals prefixViable of the slice, at every position (fast-check)', () => {
    fc.assert(
      fc.property(text, (t) => {
        for (let p = 0; p <= t.length; p++) assert.equal(prefixViableAt(t, p), prefixViableReference(t.slice(p, p + 12)), JSON.stringify(t.slice(p)));
      }),
      { numRuns: 400, seed: 16 },
    );
  });

  it('catches a viable IBAN start that is not the last word, and only where it can start', () => {
    // Hand-picked: the fast search must still find a start far from the end, and a cut IBAN.
    assert.equal(ibanTail('pay to GB82 WEST 1234 5698'), 7);
    assert.equal(ibanTail('pay to GB8'), 7);
    assert.equal(ibanTail('pay to G'), 7);
    assert.equal(ibanTail('pay to the'), 10);
    assert.equal(ibanTail('x'.repeat(70) + ' GB82'), 71);
    assert.equal(ibanTail('GB82' + ' '.repeat(70)), 74);
  });
});
