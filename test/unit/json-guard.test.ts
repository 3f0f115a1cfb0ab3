// The JSON structural scanner: property tests (fast-check) that it never throws, accepts every
// JSON value within the limits, and catches what exceeds them; plus the escape corner cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkJsonLimits, countObjectKeys, type JsonLimits } from '../../src/protocols/json-guard.js';

const WIDE: JsonLimits = { maxDepth: 1000, maxArrayLength: 1e9, maxStringChars: 1e9, maxKeys: 1e9 };

function depth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depth));
  return 0;
}
function maxArray(v: unknown): number {
  if (Array.isArray(v)) return Math.max(v.length, ...v.map(maxArray));
  if (v !== null && typeof v === 'object') return Math.max(0, ...Object.values(v).map(maxArray));
  return 0;
}
function maxKeys(v: unknown): number {
  if (Array.isArray(v)) return Math.max(0, ...v.map(maxKeys));
  if (v !== null && typeof v === 'object') return Math.max(Object.keys(v).length, ...Object.values(v).map(maxKeys));
  return 0;
}

const json = fc.jsonValue({ maxDepth: 6 }).filter((v) => !JSON.stringify(v).match(/"(__proto__|constructor|prototype)":/));

test('never throws on arbitrary text', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
    checkJsonLimits(s, { maxDepth: 3, maxArrayLength: 3, maxStringChars: 3, maxKeys: 3 });
  }), { numRuns: 2000 });
});

test('accepts any JSON value within wide limits', () => {
  fc.assert(fc.property(json, (v) => {
    assert.equal(checkJsonLimits(JSON.stringify(v), WIDE), null);
    assert.equal(checkJsonLimits(JSON.stringify(v, null, 2), WIDE), null);
  }), { numRuns: 1000 });
});

test('depth, array length and key count limits are exact', () => {
  fc.assert(fc.property(json, fc.integer({ min: 1, max: 5 }), (v, lim) => {
    const text = JSON.stringify(v);
    const d = checkJsonLimits(text, { ...WIDE, maxDepth: lim });
    assert.equal(d === null, depth(v) <= lim, `depth ${depth(v)} vs ${lim}: ${text}`);
    const a = checkJsonLimits(text, { ...WIDE, maxArrayLength: lim });
    assert.equal(a === null, maxArray(v) <= lim, `array ${maxArray(v)} vs ${lim}: ${text}`);
    const k = checkJsonLimits(text, { ...WIDE, maxKeys: lim });
    assert.equal(k === null, maxKeys(v) <= lim, `keys ${maxKeys(v)} vs ${lim}: ${text}`);
  }), { numRuns: 1000 });
});

test('strings with escaped quotes and backslashes are skipped correctly', () => {
  const lim = { ...WIDE, maxKeys: 2 };
  assert.equal(checkJsonLimits('{"a":"x\\"y,\\"z:{","b":"\\\\"}', lim), null);
  assert.equal(checkJsonLimits('{"a":"\\\\","b":1,"c":2}', lim)?.code, 'MG_JSON_TOO_MANY_KEYS');
  assert.equal(checkJsonLimits('["[[[[[[","]]]]"]', { ...WIDE, maxDepth: 1 }), null);
});

test('forbidden keys, plain and escaped, but not as values', () => {
  for (const t of ['{"__proto__":1}', '{"a":{"constructor":{}}}', '{"\\u005f_proto__":1}', '{"prototype" :1}', '[{"x":[{"__proto__":{}}]}]']) {
    assert.equal(checkJsonLimits(t, WIDE)?.code, 'MG_JSON_FORBIDDEN_KEY', t);
  }
  for (const t of ['{"a":"__proto__"}', '["constructor"]', '{"__proto":1}', '{"a":"b","__proto__x":2}']) {
    assert.equal(checkJsonLimits(t, WIDE), null, t);
  }
});

test('a 1,000,000-element array stops at the limit without building anything', () => {
  const text = `[${'1,'.repeat(999_999)}1]`;
  const r = checkJsonLimits(text, { ...WIDE, maxArrayLength: 10_000 });
  assert.equal(r?.code, 'MG_JSON_ARRAY_TOO_LONG');
});

test('stats.keys equals the members of the parse exactly when no object repeats a key (property)', () => {
  const big: JsonLimits = { maxDepth: 64, maxArrayLength: 1e6, maxStringChars: 1e6, maxKeys: 1e6 };
  fc.assert(fc.property(fc.json({ maxDepth: 4 }), (text) => {
    const stats = { keys: 0 };
    fc.pre(checkJsonLimits(text, big, stats) === null); // e.g. a generated "__proto__" key
    assert.equal(stats.keys, countObjectKeys(JSON.parse(text)));
  }), { numRuns: 500 });
  const stats = { keys: 0 };
  const dup = '{"a":1,"b":{"c":[{"d":1,"d":2}]},"a":3}';
  checkJsonLimits(dup, big, stats);
  assert.equal(stats.keys, 6);
  assert.equal(countObjectKeys(JSON.parse(dup)), 4);
});
