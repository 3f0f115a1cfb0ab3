// KServe binary tensor requests checked in the worker pool (checkKserveBinary in
// src/protocols/kserve/json-check.ts, a `kserve-binary` task of src/workers/scan-pool.ts): for
// every case of test/kserve-bodies.ts the verdict — in this thread and in a worker thread — is
// what the inline path gives (the compiled validator's validateBinary: same code, same detail,
// same element count), and a valid request's forwarded body is the inline one byte for byte
// (the header re-serialised, then the tensor bytes); the body's memory moves to the thread and
// back; only requests above offloadTensorAbove are taken; each task is a scan-pool.task event
// with task "kserve-binary".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScanPool } from '../../src/workers/scan-pool.js';
import { binaryForward, checkKserveBinary, type KserveBinaryVerdict } from '../../src/protocols/kserve/json-check.js';
import { compileKserve } from '../../src/protocols/kserve/index.js';
import { KSERVE_JSON_LIMITS, KSERVE_LIMITS, KSERVE_MODELS, KSERVE_SPEC, kserveBinaryCases } from '../kserve-bodies.js';
import { metric, telemetry } from './pool-telemetry.js';

const JSON_LIMITS = KSERVE_JSON_LIMITS;
const SPEC = KSERVE_SPEC;
const validator = compileKserve(KSERVE_MODELS, { maxTensorElements: KSERVE_LIMITS.maxTensorElements });

/** What the inline path (the inspect phase) decides, in the verdict's terms. */
function inline(body: Buffer, model: string, headerLength: string): unknown {
  const r = validator.validateBinary(model, body, Number(headerLength), JSON_LIMITS);
  if ('code' in r) return { inspect: r, forward: null, headerLength: 0 };
  const f = binaryForward(r.header, body, Number(headerLength));
  return { inspect: { elements: r.elements, batch: r.batch }, forward: f.body.toString('base64'), headerLength: f.headerLength };
}

function plain(v: KserveBinaryVerdict): unknown {
  return { ...v, forward: v.forward === null ? null : Buffer.from(v.forward).toString('base64') };
}

const codeOf = (v: KserveBinaryVerdict): string => ('code' in v.inspect ? v.inspect.code : 'OK');

test('the check gives the inline verdict and forwarded body for every case (in this thread)', () => {
  const codes = new Set<string>();
  for (const c of kserveBinaryCases()) {
    const v = checkKserveBinary({ spec: SPEC, model: c.model, bytes: c.body, headerLength: Number(c.headerLength) });
    assert.deepEqual(plain(v), inline(c.body, c.model, c.headerLength), c.name);
    assert.equal(codeOf(v), c.code, c.name);
    codes.add(c.code);
  }
  assert.ok(codes.size >= 12, `${codes.size} distinct outcomes`);
  // The forwarded body: the header as checked, then the client's tensor bytes.
  const c = kserveBinaryCases()[2] as { body: Buffer; model: string; headerLength: string };
  const v = checkKserveBinary({ spec: SPEC, model: c.model, bytes: c.body, headerLength: Number(c.headerLength) });
  const f = Buffer.from(v.forward as Uint8Array);
  assert.deepEqual(JSON.parse(f.subarray(0, v.headerLength).toString()), JSON.parse(c.body.subarray(0, Number(c.headerLength)).toString()));
  assert.ok(f.subarray(v.headerLength).equals(c.body.subarray(Number(c.headerLength))));
  assert.ok(v.headerLength < Number(c.headerLength), 're-serialised without the extra white space');
});

test('a worker thread gives the same verdicts, hands the bytes back, and counts kserve-binary tasks', async () => {
  const { metrics, events } = telemetry();
  const pool = new ScanPool({ threads: 2, offloadAbove: 0, offloadTensorAbove: 0, queue: 1000, events });
  await pool.open();
  try {
    // Bodies of their own memory (as body-read makes them): they move to the thread and back.
    const cases = kserveBinaryCases().map((c) => ({ ...c, body: Buffer.from(new Uint8Array(c.body).buffer) }));
    const copies = cases.map((c) => Buffer.from(c.body));
    const pooled = await Promise.all(cases.map((c) => pool.checkKserveBinary(SPEC, c.model, c.body, Number(c.headerLength), new AbortController().signal)));
    cases.forEach((c, i) => {
      const r = pooled[i] as { verdict: KserveBinaryVerdict; body: Buffer };
      const copy = copies[i] as Buffer;
      assert.deepEqual(plain(r.verdict), inline(copy, c.model, c.headerLength), c.name);
      assert.equal(codeOf(r.verdict), c.code, c.name);
      assert.ok(r.body.equals(copy), `${c.name}: the same bytes back`);
    });
    const own = cases[0] as { body: Buffer };
    assert.equal(own.body.length, 0, 'moved, not copied');
    assert.match(await metric(metrics, 'modelgate_scan_pool_tasks_total'), new RegExp(`outcome="ok",task="kserve-binary"} ${cases.length}\\b`));
  } finally {
    await pool.close();
  }
});

test('only requests above offloadTensorAbove bytes are taken (default 256 KB); none after close (inline then)', async () => {
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, offloadTensorAbove: 1000, queue: 4 });
  const dflt = new ScanPool({ threads: 1, offloadAbove: 0, queue: 4 });
  assert.equal(pool.takesTensor(5000), false, 'not open yet');
  await Promise.all([pool.open(), dflt.open()]);
  try {
    assert.equal(pool.takesTensor(1000), false);
    assert.equal(pool.takesTensor(1001), true);
    assert.equal(dflt.takesTensor(256 * 1024), false);
    assert.equal(dflt.takesTensor(256 * 1024 + 1), true);
  } finally {
    await Promise.all([pool.close(), dflt.close()]);
  }
  assert.equal(pool.takesTensor(5000), false, 'closed');
  const c = kserveBinaryCases()[0] as { body: Buffer; model: string; headerLength: string };
  const r = await pool.checkKserveBinary(SPEC, c.model, c.body, Number(c.headerLength), new AbortController().signal);
  assert.deepEqual(plain(r.verdict), inline(c.body, c.model, c.headerLength), 'inline after close');
  assert.equal(r.body, c.body);
});
