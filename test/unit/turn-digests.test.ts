// The digests two caches share within one turn of the event loop (src/util/scoped-cache.ts
// digestOf): always the text's SHA-256, never a text held after its turn, never more than 64 held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { digestOf, heldDigests } from '../../src/util/scoped-cache.js';

const sha = (t: string): string => createHash('sha256').update(t, 'utf8').digest('base64');

test('digestOf is the SHA-256 of the text, whatever string object carries it', async () => {
  await nextTurn();
  const texts = ['You are a helpful assistant.', 'x'.repeat(5000), 'ключ 鍵🔑', ''];
  for (const t of texts) {
    assert.equal(digestOf(t), sha(t));
    // The same content built anew (another string object), and a different text of the same length.
    assert.equal(digestOf([...t].join('')), sha(t));
    if (t.length > 0) assert.equal(digestOf(`${t.slice(0, -1)}!`), sha(`${t.slice(0, -1)}!`));
  }
});

test('a text is held only until the turn ends, and one text is held once', async () => {
  await nextTurn();
  assert.equal(heldDigests(), 0);
  digestOf('the system prompt of a chat client');
  digestOf('the system prompt of a chat client');
  assert.equal(heldDigests(), 1);
  await nextTurn();
  assert.equal(heldDigests(), 0, 'no text is held after the turn that hashed it');
});

test('at most 64 texts are held in one turn, and every digest stays right beyond that', async () => {
  await nextTurn();
  for (let i = 0; i < 200; i++) assert.equal(digestOf(`text number ${i}`), sha(`text number ${i}`));
  assert.ok(heldDigests() <= 64, `${heldDigests()} held`);
  for (let i = 0; i < 200; i++) assert.equal(digestOf(`text number ${i}`), sha(`text number ${i}`));
  await nextTurn();
  assert.equal(heldDigests(), 0);
});
