// GPU-slot admission: the upstream never sees more than maxConcurrent at once, a full queue
// refuses at once with Retry-After, and the queue is fair across keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { startStack, post, bearer, chat, codeOf, type RawResponse, type Stack } from '../helpers.js';
import type { Admission } from '../../src/upstream/admission.js';
import { waitFor } from '../wait.js';

// Order and counts here follow only from events the gateway controls: the test itself holds
// every GPU slot through the gateway's own Admission (so nothing is served until it lets go),
// sends each request only once the queue shows the previous one, and reads the order in which
// the upstream received them. Nothing depends on how fast requests travel or how busy the CPU is.

/** The gateway's admission for upstream `llm`. */
function admissionOf(s: Stack): Admission {
  const gpu = s.gw.admissions.get('llm');
  assert.ok(gpu, 'upstream llm has an admission queue');
  return gpu;
}

/** Takes every free slot of `gpu` for the test; returns the function that gives them back. */
async function holdAllSlots(gpu: Admission): Promise<() => void> {
  const releases = await Promise.all(Array.from({ length: gpu.options.maxConcurrent }, () => gpu.acquire('test-holder', 0)));
  return () => { for (const r of releases) r(); };
}

const send = (s: Stack, key: string, tag: string): Promise<RawResponse> => post(s.url, '/v1/chat/completions', chat(tag, { max_tokens: 4 }), bearer(key));
/** Who sent each request the upstream received, in arrival order ("A", "B", …: the prompt's first letter). */
const arrivals = (s: Stack): string => s.sim.requests.map((q) => (/"content":"([A-Z])/.exec(q.body)?.[1] ?? '?')).join('');

test('maxConcurrent 2, queue 3: ten requests while both slots are busy → 3 wait, 7 refused at once, never more than 2 upstream', async () => {
  const s = await startStack({ sim: { msPerToken: 20 }, upstream: '    maxConcurrent: 2\n    queue: { size: 3, timeout: 60s }' });
  try {
    const gpu = admissionOf(s);
    const letGo = await holdAllSlots(gpu);
    const pending = Array.from({ length: 10 }, () => send(s, s.key, 'hi'));
    const refusedWhileBusy: RawResponse[] = [];
    for (const p of pending) void p.then((r) => { if (r.status !== 200) refusedWhileBusy.push(r); });
    await waitFor(() => refusedWhileBusy.length === 7 && gpu.queueLength === 3, 'seven refusals and three waiting');
    assert.equal(s.sim.requests.length, 0, 'refused without waiting for a slot: the upstream has seen nothing yet');
    for (const r of refusedWhileBusy) {
      assert.equal(r.status, 429);
      assert.equal(codeOf(r), 'MG_QUEUE_FULL');
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    letGo();
    const results = await Promise.all(pending);
    assert.equal(results.filter((r) => r.status === 200).length, 3);
    assert.ok(s.sim.maxInFlightSeen <= 2, `upstream saw ${s.sim.maxInFlightSeen} at once`);
    assert.equal(s.sim.requests.length, 3);
    assert.equal(gpu.slotsInUse, 0);
    assert.equal(gpu.queueLength, 0);
  } finally { await s.close(); }
});

test('a wait longer than queue.timeout → 503 MG_QUEUE_TIMEOUT with Retry-After; the upstream never sees it', async () => {
  const s = await startStack({ upstream: '    maxConcurrent: 1\n    queue: { size: 5, timeout: 200ms }' });
  try {
    const gpu = admissionOf(s);
    const letGo = await holdAllSlots(gpu);
    const late = await send(s, s.key, 'hi');
    assert.equal(late.status, 503);
    assert.equal(codeOf(late), 'MG_QUEUE_TIMEOUT');
    assert.ok(Number(late.headers['retry-after']) >= 1);
    assert.equal(s.sim.requests.length, 0);
    assert.equal(gpu.queueLength, 0);
    letGo();
    assert.equal((await send(s, s.key, 'hi')).status, 200, 'served once a slot is free');
  } finally { await s.close(); }
});

test('fairness: key A floods 200 into a queue of 40, then key B sends 5 → B displaces A\'s newest and is served in turn with A', async () => {
  // One slot: the upstream receives requests one at a time, in exactly the order the queue serves them.
  const s = await startStack({ extraKeys: { A: null, B: null }, upstream: '    maxConcurrent: 1\n    queue: { size: 40, timeout: 60s }' });
  try {
    const gpu = admissionOf(s);
    const letGo = await holdAllSlots(gpu);
    const outcome = (r: RawResponse): string => (r.status === 200 ? 'ok' : codeOf(r) ?? String(r.status));
    const aDone: string[] = [];
    const flood = Array.from({ length: 200 }, (_, i) => send(s, s.keys.A as string, `A${i}`).then((r) => { aDone.push(outcome(r)); return r; }));
    // 40 of A wait; A may not grow past a full queue, so the other 160 are refused while the slot is held.
    await waitFor(() => gpu.queueLength === 40 && aDone.length === 160, "A's flood queued (40) and refused (160)");
    assert.deepEqual([...new Set(aDone)], ['MG_QUEUE_FULL']);
    const bs: Promise<RawResponse>[] = [];
    for (let i = 0; i < 5; i++) {
      bs.push(send(s, s.keys.B as string, `B${i}`));
      // Each B takes the place of A's newest waiter: the displaced A's refusal shows B is queued.
      await waitFor(() => aDone.length === 161 + i, `B${i} queued in place of one of A's`);
      assert.equal(gpu.queueLength, 40);
    }
    assert.equal(s.sim.requests.length, 0, 'nothing served while the slots are held');
    letGo();
    const bResults = await Promise.all(bs);
    await Promise.all(flood);
    assert.deepEqual(bResults.map(outcome), ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(aDone.filter((c) => c === 'ok').length, 35);
    assert.equal(aDone.filter((c) => c === 'MG_QUEUE_FULL').length, 165);
    // Owners take turns: every B is served right after one of A's, not behind A's backlog.
    assert.equal(arrivals(s), `${'AB'.repeat(5)}${'A'.repeat(30)}`);
    assert.equal(gpu.slotsInUse, 0);
  } finally { await s.close(); }
});

test('fairness in arrival order: requests queued one by one are served A0 B0 C0 A1 B1 A2 …', async () => {
  const s = await startStack({ extraKeys: { A: null, B: null, C: null }, upstream: '    maxConcurrent: 1\n    queue: { size: 40, timeout: 60s }' });
  try {
    const gpu = admissionOf(s);
    const letGo = await holdAllSlots(gpu);
    const sent: Promise<RawResponse>[] = [];
    const enqueue = async (owner: string, tag: string): Promise<void> => {
      const before = gpu.queueLength;
      sent.push(send(s, s.keys[owner] as string, tag));
      await waitFor(() => gpu.queueLength === before + 1, `${tag} queued`);
    };
    for (let i = 0; i < 6; i++) await enqueue('A', `A${i}`);
    await enqueue('B', 'B0');
    await enqueue('C', 'C0');
    await enqueue('B', 'B1');
    letGo();
    const results = await Promise.all(sent);
    assert.ok(results.every((r) => r.status === 200));
    const tags = s.sim.requests.map((q) => /"content":"([A-Z]\d)/.exec(q.body)?.[1]);
    assert.deepEqual(tags, ['A0', 'B0', 'C0', 'A1', 'B1', 'A2', 'A3', 'A4', 'A5']);
  } finally { await s.close(); }
});

test('the GPU slot is freed when the model server has answered, not when a slow client has read it', async () => {
  // One slot; the answer (~40 MB) is more than the socket buffers hold, and client A does not read it.
  const s = await startStack({ sim: { responseText: 'lorem '.repeat(7_000_000), splitEvery: 1_000_000 }, upstream: '    maxConcurrent: 1\n    queue: { size: 5, timeout: 60s }', routes: `
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
