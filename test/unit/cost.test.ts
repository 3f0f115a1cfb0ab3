// Cost estimation: real token counts, the default when max_tokens is absent, × n, and the guard
// that keeps a crafted "word" from stalling the tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countRuns, cutLongRuns, estimateTextCost, tokenCounter, tokenLowerBound, TOKENS_PER_MESSAGE } from '../../src/limits/cost.js';
import { countInSlices } from '../../src/limits/charge.js';
import { assertCpuUnder } from '../timing.js';

test('real tokenizers count tokens; chars4 is an estimate', () => {
  const o200k = tokenCounter('o200k_base');
  assert.equal(o200k.count('Hello, world!'), 4);
  assert.equal(tokenCounter('cl100k_base').count('Hello, world!'), 4);
  assert.equal(tokenCounter('chars4').count('12345678'), 2);
  assert.equal(o200k.count(''), 0);
});

test('special-token text (<|endoftext|>, <|im_start|>) is counted as plain text, never thrown on', () => {
  for (const kind of ['o200k_base', 'cl100k_base'] as const) {
    const c = tokenCounter(kind);
    const n = c.count('end <|endoftext|> and <|im_start|>system');
    assert.ok(n > c.count('end  and system'), `${kind}: ${n}`);
    assert.ok(n >= tokenLowerBound.count('end <|endoftext|> and <|im_start|>system'));
  }
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
  let n = 0;
  assertCpuUnder('one 100 KB word', () => { n = c.count(letters); }, 2000); // unguarded: ~10 s; CPU time, so load does not count
  assert.ok(n >= 20_000, `counted ${n}`);
  const exact = c.count(letters.slice(0, 2000).replace(/\S{64}/g, '$&')); // sanity on a short slice
  assert.ok(exact > 0);
});

test('cutLongRuns equals the regex it replaces, for any text (property)', () => {
  const piece = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom(' ', '\n', '\u00a0', '\u3000', 'a'.repeat(63), 'b'.repeat(64), 'c'.repeat(65), 'x'.repeat(130), '\ud83d\ude00'.repeat(40)));
  fc.assert(fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
    const t = parts.join('');
    assert.equal(cutLongRuns(t), t.replace(/\S{64}(?=\S)/g, '$& '));
  }), { numRuns: 3000 });
});

test('tokenLowerBound never exceeds the real count, for either BPE encoding (property)', () => {
  const o200k = tokenCounter('o200k_base');
  const cl100k = tokenCounter('cl100k_base');
  const piece = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom(' ', '  ', '\n\n', '\t', '\u3000', 'hello', ' world', "don't", '1234567', '...', '日本語', '😀😀', 'x'.repeat(100)));
  fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
    const t = parts.join('');
    const lb = tokenLowerBound.count(t);
    assert.ok(lb <= o200k.count(t), `o200k: ${lb} > ${o200k.count(t)} for ${JSON.stringify(t)}`);
    assert.ok(lb <= cl100k.count(t), `cl100k: ${lb} > ${cl100k.count(t)} for ${JSON.stringify(t)}`);
  }), { numRuns: 1500 });
  // And it is not a trivial bound: for prose it is most of the real count.
  const prose = 'The shipment left the warehouse on Monday and should arrive before the end of the week. '.repeat(50);
  assert.ok(tokenLowerBound.count(prose) > 0.6 * o200k.count(prose));
});

test('countRuns counts non-space runs (any Unicode space separates) and stops where asked', () => {
  assert.equal(countRuns('  a bb\tccc\u3000d\u00a0e  ', Infinity), 5);
  assert.equal(countRuns('a b c d e', 2), 2);
  assert.equal(countRuns('', 1), 0);
  assert.equal(tokenLowerBound.count('one two  three\n'), 3);
});

test('a cut stream is counted slice by slice: the same count as whole, and other work runs in between', async () => {
  const counter = tokenCounter('o200k_base');
  await fc.assert(fc.asyncProperty(
    fc.array(fc.stringMatching(/^[a-zA-Z]{1,12}[.,!?]?$/), { minLength: 1, maxLength: 3000 }),
    async (words) => {
      const text = words.join(' ');
      assert.equal(await countInSlices(counter, text), counter.count(text));
    },
  ), { numRuns: 20 });
  const long = 'the quick brown fox jumps over the lazy dog '.repeat(25_000); // 1.1 MB
  let turns = 0;
  const ticker = setInterval(() => { turns++; }, 0);
  const n = await countInSlices(counter, long);
  clearInterval(ticker);
  assert.equal(n, counter.count(long));
  assert.ok(turns > 10, `other callbacks ran ${turns} times while counting`);
});
