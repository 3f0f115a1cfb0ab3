// GPU-slot admission: the upstream never sees more than maxConcurrent at once, a full queue
// refuses at once with Retry-After, and the queue is fair across keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { startStack, post, bearer, chat, codeOf } from '../helpers.js';

test('maxConcurrent 2, queue 3: ten slow requests → at most 2 at once, 5 served, 5 refused at once', async () => {
  const s = await startStack({ sim: { msPerToken: 100 }, upstream: '    maxConcurrent: 2\n    queue: { size: 3, timeout: 10s }' });
  try {
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 10 }, async () => {
      const r = await post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 5 }), bearer(s.key));
      return { status: r.status, code: codeOf(r), retry: r.headers['retry-after'], at: Date.now() - t0 };
    }));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    assert.equal(ok.length, 5);
    assert.equal(refused.length, 5);
    const firstServed = Math.min(...ok.map((r) => r.at));
    for (const r of refused) {
      assert.equal(r.code, 'MG_QUEUE_FULL');
      assert.ok(Number(r.retry) >= 1);
      assert.ok(r.at < firstServed, `refused at once (${r.at} ms), before the first request was served (${firstServed} ms)`);
    }
    assert.equal(s.sim.maxInFlightSeen <= 2, true, `upstream saw ${s.sim.maxInFlightSeen} at once`);
    assert.equal(s.sim.requests.length, 5);
  } finally { await s.close(); }
});

test('a wait longer than queue.timeout → 503 MG_QUEUE_TIMEOUT with Retry-After', async () => {
  const s = await startStack({ sim: { msPerToken: 100 }, upstream: '    maxConcurrent: 1\n    queue: { size: 5, timeout: 200ms }' });
  try {
    const [a, b] = await Promise.all([
      post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 5 }), bearer(s.key)),
      post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 5 }), bearer(s.key)),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 503]);
    const late = a.status === 503 ? a : b;
    assert.equal(codeOf(late), 'MG_QUEUE_TIMEOUT');
    assert.ok(late.headers['retry-after']);
  } finally { await s.close(); }
});

// Slow requests (0.5 s each) keep the time B spends in transit to the queue small next to the
// service time, so the order the upstream sees reflects the queue's order, not network timing.
test('fairness: key A floods 200, key B sends 5; all of B is served, each behind at most maxConcurrent of A', async () => {
  const s = await startStack({ sim: { msPerToken: 125 }, extraKeys: { A: null, B: null }, upstream: '    maxConcurrent: 8\n    queue: { size: 40, timeout: 30s }' });
  try {
    const send = (key: string, tag: string): Promise<number> => post(s.url, '/v1/chat/completions', chat(tag, { max_tokens: 4 }), bearer(key)).then((r) => r.status);
    const flood = Array.from({ length: 200 }, (_, i) => send(s.keys.A as string, `A${i}`));
    // A's flood fills the slots and the queue first.
    const gpu = s.gw.admissions.get('llm');
    for (let i = 0; i < 300 && (gpu?.queueLength ?? 0) < 38; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok((gpu?.queueLength ?? 0) >= 38, 'the queue is (nearly) full of A');
    const sentAt = s.sim.requests.length;
    const bs = await Promise.all(Array.from({ length: 5 }, (_, i) => send(s.keys.B as string, `B${i}`)));
    await Promise.all(flood);
    assert.deepEqual(bs, [200, 200, 200, 200, 200]);
    // Upstream arrival order after B was sent: count A's admitted before each B.
    const order = s.sim.requests.slice(sentAt).map((q) => (q.body.includes('"content":"B') ? 'B' : 'A'));
    let aSeen = 0;
    for (const who of order) {
      if (who === 'A') aSeen++;
      else {
        assert.ok(aSeen <= 8, `a B request waited behind ${aSeen} of A's (order ${order.join('')})`);
        aSeen = 0;
      }
    }
    assert.ok(s.sim.maxInFlightSeen <= 8);
  } finally { await s.close(); }
});

test('the GPU slot is freed when the model server has answered, not when a slow client has read it', async () => {
  // One slot; the answer (~40 MB) is more than the socket buffers hold, and client A does not read it.
  const s = await startStack({ sim: { responseText: 'lorem '.repeat(7_000_000), splitEvery: 1_000_000 }, upstream: '    maxConcurrent: 1\n    queue: { size: 5, timeout: 3s }', routes: `
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, limits: { maxTokens: 2000000 } }
` });
  const u = new URL(s.url);
  let stalled: ClientRequest | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      stalled = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...bearer(s.key) } }, (res) => {
        res.pause(); // never read: the gateway's write to A stays blocked
        resolve();
      });
      stalled.on('error', reject);
      stalled.end(JSON.stringify(chat('hi', { max_tokens: 2_000_000 })));
    });
    s.sim.options.responseText = 'ok';
    s.sim.options.splitEvery = 0;
    const b = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
    assert.equal(b.status, 200, `B was not served while A's answer sat unread (${codeOf(b) ?? ''})`);
  } finally {
    (stalled as ClientRequest | null)?.destroy();
    await s.close();
  }
});
