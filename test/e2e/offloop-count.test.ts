// Token counting for cost admission off the event loop, through the real gateway (issue 15): with
// the worker pool on, a 100 KB prompt's tokens are counted in a thread (the count-task counter
// moves) and its cost estimate equals the one the same request gets with the pool off (counted
// inline); a small prompt is counted inline; a request that certainly cannot fit is refused by
// the lower bound before any tokenizing (no count task); in a conversation resent turn by turn
// only the texts the key did not send before are counted (in the pool when they are large), with
// the same estimate. Injection detection is off here, so the pool exists for counting alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, chat, codeOf, post, type Stack } from '../helpers.js';
import { startPooledAndInline } from '../workers/busy-crash.js';
import { settled } from '../wait.js';

const ROUTES = `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 1mb, maxMessageChars: 200000, maxTotalChars: 400000, maxJsonStringChars: 200000 }
    injection: { action: off }
`;
const LIMITS = `
tiers:
  metered: { cost: { rate: 100000000, per: 1h, burst: 100000000 } }
  tiny: { cost: { rate: 1000, per: 1h, burst: 24000 } }
`;
const CLEAN = 'The quarterly report shows that revenue grew in every region, led by exports — Grüße, 東京. '.repeat(1200);

let pooled: Stack;
let inline: Stack;
let close: () => Promise<void>;
before(async () => {
  const opts = { routes: ROUTES, tier: 'metered', extraKeys: { small: 'tiny' }, limits: LIMITS, sim: { responseText: 'ok' } };
  ({ pooled, inline, close } = await startPooledAndInline(opts, 'offloadAbove: 4096, queue: 8'));
});
after(async () => { await close(); });

async function countTasks(s: Stack): Promise<number> {
  const text = await (await fetch(`${s.gw.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('modelgate_scan_pool_tasks_total{outcome="ok",task="count"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** The cost estimate of a request (from its access-log line, written once it is settled). */
async function estimateOf(s: Stack, content: string, key = s.key): Promise<number> {
  const body = { ...chat(content), max_tokens: 4 } as Record<string, unknown>;
  const r = await post(s.url, '/v1/chat/completions', body, bearer(key));
  assert.equal(r.status, 200, r.body);
  const line = await settled(s, String(r.headers['x-request-id']));
  return (line.cost as { estimate: number }).estimate;
}

test('a 100 KB prompt is counted in the pool; its estimate equals the inline one', async () => {
  assert.ok(CLEAN.length > 100_000);
  assert.notEqual(pooled.gw.scanPool, null, 'a pool for counting alone (injection off)');
  assert.equal(inline.gw.scanPool, null);
  const before = await countTasks(pooled);
  const a = await estimateOf(pooled, CLEAN);
  assert.equal(await countTasks(pooled), before + 1, 'counted in a worker thread');
  const b = await estimateOf(inline, CLEAN);
  assert.equal(a, b, 'same count, same estimate');
  assert.ok(a > 20_000, `estimate ${a}`);
  // A small prompt stays inline, with the same estimate on both gateways.
  assert.equal(await estimateOf(pooled, 'Hello there! Grüße 👋'), await estimateOf(inline, 'Hello there! Grüße 👋'));
  assert.equal(await countTasks(pooled), before + 1, 'a small prompt is counted inline');
});

test('a large prompt that certainly cannot fit is refused before any tokenizing', async () => {
  // CLEAN is ~22,800 tokens, within the tiny tier's burst of 24,000; a first request of ~12,700
  // tokens leaves ~11,000, below CLEAN's lower bound (19,200 runs of non-space characters).
  const small = pooled.keys.small as string;
  assert.equal((await post(pooled.url, '/v1/chat/completions', { ...chat(CLEAN.slice(0, 60_000)), max_tokens: 4 }, bearer(small))).status, 200);
  const before = await countTasks(pooled);
  const seen = pooled.sim.requests.length;
  const r = await post(pooled.url, '/v1/chat/completions', { ...chat(CLEAN), max_tokens: 4 }, bearer(small));
  assert.equal(r.status, 429, r.body);
  assert.equal(codeOf(r), 'MG_RATE_LIMITED_COST');
  assert.equal(await countTasks(pooled), before, 'no count task');
  assert.equal(pooled.sim.requests.length, seen);
});

test('a prompt that mentions a special token (<|endoftext|>) is counted as plain text, inline and in the pool', async () => {
  // gpt-tokenizer refuses special tokens by default (it throws): such a prompt used to fail admission.
  const small = 'Why does my model print <|endoftext|> and <|im_start|> at the end of its answers?';
  const big = `${CLEAN}${small}`;
  const a = await estimateOf(inline, small);
  const b = await estimateOf(pooled, small);
  assert.equal(a, b);
  assert.ok(a > 20, `estimate ${a}`);
  const before = await countTasks(pooled);
  const c = await estimateOf(pooled, big);
  assert.equal(await countTasks(pooled), before + 1, 'counted in a worker thread');
  assert.equal(c, await estimateOf(inline, big));
});

test('a conversation resent turn by turn: only the texts this key did not send before are counted, the estimate unchanged', async () => {
  const system = CLEAN.slice(0, 8000);
  const messages = (...rest: string[]) => [{ role: 'system', content: system }, ...rest.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content }))];
  async function estimate(s: Stack, msgs: unknown[]): Promise<number> {
    const r = await post(s.url, '/v1/chat/completions', { model: 'sim-llm', messages: msgs, max_tokens: 4 }, bearer(s.key));
    assert.equal(r.status, 200, r.body);
    return ((await settled(s, String(r.headers['x-request-id']))).cost as { estimate: number }).estimate;
  }
  const before = await countTasks(pooled);
  const turn1 = messages('What changed this quarter?');
  const first = await estimate(pooled, turn1);
  assert.equal(await countTasks(pooled), before + 1, 'the new 8 KB system prompt is counted in the pool');
  assert.equal(await estimate(pooled, turn1), first, 'the same request again: the same estimate');
  assert.equal(await countTasks(pooled), before + 1, '… from the counts the key sent before, without a count task');
  const turn2 = messages('What changed this quarter?', 'Revenue grew in every region.', 'And what about costs?');
  const second = await estimate(pooled, turn2);
  assert.equal(await countTasks(pooled), before + 1, 'the next turn: only its new words, counted inline');
  assert.equal(second, await estimate(inline, turn2), 'the same estimate as counted whole, inline');
  assert.ok(second > first);
  // New text above offloadAbove still goes to the pool.
  const turn3 = messages('What changed this quarter?', 'Revenue grew in every region.', CLEAN.slice(0, 6000));
  assert.equal(await estimate(pooled, turn3), await estimate(inline, turn3));
  assert.equal(await countTasks(pooled), before + 2);
});
