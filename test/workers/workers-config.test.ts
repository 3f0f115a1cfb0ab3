// The `workers` section: defaults (threads from the core count, offloadAbove 4096, offloadJsonAbove 64 KB, offloadTensorAbove 256 KB, queue 64, loopSlice 2 ms),
// explicit values, 0 threads = off (no pool built), bad values refused with their path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { defaultWorkerThreads } from '../../src/workers/defaults.js';
import { createGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/observability/logger.js';

const MINIMAL = `
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`;

function problems(yaml: string): string[] {
  try {
    loadConfigText(yaml, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('workers: defaults, explicit values, bad values refused', () => {
  assert.deepEqual(loadConfigText(MINIMAL, {}).workers, { threads: defaultWorkerThreads(), offloadAbove: 4096, offloadJsonAbove: 65536, offloadTensorAbove: 262144, queue: 64, loopSlice: 2 });
  assert.deepEqual(loadConfigText(`${MINIMAL}workers: { threads: 0, offloadAbove: 100000, offloadJsonAbove: 1mb, offloadTensorAbove: 2mb, queue: 0 }\n`, {}).workers, { threads: 0, offloadAbove: 100000, offloadJsonAbove: 1048576, offloadTensorAbove: 2097152, queue: 0, loopSlice: 2 });
  assert.equal(loadConfigText(`${MINIMAL}workers: { offloadJsonAbove: 0 }\n`, {}).workers.offloadJsonAbove, 0);
  assert.equal(loadConfigText(`${MINIMAL}workers: { offloadTensorAbove: 512b }\n`, {}).workers.offloadTensorAbove, 512);
  // loopSlice keeps fractions of a millisecond (durations elsewhere round to whole ms).
  for (const [v, ms] of [['0.5ms', 0.5], ['4ms', 4], ['0.001ms', 0.001], ['3', 3], ['0.25', 0.25], ['0', 0]] as const) {
    assert.equal(loadConfigText(`${MINIMAL}workers: { loopSlice: ${v} }\n`, {}).workers.loopSlice, ms, v);
  }
  for (const bad of ['threads: -1', 'threads: 1.5', 'offloadAbove: -5', 'offloadJsonAbove: -5', 'offloadJsonAbove: 10 kb', 'offloadTensorAbove: -1', 'offloadTensorAbove: big', 'queue: -1', 'pool: 3', 'loopSlice: -1', 'loopSlice: 2s', 'loopSlice: fast', 'loopSlice: 5000', 'loopSlice: 5000ms', 'loopSlice: 1000']) {
    assert.ok(problems(`${MINIMAL}workers: { ${bad} }\n`).some((p) => p.startsWith('workers')), bad);
  }
});

test('a pool only with threads > 0 and a route that scans for injection, counts BPE tokens for cost admission or takes KServe bodies', () => {
  const logger = createLogger('silent');
  const opts = { logger, defaultMetrics: false };
  assert.notEqual(createGateway(loadConfigText(`${MINIMAL}workers: { threads: 1 }\n`, {}), opts).scanPool, null);
  assert.equal(createGateway(loadConfigText(`${MINIMAL}workers: { threads: 0 }\n`, {}), opts).scanPool, null);
  const noScan = MINIMAL.replace('upstream: llm }', 'upstream: llm, injection: { action: off } }');
  assert.equal(createGateway(loadConfigText(`${noScan}workers: { threads: 2 }\n`, {}), opts).scanPool, null);
  // Cost admission (a tier) with a BPE tokenizer: a pool for token counting alone; chars4 needs none.
  const tiers = 'tiers: { t: { cost: { rate: 1000, per: 1h } } }\n';
  assert.notEqual(createGateway(loadConfigText(`${noScan}${tiers}workers: { threads: 1 }\n`, {}), opts).scanPool, null);
  const chars4 = noScan.replace('injection: { action: off }', 'injection: { action: off }, cost: { tokenizer: chars4 }');
  assert.equal(createGateway(loadConfigText(`${chars4}${tiers}workers: { threads: 1 }\n`, {}), opts).scanPool, null);
  // A KServe route: a pool for its large JSON bodies (no injection scan, no cost admission).
  const kserve = noScan.replace('routes: [', 'routes: [ { path: "/v2/models/{model}/infer", protocol: kserve-v2, upstream: llm, models: { m: { inputs: [ { name: x, datatype: FP32, shape: [-1] } ] } } },');
  assert.notEqual(createGateway(loadConfigText(`${kserve}workers: { threads: 1 }\n`, {}), opts).scanPool, null);
  assert.equal(createGateway(loadConfigText(`${kserve}workers: { threads: 0 }\n`, {}), opts).scanPool, null);
});
