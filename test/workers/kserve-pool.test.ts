// KServe JSON bodies checked in the worker pool (src/protocols/kserve/json-check.ts, a `kserve`
// task of src/workers/scan-pool.ts): for every case of test/kserve-bodies.ts the verdict — in
// this thread and in a worker thread — is exactly what the inline path gives (parseJsonBody in
// the body phase, the compiled validator in the inspect phase: same code, same detail, same
// element count); a body with a duplicate key comes back re-serialised as inline forwards it;
// the body's memory moves to the thread and back (the same bytes come back; a slice of a larger
// buffer is copied instead and left whole); only bodies above
// offloadJsonAbove are taken; a full queue refuses with MG_GATEWAY_BUSY; each task is a
// scan-pool.task event with task "kserve".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScanPool } from '../../src/workers/scan-pool.js';
import { checkKserveJson, type KserveJsonVerdict } from '../../src/protocols/kserve/json-check.js';
import { compileKserve } from '../../src/protocols/kserve/index.js';
import { parseJsonBody } from '../../src/policies/json-body.js';
import { countObjectKeys } from '../../src/protocols/json-guard.js';
import { KSERVE_JSON_LIMITS, KSERVE_LIMITS, KSERVE_MODELS, KSERVE_SPEC, kserveCases, resnetBody, type KserveCase } from '../kserve-bodies.js';
import { waitFor } from '../wait.js';
import { Hold } from './hold-worker.js';
import { assertBusy, assertTasks, metric, telemetry } from './pool-telemetry.js';

const JSON_LIMITS = KSERVE_JSON_LIMITS;
const SPEC = KSERVE_SPEC;
const validator = compileKserve(KSERVE_MODELS, { maxTensorElements: KSERVE_LIMITS.maxTensorElements });

/** What the inline path decides, in the verdict's terms. */
function inline(body: Buffer, model: string): KserveJsonVerdict {
  const stats = { keys: 0 };
  const r = parseJsonBody(body, JSON_LIMITS, stats);
  if ('code' in r) return { body: r, inspect: null, model: null, json: null };
  const m = (r.value as { model?: unknown }).model;
  return {
    body: null,
    inspect: validator.validateJson(model, r.value),
    model: typeof m === 'string' ? m : null,
    json: countObjectKeys(r.value) === stats.keys ? null : new TextEncoder().encode(JSON.stringify(r.value)),
  };
}

function codeOf(v: KserveJsonVerdict): string {
  if (v.body !== null) return v.body.code;
  return v.inspect !== null && 'code' in v.inspect ? v.inspect.code : 'OK';
}

/** Typed arrays compared by content (a transferred Uint8Array and a local one differ in nothing else). */
function plain(v: KserveJsonVerdict): unknown {
  return { ...v, json: v.json === null ? null : Buffer.from(v.json).toString('utf8') };
}

test('the check gives the inline verdict for every case (in this thread)', () => {
  const cases = kserveCases();
  const codes = new Set<string>();
  for (const c of cases) {
    const v = checkKserveJson({ spec: SPEC, model: c.model, bytes: c.body });
    assert.deepEqual(plain(v), plain(inline(c.body, c.model)), c.name);
    assert.equal(codeOf(v), c.code, c.name);
    codes.add(c.code);
  }
  assert.ok(codes.size >= 14, `${codes.size} distinct outcomes`);
  const dup = cases.find((c) => c.name.startsWith('valid, duplicate key')) as { body: Buffer; model: string };
  const v = checkKserveJson({ spec: SPEC, model: dup.model, bytes: dup.body });
  assert.equal(Buffer.from(v.json as Uint8Array).toString(), JSON.stringify(JSON.parse(dup.body.toString())), 're-serialised as inline');
  assert.equal(checkKserveJson({ spec: SPEC, model: 'tiny', bytes: (cases[0] as { body: Buffer }).body }).json, null, 'no duplicate: the client bytes');
});

test('a worker thread gives the same verdicts, hands the bytes back, and counts kserve tasks', async () => {
  const { metrics, events } = telemetry();
  const pool = new ScanPool({ threads: 2, offloadAbove: 0, offloadJsonAbove: 0, queue: 1000, events });
  await pool.open();
  try {
    const cases = kserveCases(100);
    const copies = cases.map((c) => Buffer.from(c.body));
    const pooled = await Promise.all(cases.map((c) => pool.checkKserve(SPEC, c.model, c.body, new AbortController().signal)));
    cases.forEach((c, i) => {
      const r = pooled[i] as { verdict: KserveJsonVerdict; body: Buffer };
      const copy = copies[i] as Buffer;
      assert.deepEqual(plain(r.verdict), plain(inline(copy, c.model)), c.name);
      assert.equal(codeOf(r.verdict), c.code, c.name);
      assert.ok(r.body.equals(copy), `${c.name}: the same bytes back, to forward`);
    });
    // A body that owns its memory (as body-read makes them) moves: the caller's Buffer is empty
    // until the bytes come back.
    const big = resnetBody(1);
    assert.equal(big.byteLength, big.buffer.byteLength);
    const r = await pool.checkKserve(SPEC, 'resnet50', big, new AbortController().signal);
    assert.deepEqual(r.verdict, { body: null, inspect: { elements: 150_528, batch: 1 }, model: null, json: null });
    assert.equal(big.length, 0, 'moved, not copied');
    assert.ok(r.body.length > 700_000 && r.body.equals(resnetBody(1)), 'the 0.8 MB body is back');
    // A slice of a larger buffer is copied; the caller's bytes stay.
    const slab = Buffer.concat([Buffer.from('head'), resnetBody(1)]);
    const slice = slab.subarray(4);
    const s = await pool.checkKserve(SPEC, 'resnet50', slice, new AbortController().signal);
    assert.equal(codeOf(s.verdict), 'OK');
    assert.ok(s.body === slice && slice.equals(resnetBody(1)), 'the slice is left as it is');
    assert.match(await metric(metrics, 'modelgate_scan_pool_tasks_total'), new RegExp(`outcome="ok",task="kserve"} ${cases.length + 2}\\b`));
  } finally {
    await pool.close();
  }
});

test('only bodies above offloadJsonAbove bytes are taken; none before open or after close (inline then)', async () => {
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, offloadJsonAbove: 1000, queue: 4 });
  assert.equal(pool.takesJson(5000), false, 'not open yet');
  await pool.open();
  try {
    assert.equal(pool.takesJson(1000), false);
    assert.equal(pool.takesJson(1001), true);
  } finally {
    await pool.close();
  }
  assert.equal(pool.takesJson(5000), false, 'closed');
  const c = kserveCases()[0] as { body: Buffer; model: string };
  const r = await pool.checkKserve(SPEC, c.model, c.body, new AbortController().signal);
  assert.deepEqual(plain(r.verdict), plain(inline(c.body, c.model)), 'inline after close');
  assert.equal(r.body, c.body);
});

test('threads 1, queue 0: a check runs, the next is refused with MG_GATEWAY_BUSY at once', async () => {
  const hold = new Hold();
  const { metrics, events } = telemetry();
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, offloadJsonAbove: 0, queue: 0, events, filename: Hold.filename, workerData: hold.buffer });
  await pool.open();
  try {
    const signal = new AbortController().signal;
    const [first, second] = kserveCases() as [KserveCase, KserveCase, ...KserveCase[]];
    const a = pool.checkKserve(SPEC, first.model, first.body, signal);
    await waitFor(() => hold.started === 1, 'the first check is running (held)');
    await assertBusy(pool.checkKserve(SPEC, second.model, second.body, signal));
    hold.release();
    assert.equal(codeOf((await a).verdict), 'OK');
    await assertTasks(metrics, 'kserve', 1, 1);
  } finally {
    hold.release();
    await pool.close();
  }
});
