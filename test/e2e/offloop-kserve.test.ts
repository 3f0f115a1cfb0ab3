// Large KServe JSON bodies off the event loop, through the real gateway (issue 15): with the
// worker pool on, a body over workers.offloadJsonAbove is guarded, parsed and validated in a
// thread (the kserve task counter moves) and the client's bytes reach the model server as they
// are; every valid and invalid case of test/kserve-bodies.ts gets the same status, code and
// message as from a gateway with the pool off, and what is refused never reaches the model
// server; a small body stays inline; a 3.2 MB [4,3,224,224] tensor is forwarded byte for byte;
// a full pool answers 503 MG_GATEWAY_BUSY; a thread that dies fails closed (500 MG_POLICY_ERROR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, rawRequest, type RawResponse, type Stack } from '../helpers.js';
import { settled } from '../wait.js';
import { KSERVE_LIMITS_YAML, KSERVE_MODELS_YAML, kserveCases, resnetBody, type KserveCase } from '../kserve-bodies.js';
import { gatewayPoolTasks } from '../workers/pool-telemetry.js';
import { busyThenCrash, samePooledAsInline, startPooledAndInline, withHeldPool } from '../workers/busy-crash.js';

const ROUTES = `
  - path: /v2/models/{model}/infer
    protocol: kserve-v2
    upstream: llm
    limits: { ${KSERVE_LIMITS_YAML} }
    models:${KSERVE_MODELS_YAML}
`;
const PAD = 2048;

let pooled: Stack;
let inline: Stack;
let close: () => Promise<void>;
before(async () => { ({ pooled, inline, close } = await startPooledAndInline({ routes: ROUTES }, 'offloadJsonAbove: 1kb, queue: 8')); });
after(async () => { await close(); });

function kserveTasks(s: Stack, outcome = 'ok'): Promise<number> {
  return gatewayPoolTasks(s.gw.adminUrl, 'kserve', outcome);
}

function infer(s: Stack, model: string, body: Buffer): Promise<RawResponse> {
  return rawRequest(s.url, { path: `/v2/models/${model}/infer`, headers: { 'content-type': 'application/json', 'content-length': body.length, ...bearer(s.key) }, body });
}

/** The request and what the model server received because of it (null: nothing). */
async function send(s: Stack, model: string, body: Buffer): Promise<{ r: RawResponse; upstream: Buffer | null }> {
  const before = s.sim.requests.length;
  const r = await infer(s, model, body);
  const after = s.sim.requests.length;
  assert.ok(after - before <= 1);
  return { r, upstream: after > before ? (s.sim.requests.at(-1) as { bytes: Buffer }).bytes : null };
}

test('every case: same answer from the pool as inline; valid bodies reach the model server byte-identical', async () => {
  assert.notEqual(pooled.gw.scanPool, null);
  assert.equal(inline.gw.scanPool, null);
  const cases = kserveCases(PAD);
  const tasks = await kserveTasks(pooled);
  await samePooledAsInline(cases, (where, c) => send(where === 'pooled' ? pooled : inline, c.model, c.body), (c, p, i) => {
    if (c.name.includes('duplicate key')) {
      // Re-serialised, as inline does: what was checked is what is sent.
      assert.deepEqual(p, i, c.name);
      assert.equal(p.toString(), JSON.stringify(JSON.parse(c.body.toString())));
    } else {
      assert.ok(p.equals(c.body), `${c.name}: the client's bytes`);
      assert.ok(i.equals(c.body), `${c.name}: the client's bytes (inline)`);
    }
  });
  assert.equal(await kserveTasks(pooled), tasks + cases.length, 'each body checked in a worker thread');
});

test('a small body is checked inline; a 3.2 MB tensor is checked in the pool and forwarded as sent', async () => {
  const small = kserveCases()[0] as { body: Buffer; model: string };
  assert.ok(small.body.length <= 1024);
  const tasks = await kserveTasks(pooled);
  const s = await send(pooled, small.model, small.body);
  assert.equal(s.r.status, 200, s.r.body);
  assert.equal(await kserveTasks(pooled), tasks, 'inline');

  const big = resnetBody(4);
  assert.ok(big.length > 3_000_000, `${big.length} bytes`);
  const b = await send(pooled, 'resnet50', big);
  assert.equal(b.r.status, 200, b.r.body);
  assert.ok(b.upstream !== null && b.upstream.equals(big), 'byte-identical upstream');
  assert.equal(await kserveTasks(pooled), tasks + 1, 'checked in a worker thread');
});

test('pool full: 503 MG_GATEWAY_BUSY at once; a thread that dies: 500 MG_POLICY_ERROR; neither is forwarded', () => withHeldPool(ROUTES, 'offloadJsonAbove: 1kb', async (s, hold) => {
  const [a, b] = kserveCases(PAD) as [KserveCase, KserveCase, ...KserveCase[]];
  // A body of 0.8 MB owns its memory, which moves to the thread that dies with it.
  const big = resnetBody(1);
  const { done, crashed } = await busyThenCrash(s, hold, 'kserve', (which) => (which === 'first' ? send(s, a.model, a.body) : which === 'second' ? send(s, b.model, b.body) : send(s, 'crash', big)));
  assert.ok(done.upstream?.equals(a.body));
  assert.equal((await settled(s, String(crashed.r.headers['x-request-id']))).bodyBytes, big.length, 'the body size is still logged');
}));
