// Attack class: steering the model server through forwarded request headers and the query string
// (method/URL overrides, identity claims, spoofed client addresses, debug parameters). Headers
// cross by allow-list; the gateway sets X-Forwarded-For/-Proto itself; the query is dropped unless
// the route forwards it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, bearer, chat, type Stack } from '../helpers.js';

let s: Stack;
before(async () => {
  s = await startStack({
    routes: `
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm, forwardHeaders: [X-Tenant, x-forwarded-user, x-http-method-override, authorization], forwardQuery: true }
`,
  });
});
after(async () => { await s.close(); });

const HOSTILE: Record<string, string> = {
  'x-http-method-override': 'DELETE',
  'x-http-method': 'DELETE',
  'x-method-override': 'DELETE',
  'x-original-url': '/admin/shutdown',
  'x-rewrite-url': '/admin/shutdown',
  'x-forwarded-user': 'admin',
  'x-forwarded-email': 'root@example.com',
  'x-forwarded-groups': 'admins',
  'x-remote-user': 'admin',
  'x-forwarded-host': 'internal.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-for': '10.0.0.1',
  'x-real-ip': '10.0.0.1',
  forwarded: 'for=10.0.0.1;proto=https',
  'x-tenant': 'not-on-this-route',
  'x-debug': '1',
};

const SAFE: Record<string, string> = {
  accept: 'application/json',
  'user-agent': 'test-agent/1.0',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'vendor=abc',
};

test('override, identity and unknown headers never reach the model server; the allow-list does', async () => {
  s.sim.reset();
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { ...bearer(s.key), 'content-type': 'application/json', ...HOSTILE, ...SAFE }, body: JSON.stringify(chat('hi')) });
  assert.equal(r.status, 200);
  const seen = s.sim.requests.at(-1)?.headers ?? {};
  for (const name of Object.keys(HOSTILE)) {
    if (name === 'x-forwarded-for' || name === 'x-forwarded-proto') continue;
    assert.equal(seen[name], undefined, `${name} was forwarded`);
  }
  for (const [name, value] of Object.entries(SAFE)) assert.equal(seen[name], value, `${name} not forwarded`);
  assert.equal(seen['content-type'], 'application/json');
  assert.equal(seen['x-forwarded-for'], '127.0.0.1', 'set by the gateway, not the client');
  assert.equal(seen['x-forwarded-proto'], 'http', 'the scheme the gateway was reached on');
  assert.equal(seen['x-request-id'], r.headers['x-request-id']);
  assert.equal(seen['accept-encoding'], 'identity');
  assert.equal(seen.authorization, undefined);
});

test('a route\'s forwardHeaders adds its headers, but never override, identity or credential ones', async () => {
  s.sim.reset();
  const r = await rawRequest(s.url, {
    path: '/v1/completions',
    headers: { ...bearer(s.key), 'content-type': 'application/json', ...HOSTILE },
    body: JSON.stringify({ model: 'sim-llm', prompt: 'hi', max_tokens: 4 }),
  });
  assert.equal(r.status, 200);
  const seen = s.sim.requests.at(-1)?.headers ?? {};
  assert.equal(seen['x-tenant'], 'not-on-this-route');
  for (const name of ['x-forwarded-user', 'x-http-method-override', 'authorization', 'x-debug']) assert.equal(seen[name], undefined, `${name} was forwarded`);
});

test('a header the Connection header names is not forwarded even when allowed', async () => {
  s.sim.reset();
  const r = await rawRequest(s.url, {
    path: '/v1/chat/completions',
    headers: { ...bearer(s.key), 'content-type': 'application/json', connection: 'keep-alive, user-agent', 'user-agent': 'hop' },
    body: JSON.stringify(chat('hi')),
  });
  assert.equal(r.status, 200);
  assert.equal(s.sim.requests.at(-1)?.headers['user-agent'], undefined);
});

test('the query string is dropped unless the route sets forwardQuery', async () => {
  s.sim.reset();
  const a = await rawRequest(s.url, { path: '/v1/chat/completions?api-version=1&debug=true', headers: { ...bearer(s.key), 'content-type': 'application/json' }, body: JSON.stringify(chat('hi')) });
  assert.equal(a.status, 200);
  assert.equal(s.sim.requests.at(-1)?.path, '/v1/chat/completions');
  const b = await rawRequest(s.url, { path: '/v1/completions?api-version=1', headers: { ...bearer(s.key), 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sim-llm', prompt: 'hi', max_tokens: 4 }) });
  assert.equal(b.status, 200);
  assert.equal(s.sim.requests.at(-1)?.path, '/v1/completions?api-version=1');
});
