// Attack class: reaching the model server outside the configured routes (vLLM's own key check
// once missed /invocations). Deny by default: every unknown method+path is 404 and never forwarded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, codeOf, chat, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack(); });
after(async () => { await s.close(); });

const cases: [string, string][] = [
  ['POST', '/invocations'],
  ['GET', '/metrics'],
  ['GET', '/health'],
  ['GET', '/v1/models'],
  ['POST', '/v1/chat/completions/'],
  ['POST', '/v1//chat/completions'],
  ['POST', '/V1/CHAT/COMPLETIONS'],
  ['POST', '/v1/chat/completions/../../invocations'],
  ['POST', '/v1/chat/%2e%2e/%2e%2e/invocations'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['POST', '/'],
];

for (const [method, path] of cases) {
  test(`${method} ${path} → 404 MG_ROUTE_NOT_FOUND, not forwarded`, async () => {
    const body = method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(chat('hi'));
    const r = await rawRequest(s.url, { method, path, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` } });
    assert.equal(r.status, 404);
    assert.equal(codeOf(r), 'MG_ROUTE_NOT_FOUND');
    assert.ok(typeof r.headers['x-request-id'] === 'string');
    assert.equal(s.sim.requests.length, 0);
  });
}

// A routed path with another method: 405 with Allow (was 404 before issue 10), never forwarded.
for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD']) {
  test(`${method} /v1/chat/completions → 405 MG_METHOD_NOT_ALLOWED with Allow: POST, not forwarded`, async () => {
    const body = method === 'PUT' || method === 'PATCH' ? JSON.stringify(chat('hi')) : undefined;
    const r = await rawRequest(s.url, { method, path: '/v1/chat/completions', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` } });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'POST');
    if (method !== 'HEAD') assert.equal(codeOf(r), 'MG_METHOD_NOT_ALLOWED');
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(s.sim.requests.length, 0);
  });
}

test('a percent-encoded spelling of a route is forwarded as the canonical path', async () => {
  const r = await rawRequest(s.url, { path: '/v1/chat/%63ompletions', body: JSON.stringify(chat('hi')), headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` } });
  if (r.status === 200) {
    assert.equal(s.sim.requests.at(-1)?.path, '/v1/chat/completions');
  } else {
    assert.equal(r.status, 404);
  }
  s.sim.reset();
});
