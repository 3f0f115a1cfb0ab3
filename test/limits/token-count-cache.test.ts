// The token count cache of cost admission (TokenCountCache, src/limits/cost.ts): it gives exactly
// the counter's count for every text, counts a text once per scope (API key), never shares a
// count between scopes or between a text with a lone surrogate and its U+FFFD twin, and counts
// short texts every time; countTextsWith hands only the texts a key did not send before to the pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TokenCountCache, tokenCountCache, tokenCounter, type TokenCounter } from '../../src/limits/cost.js';

/** A counter that records what it was asked and answers a content-dependent number. */
function spy(): { counter: TokenCounter; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    counter: {
      count(text: string): number {
        calls.push(text);
        let h = 0;
        for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 1000;
        return text.length + h;
      },
    },
  };
}

const LONG = 'Please summarise the following meeting notes for the weekly report. '.repeat(3);

test('the cached count is the tokenizer\'s count, first time and every time after (o200k_base, cl100k_base)', () => {
  for (const kind of ['o200k_base', 'cl100k_base'] as const) {
    const maybe = tokenCountCache(kind);
    assert.ok(maybe !== null);
    const cache: TokenCountCache = maybe;
    const counter = tokenCounter(kind);
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.string({ minLength: 100, maxLength: 400 }), fc.string({ unit: 'grapheme', minLength: 100, maxLength: 300 }), fc.string({ unit: 'binary', minLength: 120, maxLength: 300 }), fc.string({ maxLength: 40 })), { minLength: 1, maxLength: 6 }),
      fc.constantFrom('key-a', 'key-b'),
      (texts, scope): void => {
        const want = texts.map((t) => counter.count(t));
        for (let round = 0; round < 2; round++) {
          assert.deepEqual(texts.map((t): number => cache.count(scope, t)), want);
          assert.equal(cache.countTexts(scope, texts), want.reduce((a, b) => a + b, 0));
        }
      },
    ), { numRuns: 60, seed: 15 });
  }
  assert.equal(tokenCountCache('chars4'), null, 'chars4 counts by length: nothing to cache');
});

test('a conversation: each turn counts only the text that is new for this key', () => {
  const { counter, calls } = spy();
  const cache = new TokenCountCache(counter);
  const system = `You are the support assistant of a bookshop. ${LONG}`;
  const history: string[] = [system];
  for (let turn = 0; turn < 4; turn++) {
    history.push(`Question number ${turn}: ${LONG}`);
    const want = history.reduce((a, t) => a + counter.count(t), 0);
    calls.length = 0;
    assert.equal(cache.countTexts('key-a', history), want, 'same sum as counting every text');
    assert.deepEqual(calls, turn === 0 ? history : [history[history.length - 1]], `turn ${turn}: only what is new is counted`);
  }
});

test('counts are kept per scope, short texts and texts with lone surrogates are counted every time', () => {
  const { counter, calls } = spy();
  const cache = new TokenCountCache(counter);
  assert.equal(cache.count('key-a', LONG), counter.count(LONG));
  calls.length = 0;
  cache.count('key-a', LONG);
  assert.equal(calls.length, 0, 'second time, same key: cached');
  cache.count('key-b', LONG);
  assert.deepEqual(calls, [LONG], 'another key: counted again');
  // Scope and text are joined unambiguously: "ab" + text is not "a" + "b…".
  calls.length = 0;
  cache.count('k', `x${LONG}`);
  cache.count('kx', LONG);
  assert.equal(calls.length, 2);

  calls.length = 0;
  cache.count('key-a', 'Hi there');
  cache.count('key-a', 'Hi there');
  assert.equal(calls.length, 2, 'below the minimum length: never cached');

  const lone = `${LONG}\uD800`;
  const twin = `${LONG}\uFFFD`;
  const nLone = counter.count(lone);
  const nTwin = counter.count(twin);
  assert.notEqual(nLone, nTwin, 'the spy tells the two apart');
  calls.length = 0;
  assert.equal(cache.count('key-a', twin), nTwin);
  assert.equal(cache.count('key-a', lone), nLone, 'not the U+FFFD twin\'s count');
  assert.equal(cache.count('key-a', lone), nLone);
  assert.equal(cache.count('key-a', twin), nTwin);
  assert.deepEqual(calls, [twin, lone, lone], 'a text with a lone surrogate is counted every time');
});

test('a count that throws is not cached', () => {
  let fail = true;
  const cache = new TokenCountCache({ count: (t) => { if (fail) throw new Error('no'); return t.length; } });
  assert.throws(() => cache.count('key-a', LONG));
  fail = false;
  assert.equal(cache.count('key-a', LONG), LONG.length);
});

test('countTextsWith: only the texts this key did not send before are handed to the pool; its counts are remembered; the sum is the same', async () => {
  const { counter, calls } = spy();
  const cache = new TokenCountCache(counter);
  const pool = spy();
  const handed: string[][] = [];
  const offload = (fresh: string[]): Promise<number[]> => {
    handed.push(fresh);
    return Promise.resolve(fresh.map((t) => pool.counter.count(t)));
  };
  const history = [`You are the support assistant of a bookshop. ${LONG}`, `Question one: ${LONG}`];
  const want = (texts: string[]): number => texts.reduce((a, t) => a + counter.count(t), 0);
  assert.equal(await cache.countTextsWith('key-a', history, offload), want(history));
  assert.deepEqual(handed, [history], 'both texts new: both to the pool');
  history.push('Hi', `Question two: ${LONG}`);
  let expected = want(history);
  calls.length = 0;
  assert.equal(await cache.countTextsWith('key-a', history, offload), expected);
  assert.deepEqual(handed[1], ['Hi', `Question two: ${LONG}`], 'the next turn: only the new texts (a short one is never known)');
  assert.deepEqual(calls, [], 'nothing counted here: the pool counted the new texts, the cache answered for the rest');
  // The pool declines (null): the new texts are counted here, and remembered.
  history.push(`Question three: ${LONG}`);
  expected = want(history);
  calls.length = 0;
  assert.equal(await cache.countTextsWith('key-a', history, () => null), expected);
  assert.deepEqual(calls, ['Hi', `Question three: ${LONG}`]);
  expected = want(history);
  calls.length = 0;
  assert.equal(cache.countTexts('key-a', history), expected);
  assert.deepEqual(calls, ['Hi'], 'everything but the short text remembered');
});
