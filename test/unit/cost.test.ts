// Cost estimation: real token counts, the default when max_tokens is absent, × n, and the guard
// that keeps a crafted "word" from stalling the tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTextCost, tokenCounter, TOKENS_PER_MESSAGE } from '../../src/limits/cost.js';

test('real tokenizers count tokens; chars4 is an estimate', () => {
  const o200k = tokenCounter('o200k_base');
  assert.equal(o200k.count('Hello, world!'), 4);
  assert.equal(tokenCounter('cl100k_base').count('Hello, world!'), 4);
  assert.equal(tokenCounter('chars4').count('12345678'), 2);
  assert.equal(o200k.count(''), 0);
});

test('estimate = prompt tokens + framing + max_tokens × choices, or the default', () => {
  const c = tokenCounter('o200k_base');
  const e = estimateTextCost({ texts: ['Hello, world!'], items: 1, tokenIds: 0, maxTokens: 100, choices: 2 }, c, 512);
  assert.deepEqual(e, { promptTokens: 4 + TOKENS_PER_MESSAGE, completionTokens: 200, total: 208 });
  assert.equal(estimateTextCost({ texts: ['x'], items: 1, tokenIds: 7, maxTokens: null, choices: 1 }, c, 512).completionTokens, 512);
  assert.equal(estimateTextCost({ texts: [], items: 1, tokenIds: 7, maxTokens: 0, choices: 1 }, c, 512).promptTokens, 7 + TOKENS_PER_MESSAGE);
});

test('a 100 KB single "word" is counted quickly (BPE guard) and not under-counted', () => {
  const c = tokenCounter('o200k_base');
  const letters = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join('');
  const t0 = performance.now();
  const n = c.count(letters);
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `took ${ms} ms`); // unguarded: ~10 s
  assert.ok(n >= 20_000, `counted ${n}`);
  const exact = c.count(letters.slice(0, 2000).replace(/\S{64}/g, '$&')); // sanity on a short slice
  assert.ok(exact > 0);
});
