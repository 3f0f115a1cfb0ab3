// Attack class: pipelining around `Connection: close` (request smuggling's cousin). A request
// pipelined after a closing response must never reach the model server nor be answered, bytes
// drained after an early refusal are never parsed as a request, and a parser error on pipelined
// bytes is never written ahead of an earlier request's pending response. Raw sockets throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, bearer, chat, type Stack } from '../helpers.js';
import { exchange, jsonPost } from '../wire-client.js';

let s: Stack;
before(async () => { s = await startStack(); });
after(async () => { await s.close(); });

const PATH = '/v1/chat/completions';
const body = JSON.stringify(chat('hi'));

test('a request pipelined after a client Connection: close is neither forwarded nor answered', async () => {
  s.sim.reset();
  const r = await exchange(s.url, jsonPost(PATH, body, { ...bearer(s.key), connection: 'close' }) + jsonPost(PATH, body, bearer(s.key)));
  assert.equal(r.responses.length, 1, r.text);
  assert.equal(r.responses[0]?.status, 200);
  assert.equal(r.responses[0]?.headers.connection, 'close');
  assert.equal(s.sim.requests.length, 1);
});

test('bytes drained after an early 413 are never parsed as a request', async () => {
  s.sim.reset();
  // Declared 200 KB on a 100 kb route: refused before the body is read, with Connection: close;
  // the body and the request smuggled behind it are read and discarded, never parsed.
  const big = 'x'.repeat(200 * 1024);
  const smuggled = jsonPost(PATH, body, bearer(s.key));
  const r = await exchange(s.url, [jsonPost(PATH, big, bearer(s.key)), smuggled, smuggled]);
  assert.equal(r.responses.length, 1, r.text.slice(0, 500));
  const first = r.responses[0];
  assert.equal(first?.status, 413);
  assert.equal(first?.json?.error?.code, 'MG_BODY_TOO_LARGE');
  assert.equal(first?.headers.connection, 'close');
  assert.match(first?.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(r.error, null, 'closed cleanly, not reset');
  assert.equal(s.sim.requests.length, 0);
});

test('a parser error on pipelined bytes is not written ahead of the pending response', async () => {
  s.sim.reset();
  s.sim.options.msPerToken = 20;
  try {
    const r = await exchange(s.url, jsonPost(PATH, body, bearer(s.key)) + 'GARBAGE \x01\r\n\r\n');
    assert.equal(r.responses.length, 1, r.text);
    const first = r.responses[0];
    assert.equal(first?.status, 200, 'the first request is answered first');
    assert.equal(first?.headers.connection, 'close', 'and the connection closes after it');
    assert.ok(!r.text.includes('MG_BAD_REQUEST'));
    assert.equal(s.sim.requests.length, 1);
  } finally { s.sim.options.msPerToken = 0; }
});

test('pipelined keep-alive requests are answered in order, one after the other', async () => {
  s.sim.reset();
  const r = await exchange(s.url, [
    jsonPost(PATH, JSON.stringify(chat('one')), bearer(s.key)),
    jsonPost(PATH, JSON.stringify(chat('two')), { authorization: 'Bearer wrong' }),
    jsonPost(PATH, JSON.stringify(chat('three')), { ...bearer(s.key), connection: 'close' }),
  ]);
  assert.deepEqual(r.responses.map((x) => x.status), [200, 401, 200]);
  assert.deepEqual(r.responses.map((x) => x.headers['x-request-id']).filter((id) => id !== undefined).length, 3);
  assert.equal(s.sim.requests.length, 2);
  assert.ok(s.sim.requests[0]?.body.includes('one') && s.sim.requests[1]?.body.includes('three'));
});
