// Large KServe binary tensor requests off the event loop, through the real gateway (issue 15):
// with the worker pool on, a request over workers.offloadTensorAbove is checked whole in a thread
// (the kserve-binary task counter moves) — header, element checks and the body to forward — and
// every valid and invalid case of test/kserve-bodies.ts gets the same status, code and message as
// from a gateway with the pool off, reaching the model server with the same bytes; what is
// refused never reaches it; a small request stays inline; a full pool answers 503
// MG_GATEWAY_BUSY; a thread that dies fails closed (500 MG_POLICY_ERROR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, rawRequest, type RawResponse, type Stack } from '../helpers.js';
import { KSERVE_LIMITS_YAML, KSERVE_MODELS_YAML, kserveBinaryCases, type KserveBinaryCase } from '../kserve-bodies.js';
import { gatewayPoolTasks } from '../workers/pool-telemetry.js';
import { busyThenCrash, samePooledAsInline, startPooledAndInline, withHeldPool } from '../workers/busy-crash.js';

const ROUTES = `
  - path: /v2/models/{model}/infer
    protocol: kserve-v2
    upstream: llm
    limits: { ${KSERVE_LIMITS_YAML} }
    models:${KSERVE_MODELS_YAML}
      crash:
        inputs:
          - { name: v, datatype: FP32, shape: [-1] }
`;

let pooled: Stack;
let inline: Stack;
let close: () => Promise<void>;
before(async () => { ({ pooled, inline, close } = await startPooledAndInline({ routes: ROUTES }, 'offloadTensorAbove: 1kb, queue: 8')); });
after(async () => { await close(); });

const tasks = (s: Stack, outcome = 'ok'): Promise<number> => gatewayPoolTasks(s.gw.adminUrl, 'kserve-binary', outcome);

function infer(s: Stack, c: { model: string; body: Buffer; headerLength: string }): Promise<RawResponse> {
  return rawRequest(s.url, {
    path: `/v2/models/${c.model}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': c.headerLength, 'content-length': c.body.length, ...bearer(s.key) },
    body: c.body,
  });
}

/** The request and what the model server received because of it (null: nothing). */
async function send(s: Stack, c: { model: string; body: Buffer; headerLength: string }): Promise<{ r: RawResponse; upstream: { bytes: Buffer; headerLength: string | undefined } | null }> {
  const before = s.sim.requests.length;
  const r = await infer(s, c);
  const after = s.sim.requests.length;
  assert.ok(after - before <= 1);
  if (after === before) return { r, upstream: null };
  const u = s.sim.requests.at(-1) as { bytes: Buffer; headers: Record<string, string | undefined> };
  return { r, upstream: { bytes: u.bytes, headerLength: u.headers['inference-header-content-length'] } };
}

test('every binary case: same answer from the pool as inline; valid requests reach the model server with the same bytes', async () => {
  assert.notEqual(pooled.gw.scanPool, null);
  assert.equal(inline.gw.scanPool, null);
  const cases = kserveBinaryCases();
  const before = await tasks(pooled);
  await samePooledAsInline(cases, (where, c) => send(where === 'pooled' ? pooled : inline, c), (c, p, i) => {
    assert.ok(p.bytes.equals(i.bytes), `${c.name}: the same bytes as inline`);
    assert.equal(p.headerLength, i.headerLength);
    assert.ok(p.bytes.subarray(Number(p.headerLength)).equals(c.body.subarray(Number(c.headerLength))), `${c.name}: the client's tensor bytes`);
  });
  assert.equal(await tasks(pooled), before + cases.length, 'each request checked in a worker thread');
});

test('a small request and an undeclared model are checked inline; a 2.4 MB tensor in the pool, forwarded whole', async () => {
  const small = { model: 'vec', headerLength: '', body: Buffer.alloc(0) };
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'v', datatype: 'FP32', shape: [4], parameters: { binary_data_size: 16 } }] }));
  small.body = Buffer.concat([header, Buffer.alloc(16)]);
  small.headerLength = String(header.length);
  const before = await tasks(pooled);
  assert.equal((await send(pooled, small)).r.status, 200);
  const unknown = await send(pooled, { ...(kserveBinaryCases()[1] as KserveBinaryCase), model: 'nope' });
  assert.equal((unknown.r.json as { error: { code: string } }).error.code, 'MG_MODEL_NOT_FOUND');
  assert.equal(await tasks(pooled), before, 'inline');

  const floats = Buffer.alloc(4 * 3 * 224 * 224 * 4);
  for (let i = 0; i < floats.length / 4; i++) floats.writeFloatLE(((i % 2001) - 1000) / 100, i * 4);
  const h = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 3, 224, 224], parameters: { binary_data_size: floats.length } }] }));
  const big = { model: 'resnet50', body: Buffer.concat([h, floats]), headerLength: String(h.length) };
  const b = await send(pooled, big);
  assert.equal(b.r.status, 200, b.r.body);
  assert.ok(b.upstream !== null && b.upstream.bytes.equals(big.body), 'byte-identical upstream (the header had nothing to re-serialise)');
  assert.equal(await tasks(pooled), before + 1, 'checked in a worker thread');
});

test('pool full: 503 MG_GATEWAY_BUSY at once; a thread that dies: 500 MG_POLICY_ERROR; neither is forwarded', () => withHeldPool(ROUTES, 'offloadTensorAbove: 1kb', async (s, hold) => {
  const [a, b] = kserveBinaryCases() as [KserveBinaryCase, KserveBinaryCase, ...KserveBinaryCase[]];
  await busyThenCrash(s, hold, 'kserve-binary', (which) => send(s, which === 'first' ? a : which === 'second' ? b : crashCase()));
}));

/** A valid request to the model the crash worker dies on. */
function crashCase(): { model: string; body: Buffer; headerLength: string } {
  const data = Buffer.alloc(4 * 500);
  const h = Buffer.from(JSON.stringify({ inputs: [{ name: 'v', datatype: 'FP32', shape: [500], parameters: { binary_data_size: data.length } }] }));
  return { model: 'crash', body: Buffer.concat([h, data]), headerLength: String(h.length) };
}
