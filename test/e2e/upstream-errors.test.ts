// Upstream errors do not leak: a model server's 4xx body reaches the client only as the OpenAI
// error fields, its message filtered (or generic), without stack traces, internal addresses or
// keys; 5xx and auth failures become 502 MG_UPSTREAM_ERROR; nothing of a body is logged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { startStack, bearer, post, codeOf, type RawResponse, type Stack } from '../helpers.js';
import { LEAKED_IP, LEAKED_KEY } from '../../src/simulator/large.js';

const ROUTES = `
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
  - path: /safe/v1/chat/completions
    protocol: openai-chat
    upstream: llm
    output: { redact: [email] }
  - path: /raw/v1/chat/completions
    protocol: openai-chat
    upstream: raw
    output: { redact: [email] }
  - { path: /bare/v1/chat/completions, protocol: openai-chat, upstream: raw }
`;

/** What the raw upstream answers next. */
let next: { status: number; headers: Record<string, string>; body: string } = { status: 400, headers: {}, body: '' };
let rawServer: Server;
let s: Stack;

before(async () => {
  rawServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body);
    });
  });
  await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
  const port = (rawServer.address() as AddressInfo).port;
  s = await startStack({ routes: ROUTES, upstream: `  raw:\n    targets: ["http://127.0.0.1:${port}"]`, sim: { mode: 'error-400' } });
});
after(async () => {
  await s.close();
  await new Promise<void>((r) => rawServer.close(() => r()));
});

const body = { model: 'sim-llm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 };
const LEAKS = [LEAKED_KEY, 'sk-', LEAKED_IP, 'Traceback', '/opt/vllm', 'gpu-node', 'serving_chat', 'OPENAI_API_KEY', '<script>'];

function assertNoLeak(r: RawResponse | string, where: string): void {
  const text = typeof r === 'string' ? r : r.body;
  for (const leak of LEAKS) assert.ok(!text.includes(leak), `${where} contains ${leak}: ${text}`);
}

function errorOf(r: RawResponse): { message: string; type: unknown; code: unknown; param: unknown } {
  return (r.json as { error: { message: string; type: unknown; code: unknown; param: unknown } }).error;
}

function assertOurs(r: RawResponse): void {
  assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal((r.json as { request_id?: string }).request_id, r.headers['x-request-id']);
}

test('a 400 with a stack trace, an internal IP and an sk- key: the client sees none of them (route without output protection: generic message)', async () => {
  const logsBefore = s.logs.length;
  const r = await post(s.url, '/v1/chat/completions', body, bearer(s.key));
  assert.equal(r.status, 400, 'the status class is kept');
  assertNoLeak(r, 'response');
  assertOurs(r);
  const e = errorOf(r);
  assert.equal(e.message, 'The model server refused the request');
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.code, 'bad_prompt');
  assert.equal(e.param, null, 'a param that is not a plain token is dropped');
  const logged = s.logs.slice(logsBefore);
  assertNoLeak(logged.join(''), 'log');
  assert.ok(logged.some((l) => l.includes('"kind":"refused"') && l.includes('"status":400') && /"bodyLength":\d+/.test(l)), 'status and length are logged');
});

test('with output protection the first line is kept, filtered, and its key and address redacted', async () => {
  const r = await post(s.url, '/safe/v1/chat/completions', body, bearer(s.key));
  assert.equal(r.status, 400);
  assertNoLeak(r, 'response');
  assertOurs(r);
  assert.equal(errorOf(r).message, 'Invalid prompt: worker [REDACTED:ip_address]:8000 rejected the request (auth [REDACTED:api_key])');
});

test('the official client gets a typed BadRequestError with nothing of the leak', async () => {
  const client = new OpenAI({ apiKey: s.key, baseURL: `${s.url}/safe/v1`, maxRetries: 0 });
  await assert.rejects(client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'hi' }] }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.ok(!JSON.stringify(err.error).includes(LEAKED_KEY) && !err.message.includes(LEAKED_IP), err.message);
    return true;
  });
});

test('a non-JSON error body becomes the generic MG_UPSTREAM_ERROR body, with the upstream status', async () => {
  next = { status: 422, headers: { 'content-type': 'text/html' }, body: `<html><pre>Traceback at ${LEAKED_IP} ${LEAKED_KEY}</pre></html>` };
  const r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
  assert.equal(r.status, 422);
  assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assertNoLeak(r, 'response');
  assertOurs(r);
});

test('JSON that is not an error shape, and an error body over 64 KB, become generic too', async () => {
  for (const b of [JSON.stringify({ detail: `at ${LEAKED_IP}` }), JSON.stringify({ error: { message: `x ${'y'.repeat(70_000)} ${LEAKED_KEY}` } }), '[1,2]']) {
    next = { status: 400, headers: {}, body: b };
    const r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
    assert.equal(r.status, 400);
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
    assertNoLeak(r, 'response');
  }
});

test('a long message is cut to 1 KB; odd type/param/code become null; our own codes are never echoed', async () => {
  next = { status: 400, headers: {}, body: JSON.stringify({ error: { message: 'é'.repeat(3000), type: 'a b', param: 'x'.repeat(65), code: 'MG_AUTH_INVALID' } }) };
  const r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
  const e = errorOf(r);
  assert.ok(Buffer.byteLength(e.message) <= 1024 && e.message.length >= 500, `${Buffer.byteLength(e.message)} bytes`);
  assert.ok(!e.message.includes('\uFFFD'), 'cut on a character boundary');
  assert.deepEqual([e.type, e.param, e.code], [null, null, null]);
});

test('KServe ({error: "…"}) and TorchServe ({message, code}) error shapes keep a filtered first line', async () => {
  next = { status: 400, headers: {}, body: JSON.stringify({ error: `unexpected shape for input x from ${LEAKED_IP}\nstack…` }) };
  let r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
  assert.equal(errorOf(r).message, 'unexpected shape for input x from [REDACTED:ip_address]');
  next = { status: 404, headers: {}, body: JSON.stringify({ code: 404, type: 'ModelNotFoundException', message: 'Model not found: resnet' }) };
  r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
  assert.equal(r.status, 404);
  assert.deepEqual(errorOf(r), { message: 'Model not found: resnet', type: 'ModelNotFoundException', code: '404', param: null });
  r = await post(s.url, '/bare/v1/chat/completions', body, bearer(s.key));
  assert.equal(errorOf(r).message, 'The model server refused the request', 'no output protection: generic');
});

test('429 keeps a numeric Retry-After; 401/403/407 and 5xx become 502 MG_UPSTREAM_ERROR', async () => {
  next = { status: 429, headers: { 'retry-after': '7', server: 'vllm/0.6 (gpu-node-7.internal)' }, body: JSON.stringify({ error: { message: 'busy', type: 'rate_limit', code: null } }) };
  let r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '7');
  assert.equal(r.headers['server'], undefined);
  for (const status of [401, 403, 407, 500, 503]) {
    next = { status, headers: {}, body: JSON.stringify({ error: { message: `bad upstream key ${LEAKED_KEY}` } }) };
    r = await post(s.url, '/raw/v1/chat/completions', body, bearer(s.key));
    assert.equal(r.status, 502, String(status));
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
    assertNoLeak(r, 'response');
    assertOurs(r);
  }
  const logged = s.logs.filter((l) => l.includes('"kind":"status"'));
  assert.ok(logged.length >= 5 && logged.every((l) => /"bodyLength":\d+/.test(l) && !l.includes(LEAKED_KEY)), 'status and length logged, never the body');
});
