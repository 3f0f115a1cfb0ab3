// Reserve, then reconcile: the estimate is reserved at admission and corrected to the usage the
// model server reports — from JSON bodies and from the last chunk of streams — or to what was
// generated when a stream is cut or the client leaves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, bearer, chat, codeOf, type Stack } from '../helpers.js';
import { accessLines, settled, settledCount, waitFor } from '../wait.js';

const DAY = 86_400_000;
let s: Stack;
before(async () => {
  s = await startStack({
    tier: 'metered',
    sim: { responseText: 'ok' },
    limits: `
tiers:
  metered:
    cost: { rate: 2000, per: 1h, burst: 2000 }
    budget: { cost: 100000000, per: 1d }
`,
    routes: `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    cost: { defaultMaxTokens: 300 }
    injection: { action: off }
`,
  });
});
after(async () => { await s.close(); });

const spent = (): Promise<number> => s.gw.store.budgetSpent('key:test-key:budget', DAY);
/** Waits for the access-log line of response `r` (written once its reservation is reconciled); returns the cost it charged. */
const chargedFor = async (r: { headers: Record<string, unknown> }): Promise<number> => {
  const line = await settled(s, String(r.headers['x-request-id']));
  return (line.cost as { actual: number }).actual;
};

test('two requests with max_tokens 1,500 each against a bucket of 2,000 both pass when usage is small', async () => {
  const a = await post(s.url, '/v1/chat/completions', chat('hello', { max_tokens: 1500 }), bearer(s.key));
  assert.equal(a.status, 200);
  // The second fits only once the first is reconciled (settle runs after the response is sent).
  const chargedA = await chargedFor(a);
  const b = await post(s.url, '/v1/chat/completions', chat('hello', { max_tokens: 1500 }), bearer(s.key));
  assert.equal(b.status, 200);
  const usage = (a.json as { usage: { total_tokens: number } }).usage.total_tokens + (b.json as { usage: { total_tokens: number } }).usage.total_tokens;
  assert.equal(chargedA + (await chargedFor(b)), usage);
  assert.equal(await spent(), usage, 'charged exactly the reported usage');
});

test('a prompt of ~1,900 tokens with max_tokens 500 against it is refused', async () => {
  const words = Array.from({ length: 1900 }, (_, i) => `w${i % 10}`).join(' ');
  const r = await post(s.url, '/v1/chat/completions', chat(words, { max_tokens: 500 }), bearer(s.key));
  assert.equal(r.status, 400);
  assert.equal(codeOf(r), 'MG_COST_OVER_LIMIT');
  assert.ok(!s.sim.requests.some((q) => q.body.includes('w9 w0 w1')), 'never forwarded');
});

test('a streamed completion is charged its reported usage; the client that did not ask sees no usage chunk', async () => {
  const before = await spent();
  const r = await post(s.url, '/v1/chat/completions', chat('stream me', { max_tokens: 50, stream: true }), bearer(s.key));
  assert.equal(r.status, 200);
  const events = r.body.split('\n\n').filter((e) => e.startsWith('data: {'));
  assert.ok(events.every((e) => !/"choices":\[\]/.test(e)), 'the usage-only chunk was removed');
  const upstream = JSON.parse(s.sim.requests.at(-1)?.body ?? '{}') as { stream_options?: { include_usage?: boolean } };
  assert.equal(upstream.stream_options?.include_usage, true, 'modelgate asked for usage');
  const actual = await chargedFor(r);
  const charged = (await spent()) - before;
  assert.equal(charged, actual, 'the store holds what the gateway charged');
  assert.ok(charged > 0 && charged < 50, `charged ${charged}, reserved ~60`);
});

test('a client that asked for usage keeps its usage chunk', async () => {
  const r = await post(s.url, '/v1/chat/completions', chat('stream me', { max_tokens: 5, stream: true, stream_options: { include_usage: true } }), bearer(s.key));
  assert.match(r.body, /"choices":\[\],"usage":/);
});

test('a request without max_tokens reserves the route default and sends it upstream', async () => {
  s.sim.options.mode = 'hang';
  const before = await spent();
  const logged = accessLines(s).length;
  const ac = new AbortController();
  const p = fetch(`${s.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json', ...bearer(s.key) }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }) });
  await waitFor(() => s.sim.inFlight > 0, 'the request reached the model server');
  const reserved = (await spent()) - before;
  assert.ok(reserved >= 300 && reserved < 320, `reserved ${reserved}`);
  assert.equal((JSON.parse(s.sim.requests.at(-1)?.body ?? '{}') as { max_tokens?: number }).max_tokens, 300);
  ac.abort();
  await p.catch(() => undefined);
  s.sim.options.mode = 'normal';
  await settledCount(s, logged + 1);
  assert.equal(await spent(), before, 'nothing generated, nothing reached a response: refunded');
});

test('an aborted stream is charged what was generated', async () => {
  s.sim.options.responseText = '';
  s.sim.options.eventDelayMs = 20;
  const before = await spent();
  const ac = new AbortController();
  const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json', ...bearer(s.key) }, body: JSON.stringify(chat('tell a story', { max_tokens: 1000, stream: true })) });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let got = '';
  while ((got.match(/"content"/g) ?? []).length < 10) got += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  s.sim.options.eventDelayMs = 0;
  s.sim.options.responseText = 'ok';
  const actual = await chargedFor({ headers: Object.fromEntries(res.headers) });
  const charged = (await spent()) - before;
  assert.equal(charged, actual, 'the store holds what the gateway charged');
  // prompt (~10) + at least the 10 tokens seen, far below the 1,000 reserved
  assert.ok(charged >= 15 && charged < 200, `charged ${charged}`);
});

test('a cut stream is charged what was generated; an unreachable upstream is refunded', async () => {
  s.sim.options.mode = 'stream-cut';
  let before = await spent();
  const cut = await post(s.url, '/v1/chat/completions', chat('cut', { max_tokens: 1000, stream: true }), bearer(s.key));
  assert.equal((await chargedFor(cut)), (await spent()) - before);
  let charged = (await spent()) - before;
  assert.ok(charged > 0 && charged < 100, `cut stream charged ${charged}`);
  s.sim.options.mode = 'error-503';
  before = await spent();
  const r = await post(s.url, '/v1/chat/completions', chat('x', { max_tokens: 1000 }), bearer(s.key));
  assert.equal(r.status, 502);
  assert.equal((await chargedFor(r)), (await spent()) - before);
  charged = (await spent()) - before;
  assert.ok(charged < 50, `a 5xx is charged at most the prompt: ${charged}`);
  s.sim.options.mode = 'normal';
});
