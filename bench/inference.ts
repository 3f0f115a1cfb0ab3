/**
 * Tensor and image validation (issue 5): what checking a request costs, beside forwarding the
 * same request without validation.
 *
 *  1. In this process, the validation step alone, per request (median of N): inspectImage on a
 *     224 × 224 PNG and a 4-megapixel JPEG (header checks; and with verifyDecode, a full bounded
 *     decode), and for a [16,3,224,224] FP32 tensor the whole JSON path (structure scan, parse,
 *     validate, re-serialise for forwarding) and the binary path.
 *  2. Over HTTP, one request at a time, median and p90 latency of the same requests sent
 *     directly to the simulator, through modelgate (the CLI, its own process) and through nginx
 *     configured as a plain authenticating proxy (no validation), rounds alternating.
 *
 *   npm run build && node dist/bench/inference.js      (BENCH_INFER_N, default 30: requests per row and target)
 */
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { CLI_JS, envNum, freePort, httpGetStatus, installCleanup, spawnProc, stopAll, waitUntil } from './procs.js';
import { findNginx, startNginx } from './nginx.js';
import { percentile } from './pii-speed.js';
import { startSimulator } from '../src/simulator/index.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { inspectImage, type ImageLimits } from '../src/protocols/image/index.js';
import { compileKserve } from '../src/protocols/kserve/index.js';
import { checkJsonLimits } from '../src/protocols/json-guard.js';
import { validPng, jpeg4mp } from '../test/image-files.js';

const N = envNum('BENCH_INFER_N', 30, true);
const LIMITS: ImageLimits = { maxBytes: 10 * 1024 * 1024, types: ['image/jpeg', 'image/png', 'image/webp'], maxDimension: 8000, maxPixels: 40_000_000, maxFrames: 100, verifyDecode: false };
const SHAPE = [16, 3, 224, 224];
const ELEMENTS = 16 * 3 * 224 * 224;

interface Req { name: string; path: string; contentType: string; body: Buffer; headers?: Record<string, string> }

function tensorJson(): Buffer {
  const data = new Array<number>(ELEMENTS);
  for (let i = 0; i < ELEMENTS; i++) data[i] = Math.round(((i * 7919) % 2000) - 1000) / 10; // values like 12.3, -45.6
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: SHAPE, datatype: 'FP32', data }] }));
}

function tensorBinary(): { body: Buffer; headerLength: number } {
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: SHAPE, datatype: 'FP32', parameters: { binary_data_size: ELEMENTS * 4 } }] }));
  const data = Buffer.alloc(ELEMENTS * 4);
  for (let i = 0; i < ELEMENTS; i++) data.writeFloatLE(((i % 2000) - 1000) / 10, i * 4);
  return { body: Buffer.concat([header, data]), headerLength: header.length };
}

async function median(times: number, fn: () => Promise<unknown> | unknown): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { p50: percentile(t, 0.5), p90: percentile(t, 0.9) };
}

async function send(origin: string, r: Req, key: string): Promise<void> {
  const res = await request(origin + r.path, { method: 'POST', headers: { 'content-type': r.contentType, authorization: `Bearer ${key}`, ...r.headers }, body: r.body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${r.name} via ${origin}: ${res.statusCode} ${text.slice(0, 200)}`);
}

async function main(): Promise<void> {
  installCleanup();
  const png = await validPng(224, 224);
  const jpeg = await jpeg4mp();
  const json = tensorJson();
  const bin = tensorBinary();
  console.log(`# Tensor and image validation — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores)\n`);
  console.log(`Inputs: 224 × 224 PNG (${(png.length / 1024).toFixed(0)} KB), 2000 × 2000 JPEG (${(jpeg.length / 1024).toFixed(0)} KB), [16,3,224,224] FP32 tensor as JSON (${(json.length / 1e6).toFixed(1)} MB) and binary (${(bin.body.length / 1e6).toFixed(1)} MB).\n`);

  // 1. The validation step alone.
  const validator = compileKserve({ resnet50: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224], range: [-100, 100] }], maxBatch: 16 } }, { maxTensorElements: 4_194_304 });
  const jsonLimits = { maxDepth: 32, maxArrayLength: 4_194_304, maxStringChars: 100_000, maxKeys: 256 };
  const rows: Array<[string, { p50: number; p90: number }]> = [];
  rows.push(['224 × 224 PNG: inspectImage (header checks)', await median(N * 5, () => inspectImage(png, 'image/png', LIMITS))]);
  rows.push(['224 × 224 PNG: inspectImage + verifyDecode', await median(N * 2, () => inspectImage(png, 'image/png', { ...LIMITS, verifyDecode: true }))]);
  rows.push(['4 MP JPEG: inspectImage (header checks)', await median(N * 5, () => inspectImage(jpeg, 'image/jpeg', LIMITS))]);
  rows.push(['4 MP JPEG: inspectImage + verifyDecode', await median(N, () => inspectImage(jpeg, 'image/jpeg', { ...LIMITS, verifyDecode: true }))]);
  const text = json.toString('utf8');
  rows.push(['tensor JSON: structure scan', await median(Math.ceil(N / 3), () => checkJsonLimits(text, jsonLimits))]);
  rows.push(['tensor JSON: JSON.parse', await median(Math.ceil(N / 3), () => JSON.parse(text))]);
  const parsed: unknown = JSON.parse(text);
  rows.push(['tensor JSON: validateJson (shapes, types, NaN/Inf, range)', await median(N, () => validator.validateJson('resnet50', parsed))]);
  rows.push(['tensor JSON: re-serialise for forwarding', await median(Math.ceil(N / 3), () => JSON.stringify(parsed))]);
  rows.push(['tensor binary: validateBinary', await median(N, () => validator.validateBinary('resnet50', bin.body, bin.headerLength, jsonLimits))]);
  console.log('| validation step (in process) | p50 (ms) | p90 (ms) |');
  console.log('|---|---|---|');
  for (const [name, t] of rows) console.log(`| ${name} | ${t.p50.toFixed(2)} | ${t.p90.toFixed(2)} |`);

  // 2. Over HTTP.
  const sim = await startSimulator({ slots: 64, imagePaths: ['/analyze', '/analyze-decode'] });
  const key = generateKey();
  const dir = mkdtempSync(join(tmpdir(), 'mg-infer-'));
  const port = await freePort();
  const adminPort = await freePort();
  const yaml = join(dir, 'modelgate.yaml');
  writeFileSync(yaml, `
server: { host: 127.0.0.1, port: ${port} }
admin: { host: 127.0.0.1, port: ${adminPort} }
auth: { keys: [ { id: bench, hash: "${keyHashLine(key)}" } ] }
upstreams: { llm: { targets: ["${sim.url}"], timeout: 120s } }
routes:
  - path: /v2/models/{model}/infer
    protocol: kserve-v2
    upstream: llm
    models:
      resnet50:
        inputs: [ { name: input, datatype: FP32, shape: [-1, 3, 224, 224], range: [-100, 100] } ]
        maxBatch: 16
  - { path: /analyze, protocol: image-upload, upstream: llm, limits: { maxBytes: 10mb, maxDimension: 8000, maxPixels: 40000000 } }
  - { path: /analyze-decode, protocol: image-upload, upstream: llm, limits: { maxBytes: 10mb, maxDimension: 8000, maxPixels: 40000000, verifyDecode: true } }
logging: { level: info }
`);
  const gw = spawnProc('modelgate', process.execPath, [CLI_JS, 'start', '--config', yaml], { stdout: 'ignore' });
  await waitUntil('modelgate /readyz', async () => (await httpGetStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200, gw);
  const targets: Array<[string, string]> = [['direct (no gateway)', sim.url], ['modelgate', `http://127.0.0.1:${port}`]];
  const nginxBin = findNginx();
  if (nginxBin !== null) {
    const nport = await freePort();
    const { proc } = startNginx(nginxBin, { dir: join(dir, 'nginx'), port: nport, upstream: new URL(sim.url).host, apiKeys: [key], prefixes: ['/v2/', '/analyze'], maxBody: '64m' });
    await waitUntil('nginx', async () => (await httpGetStatus(`http://127.0.0.1:${nport}/nothing`)) === 404, proc);
    targets.push(['nginx (proxy, no validation)', `http://127.0.0.1:${nport}`]);
  }
  const reqs: Req[] = [
    { name: '224 × 224 PNG upload', path: '/analyze', contentType: 'image/png', body: png },
    { name: '4 MP JPEG upload', path: '/analyze', contentType: 'image/jpeg', body: jpeg },
    { name: '4 MP JPEG upload, verifyDecode', path: '/analyze-decode', contentType: 'image/jpeg', body: jpeg },
    { name: '[16,3,224,224] FP32 JSON tensor', path: '/v2/models/resnet50/infer', contentType: 'application/json', body: json },
    { name: '[16,3,224,224] FP32 binary tensor', path: '/v2/models/resnet50/infer', contentType: 'application/octet-stream', body: bin.body, headers: { 'inference-header-content-length': String(bin.headerLength) } },
  ];
  console.log(`\nOver HTTP, one request at a time, ${N} per row and target (rounds alternate between targets); latency in ms, p50 / p90:\n`);
  console.log(`| request | ${targets.map(([n]) => n).join(' | ')} | modelgate − direct (p50) |`);
  console.log(`|---|${targets.map(() => '---').join('|')}|---|`);
  try {
    for (const r of reqs) {
      const times = targets.map(() => [] as number[]);
      for (const [, origin] of targets) for (let i = 0; i < 2; i++) await send(origin, r, key); // warm-up
      for (let i = 0; i < N; i++) {
        for (let t = 0; t < targets.length; t++) {
          const origin = (targets[t] as [string, string])[1];
          const t0 = performance.now();
          await send(origin, r, key);
          (times[t] as number[]).push(performance.now() - t0);
        }
      }
      const stats = times.map((ts) => { ts.sort((a, b) => a - b); return { p50: percentile(ts, 0.5), p90: percentile(ts, 0.9) }; });
      const cells = stats.map((x) => `${x.p50.toFixed(2)} / ${x.p90.toFixed(2)}`);
      console.log(`| ${r.name} | ${cells.join(' | ')} | +${((stats[1]?.p50 ?? 0) - (stats[0]?.p50 ?? 0)).toFixed(2)} |`);
    }
  } finally {
    await stopAll();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
