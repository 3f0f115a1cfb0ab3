// Attack class: malformed and borderline HTTP. Every response the gateway writes itself (parser
// errors, router errors, accept-phase checks) has the OpenAI error shape, a stable code and
// x-request-id, and the model server never sees the request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, bearer, chat, type Stack } from '../helpers.js';
import { collect, exchange, head, jsonPost, openSocket, waitFor, type ParsedResponse } from '../wire-client.js';

const TINY = `
      tiny:
        inputs:
          - { name: x, datatype: INT8, shape: [-1, 4] }`;

let s: Stack;
before(async () => {
  s = await startStack({
    server: 'timeouts: { headers: 500ms }, maxHeaderBytes: 64kb',
    routes: `
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, limits: { maxBodyBytes: 100kb } }
  - path: /v2/models/{model}
    protocol: kserve-v2
    upstream: llm
    methods: [GET]
    models:${TINY}
`,
  });
});
after(async () => { await s.close(); });

const PATH = '/v1/chat/completions';
const body = JSON.stringify(chat('hi'));

function assertRefusal(r: ParsedResponse | undefined, status: number, code: string): void {
  assert.ok(r !== undefined, 'a response arrived');
  assert.equal(r.status, status, r.body);
  assert.equal(r.json?.error?.code, code);
  assert.equal(typeof r.json?.error?.message, 'string');
  assert.equal(typeof r.json?.error?.type, 'string');
  assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
}

async function one(data: string | (string | Buffer)[], status: number, code: string): Promise<ParsedResponse | undefined> {
  s.sim.reset();
  const r = await exchange(s.url, data);
  assertRefusal(r.responses[0], status, code);
  assert.equal(s.sim.requests.length, 0, 'the model server saw nothing');
  return r.responses[0];
}

test('bad percent-encoding in the path → 400 MG_BAD_REQUEST (was Fastify\'s own body)', async () => {
  const r = await one(jsonPost('/v1/chat/%E0%A4%A', body, bearer(s.key)), 400, 'MG_BAD_REQUEST');
  assert.ok(!r?.body.includes('FST_'));
});

test('a path parameter over the router\'s limit → 414 MG_URI_TOO_LONG (was Fastify\'s own body)', async () => {
  const r = await one(head('GET', `/v2/models/${'m'.repeat(300)}`, bearer(s.key)), 414, 'MG_URI_TOO_LONG');
  assert.ok(!r?.body.includes('FST_'));
});

test('a request target over 8 KB → 414 MG_URI_TOO_LONG, before routing', async () => {
  await one(jsonPost(`${PATH}?q=${'a'.repeat(8200)}`, body, bearer(s.key)), 414, 'MG_URI_TOO_LONG');
});

test('unknown path → 404 MG_ROUTE_NOT_FOUND; routed path, other method → 405 with Allow', async () => {
  await one(jsonPost('/v1/nothing', body, bearer(s.key)), 404, 'MG_ROUTE_NOT_FOUND');
  const r = await one(head('DELETE', PATH, bearer(s.key)), 405, 'MG_METHOD_NOT_ALLOWED');
  assert.equal(r?.headers.allow, 'POST');
});

test('headers not complete in time → 408 MG_HEADERS_TIMEOUT', async () => {
  await one('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n', 408, 'MG_HEADERS_TIMEOUT');
});

test('header block over maxHeaderBytes → 431 MG_HEADERS_TOO_LARGE', async () => {
  await one(jsonPost(PATH, body, { ...bearer(s.key), 'x-big': 'b'.repeat(70 * 1024) }), 431, 'MG_HEADERS_TOO_LARGE');
});

function manyHeaders(n: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < n; i++) h[`x-h${i}`] = '1';
  return h;
}

test('more than server.maxHeaders (100) headers → 431 MG_TOO_MANY_HEADERS; 100 pass', async () => {
  // 97 + host + content-type + content-length + authorization = 101.
  await one(jsonPost(PATH, body, { ...bearer(s.key), ...manyHeaders(97) }), 431, 'MG_TOO_MANY_HEADERS');
  s.sim.reset();
  // 95 + host + content-type + content-length + authorization + connection = 100.
  const ok = await exchange(s.url, jsonPost(PATH, body, { ...bearer(s.key), ...manyHeaders(95), connection: 'close' }));
  assert.equal(ok.responses[0]?.status, 200, ok.text.slice(0, 300));
});

test('2,100 headers cannot hide a Content-Length behind Node\'s header cap → 431', async () => {
  const raw = `POST ${PATH} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${s.key}\r\ncontent-type: application/json\r\n`
    + Object.keys(manyHeaders(2100)).map((k) => `${k}: 1\r\n`).join('') + `content-length: ${body.length}\r\n\r\n${body}`;
  assert.ok(raw.length < 60 * 1024, 'under maxHeaderBytes (64 KB): the count is what refuses it');
  await one(raw, 431, 'MG_TOO_MANY_HEADERS');
});

test('GET and HEAD with a body are refused however framed, routed or not → 400 MG_BODY_NOT_ALLOWED', async () => {
  await one(head('GET', '/v2/models/tiny', { ...bearer(s.key), 'content-length': 2 }) + '{}', 400, 'MG_BODY_NOT_ALLOWED');
  await one(head('GET', '/v2/models/tiny', { ...bearer(s.key), 'transfer-encoding': 'chunked' }) + '2\r\n{}\r\n0\r\n\r\n', 400, 'MG_BODY_NOT_ALLOWED');
  await one(head('GET', '/nowhere', { 'content-length': 5 }) + 'hello', 400, 'MG_BODY_NOT_ALLOWED');
  s.sim.reset();
  const r = await exchange(s.url, head('HEAD', '/v2/models/tiny', { ...bearer(s.key), 'transfer-encoding': 'chunked' }) + '0\r\n\r\n');
  assert.equal(r.responses[0]?.status, 400);
  assert.match(r.responses[0]?.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(s.sim.requests.length, 0);
});

test('HTTP/1.1 without Host → 400 MG_BAD_REQUEST in our shape (not Node\'s bare 400)', async () => {
  await one(`POST ${PATH} HTTP/1.1\r\nauthorization: Bearer ${s.key}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`, 400, 'MG_BAD_REQUEST');
});

test('malformed HTTP and CONNECT → 400 MG_BAD_REQUEST', async () => {
  await one('GARBAGE \x01 NOT HTTP\r\n\r\n', 400, 'MG_BAD_REQUEST');
  await one('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n', 400, 'MG_BAD_REQUEST');
});

test('an Expect other than 100-continue → 417 MG_EXPECTATION_FAILED', async () => {
  await one(jsonPost(PATH, body, { ...bearer(s.key), expect: 'something-else' }), 417, 'MG_EXPECTATION_FAILED');
});

test('Expect: 100-continue with a wrong key: the 401 comes first, never a 100 Continue', async () => {
  s.sim.reset();
  const socket = await openSocket(s.url);
  const done = collect(socket);
  socket.write(head('POST', PATH, { authorization: 'Bearer wrong', 'content-type': 'application/json', 'content-length': 50_000, expect: '100-continue' }));
  const r = await done;
  assert.ok(r.text.startsWith('HTTP/1.1 401'), r.text.slice(0, 100));
  assert.ok(!r.text.includes('100 Continue'));
  assertRefusal(r.responses[0], 401, 'MG_AUTH_INVALID');
  assert.equal(s.sim.requests.length, 0);
});

test('Expect: 100-continue with a declared size over the cap: 413 first, never a 100 Continue', async () => {
  const r = await one(head('POST', PATH, { ...bearer(s.key), 'content-type': 'application/json', 'content-length': 5_000_000, expect: '100-continue' }), 413, 'MG_BODY_TOO_LARGE');
  assert.equal(r?.headers.connection, 'close');
});

test('Expect: 100-continue on a request that passes: 100 Continue, then the answer', async () => {
  s.sim.reset();
  const socket = await openSocket(s.url);
  const done = collect(socket);
  const seen = waitFor(socket, '100 Continue');
  socket.write(head('POST', PATH, { ...bearer(s.key), 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue', connection: 'close' }));
  await seen;
  socket.write(body);
  const r = await done;
  assert.equal(r.responses[0]?.status, 100);
  assert.equal(r.responses[1]?.status, 200);
  assert.equal(s.sim.requests.length, 1);
});
