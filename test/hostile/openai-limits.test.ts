// Attack class: OpenAI requests that stay valid JSON but ask for too much — too many messages,
// one huge message, a total spread across system/user/assistant turns (a validator that only
// reads the last message misses it), max_tokens over the cap (refused, never clamped), n, roles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, bearer, codeOf, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack(); });
after(async () => { await s.close(); });

type Msg = { role: string; content: unknown; [k: string]: unknown };
const req = (messages: Msg[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'sim-llm', messages, ...extra });

const cases: [string, string, Record<string, unknown>, string][] = [
  ['too many messages (51 > 50)', '/v1/chat/completions', req(Array.from({ length: 51 }, () => ({ role: 'user', content: 'hi' }))), 'MG_TOO_MANY_MESSAGES'],
  ['no messages', '/v1/chat/completions', req([]), 'MG_REQUEST_INVALID'],
  ['one message over its cap', '/v1/chat/completions', req([{ role: 'user', content: 'a'.repeat(10_001) }]), 'MG_MESSAGE_TOO_LONG'],
  ['one message over its cap in content parts', '/v1/chat/completions', req([{ role: 'user', content: [{ type: 'text', text: 'a'.repeat(6000) }, { type: 'text', text: 'b'.repeat(6000) }] }]), 'MG_MESSAGE_TOO_LONG'],
  ['the total over its cap spread over system/user/assistant', '/v1/chat/completions', req([
    { role: 'system', content: 's'.repeat(9000) },
    { role: 'user', content: 'u'.repeat(9000) },
    { role: 'assistant', content: 'a'.repeat(9000) },
    { role: 'user', content: 'short last question' },
    { role: 'developer', content: 'd'.repeat(4000) },
  ]), 'MG_PROMPT_TOO_LONG'],
  ['max_tokens over the cap', '/v1/chat/completions', req([{ role: 'user', content: 'hi' }], { max_tokens: 4097 }), 'MG_MAX_TOKENS_TOO_LARGE'],
  ['max_completion_tokens over the cap', '/v1/chat/completions', req([{ role: 'user', content: 'hi' }], { max_completion_tokens: 100_000 }), 'MG_MAX_TOKENS_TOO_LARGE'],
  ['n over the cap', '/v1/chat/completions', req([{ role: 'user', content: 'hi' }], { n: 64 }), 'MG_PARAM_OUT_OF_RANGE'],
  ['top_logprobs over the cap', '/v1/chat/completions', req([{ role: 'user', content: 'hi' }], { logprobs: true, top_logprobs: 1000 }), 'MG_PARAM_OUT_OF_RANGE'],
  ['an unknown role', '/v1/chat/completions', req([{ role: 'root', content: 'hi' }]), 'MG_REQUEST_INVALID'],
  ['content of the wrong type', '/v1/chat/completions', req([{ role: 'user', content: 42 }]), 'MG_REQUEST_INVALID'],
  ['an image_url part (images not enabled: maxImages 0)', '/v1/chat/completions', req([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest/meta-data' } }] }]), 'MG_TOO_MANY_IMAGES'],
  ['an image_url part in a system message', '/v1/chat/completions', req([{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }]), 'MG_REQUEST_INVALID'],
  ['max_tokens as a string', '/v1/chat/completions', req([{ role: 'user', content: 'hi' }], { max_tokens: '4096' }), 'MG_REQUEST_INVALID'],
  ['negative max_tokens', '/v1/chat/completions', req([{ role: 'user', content: 'hi' }], { max_tokens: -1 }), 'MG_REQUEST_INVALID'],
  ['completions: best_of over the cap', '/v1/completions', { prompt: 'hi', best_of: 50 }, 'MG_PARAM_OUT_OF_RANGE'],
  ['completions: a prompt over its cap', '/v1/completions', { prompt: 'p'.repeat(25_001) }, 'MG_MESSAGE_TOO_LONG'],
  ['completions: token-id prompt over its cap', '/v1/completions', { prompt: Array.from({ length: 7000 }, () => 1) }, 'MG_MESSAGE_TOO_LONG'],
  ['completions: max_tokens over the cap', '/v1/completions', { prompt: 'hi', max_tokens: 5000 }, 'MG_MAX_TOKENS_TOO_LARGE'],
  ['embeddings: too many inputs', '/v1/embeddings', { input: Array.from({ length: 257 }, () => 'x') }, 'MG_TOO_MANY_INPUTS'],
  ['embeddings: an input over its cap', '/v1/embeddings', { input: ['ok', 'x'.repeat(25_001)] }, 'MG_MESSAGE_TOO_LONG'],
  ['embeddings: no input', '/v1/embeddings', { model: 'e' }, 'MG_REQUEST_INVALID'],
];

for (const [name, path, body, code] of cases) {
  test(`${name} → 400 ${code}, not forwarded`, async () => {
    const r = await post(s.url, path, body, bearer(s.key));
    assert.equal(r.status, 400);
    assert.equal(codeOf(r), code);
    assert.deepEqual(Object.keys((r.json as { error: object }).error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(s.sim.requests.length, 0);
  });
}

test('requests at exactly the caps pass', async () => {
  const ok = [
    ['/v1/chat/completions', req(Array.from({ length: 50 }, () => ({ role: 'user', content: 'hi' })), { max_tokens: 4096 })],
    ['/v1/chat/completions', req([{ role: 'system', content: 's'.repeat(10_000) }, { role: 'user', content: 'u'.repeat(10_000) }, { role: 'assistant', content: 'a'.repeat(9_000) }])],
    ['/v1/completions', { prompt: ['a', 'b'], max_tokens: 10 }],
    ['/v1/embeddings', { input: Array.from({ length: 256 }, () => 'x') }],
    ['/v1/chat/completions', req([{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'result' }])],
  ] as const;
  for (const [path, body] of ok) {
    const r = await post(s.url, path, body, bearer(s.key));
    assert.equal(r.status, 200, `${path}: ${r.body.slice(0, 200)}`);
  }
  assert.equal(s.sim.requests.length, ok.length);
  s.sim.reset();
});
