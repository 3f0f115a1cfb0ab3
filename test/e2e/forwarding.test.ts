// What crosses the gateway: credentials and hop-by-hop headers never reach the model server;
// the body it receives is what was validated; upstream failures never reach the client as they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, post, bearer, chat, codeOf, sleep, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack({ upstream: '    connectTimeout: 1s' }); });
after(async () => { await s.close(); });

test('the upstream never receives X-API-Key, Authorization, cookies or hop-by-hop headers', async () => {
  const body = JSON.stringify(chat('hi'));
  for (const auth of [{ authorization: `Bearer ${s.key}` }, { 'x-api-key': s.key }] as Record<string, string>[]) {
    const r = await rawRequest(s.url, {
      path: '/v1/chat/completions',
      headers: {
        ...auth, 'content-type': 'application/json', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': '1',
        'keep-alive': 'timeout=5', te: 'trailers', cookie: 'session=abc', 'x-forwarded-for': '1.2.3.4', 'proxy-authorization': 'Basic eA==', 'x-custom': 'dropped',
      },
      body,
    });
    assert.equal(r.status, 200);
    const h = s.sim.requests.at(-1)?.headers ?? {};
    for (const name of ['authorization', 'x-api-key', 'cookie', 'keep-alive', 'te', 'x-secret-hop', 'proxy-authorization', 'x-custom']) {
      assert.equal(h[name], undefined, `${name} was forwarded`);
    }
    assert.equal(h['x-forwarded-for'], '127.0.0.1', 'the client-supplied chain is replaced by the address the gateway saw');
    assert.equal(h['x-request-id'], r.headers['x-request-id']);
    assert.ok(!JSON.stringify(h).includes(s.key));
  }
  s.sim.reset();
});

test('responses carry x-request-id; upstream banners are not relayed', async () => {
  const r = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
  assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(r.headers['server'], undefined);
  s.sim.reset();
});

test('an upstream 500 with a stack trace becomes a generic 502', async () => {
  s.sim.options.mode = 'error-500';
  try {
    const r = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
    assert.equal(r.status, 502);
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
    assert.ok(!/Traceback|vllm|CUDA|\.py|10\.0\.3\.17|internal/i.test(r.body), r.body);
    assert.ok(!/Traceback|CUDA/.test(s.logs.join('')), 'the upstream body is not logged');
  } finally { s.sim.options.mode = 'normal'; }
});

test('an upstream 503 and a reset connection become 502s', async () => {
  for (const mode of ['error-503', 'reset'] as const) {
    s.sim.options.mode = mode;
    const r = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
    assert.equal(r.status, 502, mode);
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
  }
  s.sim.options.mode = 'normal';
});

test('a hanging upstream becomes 504 MG_UPSTREAM_TIMEOUT after the configured timeout', async () => {
  const t = await startStack({ timeout: '300ms' });
  try {
    t.sim.options.mode = 'hang';
    const t0 = Date.now();
    const r = await post(t.url, '/v1/chat/completions', chat('hi'), bearer(t.key));
    assert.equal(r.status, 504);
    assert.equal(codeOf(r), 'MG_UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - t0 < 3000);
  } finally { await t.close(); }
});

test('a refused connection becomes 502 MG_UPSTREAM_UNREACHABLE with no internals', async () => {
  const t = await startStack();
  await t.sim.close();
  try {
    const r = await post(t.url, '/v1/chat/completions', chat('hi'), bearer(t.key));
    assert.equal(r.status, 502);
    assert.equal(codeOf(r), 'MG_UPSTREAM_UNREACHABLE');
    assert.ok(!/ECONNREFUSED|127\.0\.0\.1/.test(r.body));
  } finally { await t.gw.close(); }
});

test('a stream cut by the upstream ends with an OpenAI-shaped error event', async () => {
  s.sim.options.mode = 'stream-cut';
  try {
    const r = await post(s.url, '/v1/chat/completions', chat('hi', { stream: true, max_tokens: 50 }), bearer(s.key));
    assert.equal(r.status, 200);
    assert.match(r.body, /data: \{"error":\{"message":"The model server failed to answer","type":"api_error","code":"MG_UPSTREAM_ERROR"/);
    assert.ok(!r.body.includes('[DONE]'));
  } finally { s.sim.options.mode = 'normal'; }
});

test('a client that leaves while the upstream thinks aborts the upstream request', async () => {
  s.sim.options.mode = 'hang';
  try {
    const ac = new AbortController();
    const p = fetch(`${s.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json', ...bearer(s.key) }, body: JSON.stringify(chat('hi')) });
    for (let i = 0; i < 50 && s.sim.inFlight === 0; i++) await sleep(10);
    assert.equal(s.sim.inFlight, 1);
    ac.abort();
    await p.catch(() => undefined);
    for (let i = 0; i < 50 && s.sim.inFlight > 0; i++) await sleep(20);
    assert.equal(s.sim.inFlight, 0);
  } finally { s.sim.options.mode = 'normal'; }
});
