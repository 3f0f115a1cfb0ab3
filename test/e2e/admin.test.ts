// The admin listener: health, readiness and metrics on their own port; none of it on the
// public one; metrics count requests by route and status and rejections by code, with no secrets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, bearer, chat, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack({ server: 'hsts: true' }); });
after(async () => { await s.close(); });

test('healthz, readyz and metrics answer on the admin port only', async () => {
  assert.equal((await fetch(`${s.gw.adminUrl}/healthz`)).status, 200);
  assert.equal((await fetch(`${s.gw.adminUrl}/readyz`)).status, 200);
  for (const p of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(s.url + p)).status, 404, p);
  assert.notEqual(new URL(s.url).port, new URL(s.gw.adminUrl).port);
});

test('metrics count requests by route and status and rejections by code, never keys or prompts', async () => {
  await post(s.url, '/v1/chat/completions', chat('the secret prompt text'), bearer(s.key));
  await post(s.url, '/v1/chat/completions', chat('hi'));
  await post(s.url, '/nope', chat('hi'), bearer(s.key));
  const text = await (await fetch(`${s.gw.adminUrl}/metrics`)).text();
  assert.match(text, /modelgate_requests_total\{route="\/v1\/chat\/completions",status="200"\} 1/);
  assert.match(text, /modelgate_requests_total\{route="\/v1\/chat\/completions",status="401"\} 1/);
  assert.match(text, /modelgate_rejections_total\{route="\/v1\/chat\/completions",code="MG_AUTH_MISSING"\} 1/);
  assert.match(text, /modelgate_rejections_total\{route="\(none\)",code="MG_ROUTE_NOT_FOUND"\} 4/); // 3 from the test above
  assert.match(text, /modelgate_request_duration_seconds_bucket/);
  assert.ok(!text.includes(s.key) && !text.includes('secret prompt'));
});

test('HSTS is sent when configured', async () => {
  const r = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
  assert.match(String(r.headers['strict-transport-security']), /max-age=/);
});

test('the access log has the key id, never the key or prompt text', async () => {
  await post(s.url, '/v1/chat/completions', chat('my very private prompt'), bearer(s.key));
  const log = s.logs.join('');
  assert.match(log, /"keyId":"test-key"/);
  assert.ok(!log.includes(s.key));
  assert.ok(!log.includes('very private'));
  assert.ok(!log.includes('Bearer'));
});

test('the admin API: 404 without a configured token, 401 with a wrong one, the view without secrets with the right one', async () => {
  assert.equal((await fetch(`${s.gw.adminUrl}/admin/config`, { headers: { authorization: 'Bearer anything' } })).status, 404);
  const token = 'admin-token-for-the-test-0123456789';
  const t = await startStack({ admin: `token: "${token}"` });
  try {
    const url = `${t.gw.adminUrl}/admin/config`;
    assert.equal((await fetch(url)).status, 401);
    const wrong = await fetch(url, { headers: { authorization: `Bearer ${token}x` } });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'MG_AUTH_INVALID');
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const body = await ok.text();
    assert.match(body, /"id":"test-key"/);
    assert.ok(!body.includes(token) && !body.includes('sha256:'), 'no token, no hash');
  } finally {
    await t.close();
  }
});
