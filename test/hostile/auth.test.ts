// Attack class: missing, wrong and malformed credentials. Each is refused with 401 and its code,
// and the model server never sees the request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, chat, codeOf, bearer, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack(); });
after(async () => { await s.close(); });

test('no key → 401 MG_AUTH_MISSING', async () => {
  const r = await post(s.url, '/v1/chat/completions', chat('hi'));
  assert.equal(r.status, 401);
  assert.equal(codeOf(r), 'MG_AUTH_MISSING');
  assert.equal(s.sim.requests.length, 0);
});

test('wrong key (Bearer and X-API-Key) → 401 MG_AUTH_INVALID', async () => {
  for (const headers of [bearer('mg_wrong_wrong_wrong_wrong'), { 'x-api-key': 'mg_wrong_wrong_wrong_wrong' }, { 'x-api-key': s.key.slice(0, -1) }]) {
    const r = await post(s.url, '/v1/chat/completions', chat('hi'), headers);
    assert.equal(r.status, 401);
    assert.equal(codeOf(r), 'MG_AUTH_INVALID');
  }
  assert.equal(s.sim.requests.length, 0);
});

test('malformed Authorization (Basic, empty bearer, oversized) → 401 MG_AUTH_INVALID', async () => {
  for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer ', 'Bearer a b', `Bearer ${'x'.repeat(2000)}`]) {
    const r = await post(s.url, '/v1/chat/completions', chat('hi'), { authorization });
    assert.equal(r.status, 401, authorization.slice(0, 20));
    assert.equal(codeOf(r), 'MG_AUTH_INVALID');
  }
  assert.equal(s.sim.requests.length, 0);
});

test('the right key in either header passes; the error body never echoes the key', async () => {
  const a = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
  const b = await post(s.url, '/v1/chat/completions', chat('hi'), { 'x-api-key': s.key });
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  const bad = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(`${s.key}x`));
  assert.ok(!bad.body.includes(s.key));
  assert.ok(!s.logs.join('').includes(s.key), 'the key never reaches the log');
});
