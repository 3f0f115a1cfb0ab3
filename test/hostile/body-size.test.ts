// Attack class: oversized bodies — declared, chunked (no Content-Length), and lying lengths.
// The cap counts the bytes that actually arrive; the upstream never sees an oversized body.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, codeOf, chat, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack(); });
after(async () => { await s.close(); });

const headers = (key: string): Record<string, string> => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });

test('Content-Length over the cap → 413 before the body is read', async () => {
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { ...headers(s.key), 'content-length': String(200 * 1024) }, body: '{' });
  assert.equal(r.status, 413);
  assert.equal(codeOf(r), 'MG_BODY_TOO_LARGE');
  assert.equal(r.headers.connection, 'close');
  assert.equal(s.sim.requests.length, 0);
});

test('chunked body over the cap → 413 MG_BODY_TOO_LARGE', async () => {
  const big = JSON.stringify(chat('a'.repeat(150 * 1024)));
  const parts: string[] = [];
  for (let i = 0; i < big.length; i += 8192) parts.push(big.slice(i, i + 8192));
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { ...headers(s.key), 'transfer-encoding': 'chunked' }, body: parts });
  assert.equal(r.status, 413);
  assert.equal(codeOf(r), 'MG_BODY_TOO_LARGE');
  assert.equal(s.sim.requests.length, 0);
});

test('a chunked body under the cap passes', async () => {
  const body = JSON.stringify(chat('hello'));
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { ...headers(s.key), 'transfer-encoding': 'chunked' }, body: [body.slice(0, 10), body.slice(10)] });
  assert.equal(r.status, 200);
  assert.equal(s.sim.requests.length, 1);
  s.sim.reset();
});

test('wrong content type → 415, not forwarded', async () => {
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
    const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { ...headers(s.key), 'content-type': ct }, body: JSON.stringify(chat('hi')) });
    assert.equal(r.status, 415, ct);
    assert.equal(codeOf(r), 'MG_UNSUPPORTED_MEDIA_TYPE');
  }
  const none = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { authorization: `Bearer ${s.key}` }, body: JSON.stringify(chat('hi')) });
  assert.equal(none.status, 415);
  assert.equal(s.sim.requests.length, 0);
});

test('an empty body → 400 MG_JSON_INVALID', async () => {
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: { ...headers(s.key), 'content-length': '0' } });
  assert.equal(r.status, 400);
  assert.equal(codeOf(r), 'MG_JSON_INVALID');
  assert.equal(s.sim.requests.length, 0);
});
