// src/util/sha256.ts: the same digest as a Hash object, as bytes and as base64, for any text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256 } from '../../src/util/sha256.js';

test('sha256 equals createHash(sha256) over the UTF-8 text, as a Buffer and in base64', () => {
  for (const s of ['', 'mg_key', 'ключ 🔑 キー', 'a'.repeat(10_000)]) {
    const want = createHash('sha256').update(s, 'utf8').digest();
    assert.deepEqual(sha256(s, 'buffer'), want);
    assert.equal(sha256(s, 'base64'), want.toString('base64'));
  }
});
