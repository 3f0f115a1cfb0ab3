// The scan pool (src/workers/scan-pool.ts): verdicts and scores from the worker threads equal the
// inline scanner's on several hundred corpus texts and large concatenations; only texts above
// offloadAbove are taken; a full queue refuses with MG_GATEWAY_BUSY (Retry-After: 1) at once; a
// client that leaves takes its queued scan with it; after close, scans run inline. Each task's
// outcome is a scan-pool.task event (counted in modelgate_scan_pool_tasks_total); pending: `size`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ScanPool } from '../../src/workers/scan-pool.js';
import { ALL_LAYERS, combineSources, createInjectionScanner, injectionSources, type InjectionVerdict } from '../../src/policies/injection.js';
import type { InjectionLayer } from '../../src/config/types.js';
import type { AbortLike } from '../../src/pipeline/context.js';
import { DenialError } from '../../src/errors.js';
import { defaultWorkerThreads } from '../../src/workers/defaults.js';
import { waitFor } from '../wait.js';
import { Hold } from './hold-worker.js';
import { assertBusy, assertTasks, metric, telemetry } from './pool-telemetry.js';

function corpus(file: string, n: number): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').slice(0, n).map((l) => (JSON.parse(l) as { text: string }).text);
}

/** A request's verdict from the pool: its sources decoded and scanned there, combined as the policy does. */
async function pooledScan(pool: ScanPool, texts: readonly string[], threshold: number | null, layers: readonly InjectionLayer[], signal: AbortLike): Promise<InjectionVerdict> {
  return combineSources(await pool.scanSources(injectionSources(texts), layers, signal), threshold, layers);
}

const attacks = corpus('test/fixtures/corpora/injection/attacks.jsonl', 200);
const benign = corpus('test/fixtures/corpora/benign/benign.jsonl', 200);
/** Large requests: benign prompts joined to ~20 KB, half with an attack in the middle. */
const large: string[][] = Array.from({ length: 20 }, (_, i) => {
  const parts = benign.slice(i * 10, i * 10 + 10).join('\n');
  const filler = parts.repeat(Math.ceil(20_000 / Math.max(1, parts.length))).slice(0, 20_000);
  return i % 2 === 0 ? [filler.slice(0, 10_000) + '\n' + (attacks[i] as string) + '\n' + filler.slice(10_000)] : [filler, 'and a second message'];
});

/** Metrics behind the telemetry bus, as a gateway wires them. */
test('pool and inline give the same verdicts and scores on 420 requests', async () => {
  const pool = new ScanPool({ threads: 2, offloadAbove: 0, queue: 1000 });
  await pool.open();
  try {
    const requests = [...attacks.map((t) => [t]), ...benign.map((t) => [t]), ...large];
    const inline = createInjectionScanner(null, ALL_LAYERS);
    const signal = new AbortController().signal;
    const pooled = await Promise.all(requests.map((texts) => pooledScan(pool, texts, null, ALL_LAYERS, new AbortController().signal)));
    let detected = 0;
    requests.forEach((texts, i) => {
      const want = inline(texts);
      assert.deepEqual(pooled[i], want, `request ${i}`);
      if (want.detected) detected++;
    });
    // Both outcomes are exercised (the comparison is not all-clean or all-flagged).
    assert.ok(detected > 20 && detected < requests.length - 20, `${detected} detected`);
    // Another threshold and layer set reach the worker too.
    const patternsOnly = await pooledScan(pool, [attacks[0] as string], 0.9, ['patterns'], signal);
    assert.deepEqual(patternsOnly, createInjectionScanner(0.9, ['patterns'])([attacks[0] as string]));
  } finally {
    await pool.close();
  }
});

test('only requests above offloadAbove characters (all texts together) are taken; none before open or after close', async () => {
  const pool = new ScanPool({ threads: 1, offloadAbove: 100, queue: 4 });
  assert.equal(pool.takes(['x'.repeat(500)]), false, 'not open yet');
  const opening = pool.open();
  assert.equal(pool.takes(['x'.repeat(500)]), false, 'threads still booting: scanned inline meanwhile');
  await opening;
  try {
    assert.equal(pool.takes(['x'.repeat(100)]), false);
    assert.equal(pool.takes(['x'.repeat(60), 'y'.repeat(41)]), true);
    assert.equal(pool.takes(['x'.repeat(101)]), true);
  } finally {
    await pool.close();
  }
  assert.equal(pool.takes(['x'.repeat(500)]), false, 'closed');
  // A scan that raced the close runs inline, same verdict.
  const t = attacks[1] as string;
  assert.deepEqual(await pooledScan(pool, [t], null, ALL_LAYERS, new AbortController().signal), createInjectionScanner(null)([t]));
});

test('threads 1, queue 1: one scan runs, one waits, the third is refused with MG_GATEWAY_BUSY at once', async () => {
  const hold = new Hold();
  const { metrics, events } = telemetry();
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, queue: 1, events, filename: Hold.filename, workerData: hold.buffer });
  await pool.open();
  try {
    const signal = new AbortController().signal;
    const a = pooledScan(pool, ['first'], null, ALL_LAYERS, signal);
    await waitFor(() => hold.started === 1, 'the first scan is running (held)');
    const b = pooledScan(pool, [attacks[2] as string], null, ALL_LAYERS, signal);
    assert.equal(pool.size, 2);
    await assertBusy(pooledScan(pool, ['third'], null, ALL_LAYERS, signal));
    hold.release();
    assert.equal((await a).detected, false);
    assert.equal((await b).detected, true);
    assert.equal(pool.size, 0);
    await assertTasks(metrics, 'scan', 2, 1);
  } finally {
    hold.release();
    await pool.close();
  }
});

test('a client that leaves while its scan waits: the scan is dropped (MG_CLIENT_GONE), counted aborted', async () => {
  const hold = new Hold();
  const { metrics, events } = telemetry();
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, queue: 4, events, filename: Hold.filename, workerData: hold.buffer });
  await pool.open();
  try {
    const a = pooledScan(pool, ['first'], null, ALL_LAYERS, new AbortController().signal);
    await waitFor(() => hold.started === 1, 'the first scan is running (held)');
    const gone = new AbortController();
    const b = pooledScan(pool, ['second'], null, ALL_LAYERS, gone.signal);
    gone.abort();
    await assert.rejects(b, (err: unknown) => err instanceof DenialError && err.denial.code === 'MG_CLIENT_GONE');
    hold.release();
    await a;
    assert.equal(hold.started, 1, 'the dropped scan never ran');
    assert.match(await metric(metrics, 'modelgate_scan_pool_tasks_total'), /outcome="aborted",task="scan"} 1/);
  } finally {
    hold.release();
    await pool.close();
  }
});

test('default threads: cores - 1, at least 1, at most 2', () => {
  assert.equal(defaultWorkerThreads(1), 1);
  assert.equal(defaultWorkerThreads(2), 1);
  assert.equal(defaultWorkerThreads(3), 2);
  assert.equal(defaultWorkerThreads(64), 2);
});
