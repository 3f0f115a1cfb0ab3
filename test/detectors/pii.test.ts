// Unit, streaming-API, ReDoS and corpus tests for the output-protection
// recognizers (src/detectors/pii). Example values are standard test numbers
// (4111 1111 1111 1111, GB82 WEST 1234 5698 7654 32, AKIAIOSFODNN7EXAMPLE…)
// or made up for this file; none is taken from the corpus.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPiiScanner, PII_TYPES, redact, type PiiMatch, type PiiType } from '../../src/detectors/pii/index.js';
import { evaluatePii, type PresidioRecord } from '../../bench/pii-eval.js';
import { assertCpuUnder } from '../timing.js';

const scanner = createPiiScanner({ types: PII_TYPES });

function found(text: string): { type: PiiType; kind?: string; text: string }[] {
  return scanner.scan(text).map((m: PiiMatch) => ({ type: m.type, ...(m.kind ? { kind: m.kind } : {}), text: text.slice(m.start, m.end) }));
}

function assertOne(text: string, type: PiiType, value: string, kind?: string): void {
  const f = found(text);
  assert.ok(
    f.some((m) => m.type === type && m.text === value && (kind === undefined || m.kind === kind)),
    `expected ${type}${kind ? '/' + kind : ''} ${JSON.stringify(value)} in ${JSON.stringify(text)}, got ${JSON.stringify(f)}`,
  );
}

function assertNone(text: string, type?: PiiType): void {
  const f = found(text).filter((m) => type === undefined || m.type === type);
  assert.deepEqual(f, [], `expected no ${type ?? 'match'} in ${JSON.stringify(text)}`);
}

describe('pii: API', () => {
  it('redact replaces each match with its type', () => {
    const text = 'Mail a@example.com or call 555-123-4567.';
    assert.equal(redact(text, scanner.scan(text)), 'Mail [REDACTED:email] or call [REDACTED:phone].');
    assert.equal(redact('nothing here', []), 'nothing here');
  });
  it('matches are ordered and non-overlapping; same start prefers the longer match', () => {
    const ms = scanner.scan('x 4111111111111111 y a@b.co 1.2.3.4 z');
    for (let i = 1; i < ms.length; i++) assert.ok((ms[i]?.start ?? 0) >= (ms[i - 1]?.end ?? 0));
    assertOne('SSN 123-45-6789', 'ssn', '123-45-6789');
  });
  it('only the configured types are reported', () => {
    const only = createPiiScanner({ types: ['email'] });
    assert.deepEqual(only.scan('555-123-4567 4111111111111111').length, 0);
    assert.equal(only.scan('a@example.com').length, 1);
  });
  it('allow-listed literal values are never reported (exact text)', () => {
    const s = createPiiScanner({ types: PII_TYPES, allow: ['support@acme.com', '10.0.0.1'] });
    const text = 'Write to support@acme.com or Support@acme.com from 10.0.0.1 or 10.0.0.2';
    assert.equal(redact(text, s.scan(text)), 'Write to support@acme.com or [REDACTED:email] from 10.0.0.1 or [REDACTED:ip_address]');
    assert.throws(() => createPiiScanner({ types: ['email'], allow: ['x'.repeat(65)] }), RangeError);
    assert.throws(() => createPiiScanner({ types: ['bogus' as PiiType] }), TypeError);
  });
});

describe('pii: email', () => {
  it('finds addresses', () => {
    assertOne('Contact john.smith+tag@mail.example.co.uk today', 'email', 'john.smith+tag@mail.example.co.uk');
    assertOne('<jane_doe@example.org>', 'email', 'jane_doe@example.org');
    assertOne('mailto:x@y.io.', 'email', 'x@y.io');
    assertOne('Müller@example.de', 'email', 'Müller@example.de');
  });
  it('rejects non-addresses', () => {
    assertNone('npm install lodash@4.17.21', 'email');
    assertNone('user@localhost and @mention and a@b', 'email');
    assertNone('react@18.2.0 @types/node@20.1', 'email');
    assertNone('a@b@c.com', 'email');
    assertNone(`${'x'.repeat(65)}@example.com`, 'email');
  });
});

describe('pii: SSN', () => {
  it('finds valid SSNs with dashes or spaces', () => {
    assertOne('SSN: 123-45-6789.', 'ssn', '123-45-6789');
    assertOne('ssn 123 45 6789', 'ssn', '123 45 6789');
    assertOne('my SSN is 123456789', 'ssn', '123456789', 'plain');
    assertOne('Social Security number: 772123456', 'ssn', '772123456');
  });
  it('applies the SSA validity rules', () => {
    for (const bad of ['000-12-3456', '666-12-3456', '900-12-3456', '987-65-4321', '123-00-4567', '123-45-0000']) assertNone(`SSN ${bad}`, 'ssn');
  });
  it('needs a label for plain nine digits and consistent separators', () => {
    assertNone('order 123456789 shipped', 'ssn');
    assertNone('123-45 6789', 'ssn');
    assertNone('123-45-67890', 'ssn');
    assertNone('1123-45-6789', 'ssn');
  });
});

describe('pii: credit cards', () => {
  it('finds Luhn-valid numbers of known brands, plain or grouped', () => {
    assertOne('card 4111 1111 1111 1111 exp', 'credit_card', '4111 1111 1111 1111', 'visa');
    assertOne('4111-1111-1111-1111', 'credit_card', '4111-1111-1111-1111');
    assertOne('5555555555554444', 'credit_card', '5555555555554444', 'mastercard');
    assertOne('2223000048400011', 'credit_card', '2223000048400011', 'mastercard');
    assertOne('Amex 3782 822463 10005', 'credit_card', '3782 822463 10005', 'amex');
    assertOne('6011111111111117', 'credit_card', '6011111111111117', 'discover');
    assertOne('3530111333300000', 'credit_card', '3530111333300000', 'jcb');
    assertOne('30569309025904', 'credit_card', '30569309025904', 'diners');
    assertOne('6200000000000005', 'credit_card', '6200000000000005', 'unionpay');
    assertOne('6759649826438453', 'credit_card', '6759649826438453', 'maestro');
    assertOne('4222222222222', 'credit_card', '4222222222222', 'visa');
  });
  it('rejects Luhn failures, unknown prefixes, wrong lengths and glued digits', () => {
    assertNone('4111 1111 1111 1112', 'credit_card');
    assertNone('1234567812345678', 'credit_card');
    assertNone('9111111111111111', 'credit_card');
    assertNone('41111111111111111', 'credit_card');
    assertNone('4111 1111 1111 1111 2222', 'credit_card');
    assertNone('id4111111111111111', 'credit_card');
    assertNone('0.4111111111111111', 'credit_card');
    assertNone('4111 1111-1111 1111', 'credit_card');
  });
});

describe('pii: phone', () => {
  it('finds US, international and national formats', () => {
    for (const p of ['(555) 123-4567', '555-123-4567', '555.123.4567', '555 123 4567', '+1 555 123 4567', '1-555-123-4567', '555-123-4567 x123'])
      assertOne(`Call ${p}, thanks`, 'phone', p);
    for (const p of ['+44 20 7946 0958', '+447700900123', '+49 30 12345678', '+33 1 23 45 67 89', '+46 (0)8 123 456 78', '0044 20 7946 0958'])
      assertOne(`number ${p} ok`, 'phone', p, 'international');
    for (const p of ['020 7946 0958', '07700 900123', '030 12345678', '030/1234567', '01 23 45 67 89', '01.23.45.67.89', '(08) 8747 6301'])
      assertOne(`at ${p} ok`, 'phone', p, 'national');
    assertOne('Phone: 9472 7916', 'phone', '9472 7916', 'generic');
    assertOne('Fax:\n60-56-85-91', 'phone', '60-56-85-91', 'generic');
  });
  it('rejects dates, versions, plain numbers and glued digits', () => {
    for (const t of ['on 2024-01-15', 'version 1.2.3', 'count 12345', 'id 1234567890', 'Call me on 2024-01-15', 'phone 15.01.2024', 'v10.2.1.4', 'x555-123-4567', '555-123-45678', '123-456-7890'])
      assertNone(t, 'phone');
  });
});

describe('pii: IBAN', () => {
  it('finds valid IBANs, grouped or plain', () => {
    assertOne('IBAN GB82 WEST 1234 5698 7654 32.', 'iban', 'GB82 WEST 1234 5698 7654 32', 'GB');
    assertOne('DE89370400440532013000', 'iban', 'DE89370400440532013000', 'DE');
    assertOne('fr1420041010050500013m02606', 'iban', 'fr1420041010050500013m02606');
  });
  it('rejects wrong checksums, lengths and countries', () => {
    assertNone('GB82 WEST 1234 5698 7654 33', 'iban');
    assertNone('GB82WEST123456987654321', 'iban');
    assertNone('XX82WEST12345698765432', 'iban');
    assertNone('Gb82WEST12345698765432', 'iban');
  });
});

describe('pii: IP addresses', () => {
  it('finds IPv4 and IPv6', () => {
    assertOne('from 192.168.1.10.', 'ip_address', '192.168.1.10', 'v4');
    assertOne('host=10.0.0.1:8080', 'ip_address', '10.0.0.1');
    for (const v6 of ['2001:db8::8a2e:370:7334', 'fe80::1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '::ffff:192.0.2.1'])
      assertOne(`addr ${v6} ok`, 'ip_address', v6, 'v6');
  });
  it('rejects versions, out-of-range octets and non-addresses', () => {
    for (const t of ['version 1.2.3.4', 'v10.2.1.4', 'Version: 10.0.19041.1', '1.2.3', '256.1.1.1', '1.2.3.4.5', '01.02.03.04', '::1', '12:30:45', 'dead::beef', '00:1a:2b:3c:4d:5e', 'std::vector'])
      assertNone(t, 'ip_address');
  });
});

describe('pii: secrets', () => {
  const mg = 'mg_' + 'Ab0_-'.repeat(8) + 'xyz';
  it('finds each kind', () => {
    assertOne('key sk-proj-Tq3vN8xYb2Lm5Kp9Rw1Zc4Hd7Fg0Js6Ua done', 'api_key', 'sk-proj-Tq3vN8xYb2Lm5Kp9Rw1Zc4Hd7Fg0Js6Ua', 'openai');
    assertOne('sk-ant-api03-abcdefghij0123456789', 'api_key', 'sk-ant-api03-abcdefghij0123456789', 'anthropic');
    assertOne('AKIAIOSFODNN7EXAMPLE', 'api_key', 'AKIAIOSFODNN7EXAMPLE', 'aws');
    assertOne('ASIAY34FZKBOKMUTVV7A,', 'api_key', 'ASIAY34FZKBOKMUTVV7A', 'aws');
    assertOne('ghp_' + 'a1B2'.repeat(9), 'api_key', 'ghp_' + 'a1B2'.repeat(9), 'github');
    assertOne('github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'api_key', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'github');
    assertOne('xoxb-123456789012-1234567890123-AbCdEfGh', 'api_key', 'xoxb-123456789012-1234567890123-AbCdEfGh', 'slack');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    assertOne(`Bearer ${jwt}.`, 'api_key', jwt, 'jwt');
    assertOne(`MG_KEY=${mg}`, 'api_key', mg, 'modelgate');
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----';
    assertOne(`key:\n${pem}\nbye`, 'api_key', pem, 'private_key');
  });
  it('a PEM block without footer runs to the end of the text; literal \\n escapes count', () => {
    const t = 'x -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg and more';
    assert.equal(redact(t, scanner.scan(t)), 'x [REDACTED:api_key]');
  });
  it('rejects near misses', () => {
    for (const t of ['sk-learn is a library', 'task-sk-abcdefghijklmnopqrstuvwxyz', 'AKIAIOSFODNN7EXAMPL', 'AKIAIOSFODNN7EXAMPLE1', 'ghp_short', 'xoxb-nodigitshere-abc', 'eyJhbGciOi', mg + 'x', 'the -----BEGIN PRIVATE KEY----- header', 'ASKIA'])
      assertNone(t, 'api_key');
  });
});

describe('pii: holdBack and longTokenAt', () => {
  const hb = (t: string): number => scanner.holdBack(t);
  it('holds what could still become or change a match', () => {
    assert.ok(hb('card 4111 1111 1111') >= '4111 1111 1111'.length);
    assert.ok(hb('card 4111 1111 1111 ') >= '4111 1111 1111 '.length);
    assert.ok(hb('mail me at john.sm') >= 'john.sm'.length);
    assert.ok(hb('mail me at john@exam') >= 'john@exam'.length);
    assert.ok(hb('call +1 (555') >= '+1 (555'.length);
    for (const p of ['sk-', 'gh', 'AK', 'eyJ', '-----BEGIN', '-----BEGIN RSA PRI', 'xox', 'mg_', 'github_p']) assert.ok(hb(`token: ${p}`) >= p.length, p);
    assert.ok(hb('IBAN GB82 WEST 12') >= 'GB82 WEST 12'.length);
    assert.ok(hb('ip 192.168.') >= '192.168.'.length);
  });
  it('releases settled text and never exceeds 64', () => {
    assert.equal(hb('Hello, world! '), 0);
    assert.equal(hb('a@example.com is done. '), 0);
    for (const t of ['1'.repeat(200), 'a'.repeat(200), '-----BEGIN '.repeat(20), '4111 '.repeat(30), 'x@'.repeat(60)]) assert.ok(hb(t) <= 64);
  });
  it('reports a confirmed open long token once it is older than 64 characters', () => {
    const key = 'sk-proj-' + 'Ab1'.repeat(30);
    assert.equal(scanner.longTokenAt(`key: ${key.slice(0, 40)}`), null);
    assert.deepEqual(scanner.longTokenAt(`key: ${key}`), { type: 'api_key', kind: 'openai', start: 5 });
    assert.equal(scanner.longTokenAt(`key: ${key} done`), null);
    const pem = 'x -----BEGIN PRIVATE KEY-----\nMII' + 'A'.repeat(100);
    assert.deepEqual(scanner.longTokenAt(pem), { type: 'api_key', kind: 'private_key', start: 2 });
  });
});

describe('pii: ReDoS guard', () => {
  const N = 100_000;
  const rep = (s: string): string => s.repeat(Math.ceil(N / s.length)).slice(0, N);
  const inputs = ['a@', 'a.', 'a@a.', 'a@b.c', '1 ', '12-', '4111 ', '1.', '+1 ', '(1', '-----BEGIN ', '-----BEGIN PRIVATE KEY-----\nM', '-', 'sk-1', 'eyJ', 'eyJaaaaaaaaaaaaaaaaaaaa.', 'ghp_', 'mg_', 'AKIA', 'a:', 'a::1 ', 'GB82 ', 'xoxb-1', 'phone 12 ', 'é@', 'SSN 1'];
  for (const unit of inputs) {
    it(`100 KB of ${JSON.stringify(unit)} scans well under a second`, () => {
      const text = rep(unit);
      // CPU time, not wall-clock: a loaded machine does not make it fail. A second run would hit
      // the scanner's memo of the same text, so each run scans a fresh copy.
      let pad = '';
      assertCpuUnder(JSON.stringify(unit), () => { pad += ' '; const t = pad + text; redact(t, scanner.scan(t)); }, 500);
    });
  }
});

describe('pii: presidio corpus regression', () => {
  const records = JSON.parse(readFileSync('test/fixtures/corpora/pii/presidio-synth-v2.json', 'utf8')) as PresidioRecord[];
  const r = evaluatePii(records, scanner);
  const floors: [PiiType, number, number][] = [
    ['email', 0.99, 0.98],
    ['credit_card', 0.99, 0.98],
    ['ssn', 0.99, 0.98],
    ['iban', 0.99, 0.98],
    ['ip_address', 0.99, 0.98],
    ['phone', 0.82, 0.98],
  ];
  for (const [type, recall, precision] of floors) {
    it(`${type}: recall ≥ ${recall} and precision ≥ ${precision} on valid gold spans`, () => {
      const s = r.stats[type];
      assert.ok(s.gold - s.invalid > 0);
      const rec = s.foundValid / (s.gold - s.invalid);
      const prec = s.tpValid / (s.tpValid + s.fp);
      assert.ok(rec >= recall, `recall ${rec.toFixed(3)}`);
      assert.ok(prec >= precision, `precision ${prec.toFixed(3)}`);
    });
  }
  it('reports no API keys in the corpus', () => {
    assert.equal(r.stats.api_key.fp, 0);
  });
});
