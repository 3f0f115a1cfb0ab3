// Streaming: events reach the client as the upstream produces them (no buffering), and a
// client that disconnects aborts the upstream request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, bearer, sleep, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack({ sim: { eventDelayMs: 100 } }); });
after(async () => { await s.close(); });

test('the first event reaches the client long before the last is produced', async () => {
  const t0 = performance.now();
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(s.key) },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'count' }], max_tokens: 10, stream: true }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let firstAt = -1;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (firstAt < 0 && dec.decode(value).includes('data:')) firstAt = performance.now() - t0;
    text += dec.decode(value);
  }
  const lastAt = performance.now() - t0;
  // 12 events at 100 ms apart: the last comes ≥ 1 s after the first.
  // (Relative bounds: absolute ones flake on a loaded 2-core machine.)
  assert.ok(firstAt >= 0 && firstAt < lastAt / 2, `first event after ${firstAt} ms, last after ${lastAt} ms`);
  assert.ok(lastAt - firstAt > 800, `first at ${firstAt} ms, last at ${lastAt} ms`);
  assert.ok(text.trimEnd().endsWith('data: [DONE]'));
});

test('a client that disconnects mid-stream aborts the upstream request', async () => {
  const ac = new AbortController();
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    signal: ac.signal,
    headers: { 'content-type': 'application/json', ...bearer(s.key) },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'long story' }], max_tokens: 200, stream: true }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  assert.equal(s.sim.inFlight, 1);
  ac.abort();
  for (let i = 0; i < 50 && s.sim.inFlight > 0; i++) await sleep(20);
  assert.equal(s.sim.inFlight, 0, 'the upstream request was aborted');
});
