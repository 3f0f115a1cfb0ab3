// Attack class: hostile JSON — invalid syntax, deep nesting, huge arrays, prototype-poisoning
// keys (also \u-escaped), invalid UTF-8. Each is refused with its code before JSON.parse builds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, codeOf, type Stack } from '../helpers.js';

let s: Stack;
before(async () => {
  s = await startStack({ routes: `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 8mb, maxJsonArrayLength: 10000 }
` });
});
after(async () => { await s.close(); });

async function send(body: string | Buffer): Promise<{ status: number; code: string | undefined }> {
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` }, body });
  return { status: r.status, code: codeOf(r) };
}

const msg = '"messages":[{"role":"user","content":"hi"}]';

const cases: [string, string | Buffer, string][] = [
  ['invalid JSON', '{"messages": [', 'MG_JSON_INVALID'],
  ['trailing garbage', `{${msg}} x`, 'MG_JSON_INVALID'],
  ['NaN literal', `{${msg},"temperature":NaN}`, 'MG_JSON_INVALID'],
  ['nesting depth 10,000', `{${msg},"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'MG_JSON_TOO_DEEP'],
  ['unclosed nesting 100,000', '['.repeat(100_000), 'MG_JSON_TOO_DEEP'],
  ['an array of 1,000,000 elements', `{${msg},"x":[${'0,'.repeat(999_999)}0]}`, 'MG_JSON_ARRAY_TOO_LONG'],
  ['an object with 100,000 keys', `{${msg},"x":{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":0`).join(',')}}}`, 'MG_JSON_TOO_MANY_KEYS'],
  ['a __proto__ key', `{${msg},"__proto__":{"admin":true}}`, 'MG_JSON_FORBIDDEN_KEY'],
  ['a nested __proto__ key', `{"messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}`, 'MG_JSON_FORBIDDEN_KEY'],
  ['a \\u-escaped __proto__ key', `{${msg},"\\u005f\\u005fproto\\u005f\\u005f":{"x":1}}`, 'MG_JSON_FORBIDDEN_KEY'],
  ['a constructor key', `{${msg},"constructor":{"prototype":{"x":1}}}`, 'MG_JSON_FORBIDDEN_KEY'],
  ['a string of 2 MB', `{${msg},"user":"${'a'.repeat(2_000_000)}"}`, 'MG_JSON_STRING_TOO_LONG'],
  ['invalid UTF-8', Buffer.concat([Buffer.from(`{"messages":[{"role":"user","content":"`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]), 'MG_BODY_INVALID_UTF8'],
  ['overlong UTF-8 encoding of "/"', Buffer.concat([Buffer.from(`{"messages":[{"role":"user","content":"`), Buffer.from([0xc0, 0xaf]), Buffer.from('"}]}')]), 'MG_BODY_INVALID_UTF8'],
  ['UTF-8 encoded surrogate', Buffer.concat([Buffer.from(`{"messages":[{"role":"user","content":"`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]}')]), 'MG_BODY_INVALID_UTF8'],
  ['a JSON array at the top', `[{${msg}}]`, 'MG_REQUEST_INVALID'],
  ['a JSON string at the top', '"hello"', 'MG_REQUEST_INVALID'],
];

for (const [name, body, code] of cases) {
  test(`${name} → ${code}, not forwarded`, async () => {
    const r = await send(body);
    assert.equal(r.code, code);
    assert.equal(r.status, 400);
    assert.equal(s.sim.requests.length, 0);
  });
}

test('a "constructor" inside a string value is fine', async () => {
  const r = await send(`{"messages":[{"role":"user","content":"what does a constructor do? __proto__ too"}],"max_tokens":5}`);
  assert.equal(r.status, 200);
  assert.equal(s.sim.requests.length, 1);
  s.sim.reset();
});

test('duplicate keys: the upstream receives exactly the value modelgate validated', async () => {
  const r = await send(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":99999,"max_tokens":5}`);
  assert.equal(r.status, 200);
  const seen = JSON.parse(s.sim.requests.at(-1)?.body ?? '{}') as { max_tokens: number };
  assert.equal(seen.max_tokens, 5);
  const bad = await send(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":5,"max_tokens":99999}`);
  assert.equal(bad.code, 'MG_MAX_TOKENS_TOO_LARGE');
  assert.equal(s.sim.requests.length, 1);
  s.sim.reset();
});
