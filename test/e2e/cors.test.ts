// CORS with configured origins only: allowed origins get headers, others are refused, preflights
// answer only for listed origins and methods.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, post, bearer, chat, codeOf, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack({ server: 'cors: { origins: ["https://app.example.com"] }' }); });
after(async () => { await s.close(); });

test('an allowed origin gets Access-Control-Allow-Origin, on errors too', async () => {
  const ok = await post(s.url, '/v1/chat/completions', chat('hi'), { ...bearer(s.key), origin: 'https://app.example.com' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
  const err = await post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 1e6 }), { ...bearer(s.key), origin: 'https://app.example.com' });
  assert.equal(err.status, 400);
  assert.equal(err.headers['access-control-allow-origin'], 'https://app.example.com');
});

test('another origin is refused with 403 and not forwarded', async () => {
  s.sim.reset();
  const r = await post(s.url, '/v1/chat/completions', chat('hi'), { ...bearer(s.key), origin: 'https://evil.example.net' });
  assert.equal(r.status, 403);
  assert.equal(codeOf(r), 'MG_CORS_ORIGIN_DENIED');
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  assert.equal(s.sim.requests.length, 0);
});

test('preflight: listed origin → 204 with methods; other origin → 403', async () => {
  const ok = await rawRequest(s.url, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.match(String(ok.headers['access-control-allow-methods']), /POST/);
  const bad = await rawRequest(s.url, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' } });
  assert.equal(bad.status, 403);
  assert.equal(bad.headers['access-control-allow-origin'], undefined);
});
