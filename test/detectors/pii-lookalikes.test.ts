// PII families fixed by issue 14 and their look-alikes: phones in parentheses, Stripe and
// Google keys (whole and split across stream chunks), and the strings that must stay untouched
// (version strings, part and order numbers, timestamps, short or publishable keys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPiiScanner, PiiRedactStream, PII_TYPES } from '../../src/detectors/pii/index.js';

const scanner = createPiiScanner({ types: [...PII_TYPES] });
const found = (t: string): string[] => scanner.scan(t).map((m) => `${m.type}/${m.kind}:${t.slice(m.start, m.end)}`);
// Built from pieces so the repository holds no literal key-shaped strings.
const STRIPE = ['sk', 'live', '4eC39HqLyjWDarjtT1zdp7dc'].join('_');
const STRIPE_R = ['rk', 'live', '51H8xYZabcdefghijklmnop9'].join('_');
const GOOGLE = ['AI', 'zaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'].join('');

test('phones with parentheses, Stripe secret and restricted keys, Google API keys are found', () => {
  assert.deepEqual(found('Call me at (415) 555-0134 tomorrow'), ['phone/us:(415) 555-0134']);
  assert.deepEqual(found(`key ${STRIPE} ok`), [`api_key/stripe:${STRIPE}`]);
  assert.deepEqual(found(`restricted: ${STRIPE_R}.`), [`api_key/stripe:${STRIPE_R}`]);
  assert.deepEqual(found(`maps key ${GOOGLE} end`), [`api_key/google:${GOOGLE}`]);
  assert.deepEqual(found('Server at 10.0.0.12'), ['ip_address/v4:10.0.0.12']);
  assert.deepEqual(found('the DNS server is 1.2.3.4'), ['ip_address/v4:1.2.3.4']);
});

test('look-alikes stay: versions, part and order numbers, timestamps, publishable and short keys', () => {
  for (const t of [
    'Upgrade to 1.2.3.4 now', 'Requires 1.2.3.4 or later', 'version 10.0.19041.1', 'Part no. 415-555-0134', 'SKU 800-555-1234 in stock',
    'order #415-555-0134', 'ref 415.555.0134', 'invoice 2125550199', 'at 2024-01-15 12:30:45.123', 'timestamp 1712345678901',
    ['pk', 'live', '4eC39HqLyjWDarjtT1zdp7dc'].join('_'), ['sk', 'live', 'short'].join('_'), ['sk', 'live', 'abcdefghijklmnopqrstuvwxyz'].join('_'),
    `${GOOGLE}X`,
  ]) {
    assert.deepEqual(found(t), [], t);
  }
});

test('Stripe and Google keys split across stream chunks are never partly shown', () => {
  for (const key of [STRIPE, STRIPE_R, GOOGLE]) {
    const text = `the key is ${key} keep it safe`;
    for (let size = 1; size <= 9; size += 4) {
      const s = new PiiRedactStream(scanner);
      let out = '';
      for (let i = 0; i < text.length; i += size) out += s.push(text.slice(i, i + size));
      out += s.end();
      assert.equal(out, 'the key is [REDACTED:api_key] keep it safe', `${key.slice(0, 4)} chunk ${size}`);
    }
  }
});

// Regressions found by the generated look-alike evaluation (bench/pii-lookalikes.ts), one per fix.
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');

test('AWS secret access keys: 40 characters of mixed case and digits after "aws" or "secret"', () => {
  for (const ctx of ['aws_secret_access_key = {v}', 'AWS_SECRET_ACCESS_KEY={v}', '"SecretAccessKey": "{v}"', 'aws secret key: {v}']) {
    const t = ctx.replace('{v}', AWS_SECRET);
    assert.deepEqual(found(t), [`api_key/aws_secret:${AWS_SECRET}`], ctx);
  }
  for (const t of [
    `blob ${AWS_SECRET}`, // no context word
    `secret commit ${'0123456789abcdef'.repeat(3).slice(0, 40)}`, // hex SHA-1: no upper case
    `aws key ${AWS_SECRET}X`, `aws key X${AWS_SECRET}`, `aws key ${AWS_SECRET}=`, // not 40 alone
    `secret ${'A1b2'.repeat(9)}`, // 36 characters
  ]) {
    assert.deepEqual(found(t), [], t);
  }
});

test('an AWS secret key split across stream chunks is never partly shown', () => {
  const text = `aws_secret_access_key = ${AWS_SECRET}\nregion = eu-west-1`;
  for (const size of [1, 3, 7, 16]) {
    const s = new PiiRedactStream(scanner);
    let out = '';
    for (let i = 0; i < text.length; i += size) out += s.push(text.slice(i, i + size));
    out += s.end();
    assert.equal(out, 'aws_secret_access_key = [REDACTED:api_key]\nregion = eu-west-1', `chunk ${size}`);
  }
});

test('image-density file names are not e-mail addresses (icon@2x.png), addresses still are', () => {
  for (const t of ['icon@2x.png', '<img src="logo@3x.webp">', 'avatar@1.5x.jpg', 'btn-close@4x.gif']) assert.deepEqual(found(t), [], t);
  assert.deepEqual(found('mail icon@x2.example.com'), ['email/undefined:icon@x2.example.com']);
  assert.deepEqual(found('mail ops@2xample.com'), ['email/undefined:ops@2xample.com']);
});

test('numbers glued to an identifier by "-" or "_" are not phones, cards or SSNs', () => {
  for (const t of ['order ORD-415-555-0134 shipped', 'token xoxq-506707873358-7347024539507', 'id INV_123-45-6789', 'ref PO-4111111111111111']) {
    assert.deepEqual(found(t), [], t);
  }
  assert.deepEqual(found('Call 415-555-0134 now'), ['phone/us:415-555-0134']);
  assert.deepEqual(found('SSN 123-45-6789'), ['ssn/separated:123-45-6789']);
});
