/**
 * What request-sized work costs the event loop, and what other requests feel while large prompts
 * are scanned (issues 14 and 15: "nothing request-sized runs on the event loop for more than
 * 2 ms"; "while 100 KB prompts are being scanned, other requests' p99 stays within 1.2× of its
 * unloaded value"; "event-loop delay p99 < 20 ms at 100 concurrent requests").
 *
 * 1. In this process, time on the loop of one call (p50 / p99 / max over OFFLOOP_N runs): JSON
 *    body parse with the gateway's guards (100 KB chat body), token counting of 100 KB
 *    (o200k_base), the injection scan of 100 KB inline, the same scan through the worker pool
 *    (what stays on the loop: posting the task and taking the answer, measured as the longest
 *    loop stall seen by a 1 ms event-loop-delay histogram while the scan runs), and a KServe
 *    JSON tensor of several MB (parse + validation) inline and through the pool (posting the
 *    task — the bytes move, no copy — the longest stall while it runs, taking the verdict), with
 *    what the copy and a plain structured clone of the same bytes cost, and the inline check at
 *    16–256 KB (where workers.offloadJsonAbove sits).
 * 2. Over HTTP: a simulator and modelgate (CLI) in their own processes. Small chat requests
 *    (~600 B) at OFFLOOP_SMALL_CONC connections, unloaded and then while OFFLOOP_BIG_CONC
 *    connections send 100 KB prompts (and then 3.2 MB KServe JSON tensors) back to back; with
 *    workers.threads 0 (every scan and parse on the loop) and with the pool (threads 1). Then 100 connections of small requests for
 *    OFFLOOP_LOAD_S seconds and the gateway's own modelgate_event_loop_delay_seconds{stat="p99"}
 *    (a 10 s window that lies wholly inside the load). Every chat request of these phases carries
 *    a number of its own, so the gateway's per-key caches (token counts, injection results) never
 *    answer for it: each one is counted and scanned.
 *
 *   npm run bench:offloop      (OFFLOOP_N, OFFLOOP_SMALL_N, OFFLOOP_SMALL_CONC, OFFLOOP_BIG_CONC, OFFLOOP_LOAD_S,
 *                               OFFLOOP_BIG=chat,kserve (which loaded tables), OFFLOOP_DELAY=0 (skip the last table))
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';
import { Pool } from 'undici';
import { loadConfigText } from '../src/config/load.js';
import { jsonLimitsOf, parseJsonBody } from '../src/policies/json-body.js';
import { tokenCounter } from '../src/limits/cost.js';
import { ALL_LAYERS, createInjectionScanner, createScanCache, injectionSources } from '../src/policies/injection.js';
import { ScanPool } from '../src/workers/scan-pool.js';
import { BINARY_HEADER, kserveJsonBody, kservePolicy } from '../src/protocols/kserve/policy.js';
import type { RequestContext } from '../src/pipeline/context.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { CLI_JS, BENCH_DIR, envNum, firstJsonLine, freePort, httpGetStatus, installCleanup, spawnProc, stopProc, waitUntil } from './procs.js';
import { prose } from './attack-text.js';

const N = envNum('OFFLOOP_N', 30, true);
const SMALL_N = envNum('OFFLOOP_SMALL_N', 1500, true);
const SMALL_CONC = envNum('OFFLOOP_SMALL_CONC', 4, true);
const BIG_CONC = envNum('OFFLOOP_BIG_CONC', 2, true);
const LOAD_S = envNum('OFFLOOP_LOAD_S', 25, true);
/** Which loaded-phase tables to run: chat (100 KB prompts), kserve (3.2 MB tensors), or both. */
const BIG: Big[] = (process.env.OFFLOOP_BIG ?? 'chat,kserve,kserve-binary').split(',').filter((x): x is Big => x === 'chat' || x === 'kserve' || x === 'kserve-binary');
/** Whether to run the 100-connection event-loop-delay table (OFFLOOP_DELAY=0: skip). */
const DELAY = process.env.OFFLOOP_DELAY !== '0';
/** Requests of the burst table (OFFLOOP_BURST=0: skip), and bursts per row. */
const BURST = envNum('OFFLOOP_BURST', 200, false);
const BURST_ROUNDS = envNum('OFFLOOP_BURST_ROUNDS', 20, true);
/** workers.loopSlice values (ms) the event-loop-delay table runs with, one row each (0: no slicing). */
const SLICES = (process.env.OFFLOOP_SLICES ?? '0,4').split(',').map(Number).filter((x) => Number.isFinite(x) && x >= 0);

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function stats(ms: number[]): { p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: pct(s, 0.5), p99: pct(s, 0.99), max: s[s.length - 1] ?? 0 };
}

const f = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

function timeSync(fn: () => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const t = performance.now();
    fn();
    if (i >= 3) out.push(performance.now() - t);
  }
  return out;
}

const ROUTES = `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 1mb, maxMessageChars: 200000, maxTotalChars: 400000, maxJsonStringChars: 200000 }
  - path: /v2/models/{model}/infer
    protocol: kserve-v2
    upstream: llm
    limits: { maxBodyBytes: 64mb, maxTensorElements: 10000000, maxJsonArrayLength: 10000000 }
    models:
      resnet50:
        inputs: [ { name: input, datatype: FP32, shape: [-1, 3, 224, 224], range: [-100, 100] } ]
        maxBatch: 16
      vec:
        inputs: [ { name: v, datatype: FP32, shape: [-1] } ]
`;

const TEXT_100K = prose(100_000, 7);
const chatBody = (content: string, maxTokens = 8): string => JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content }], max_tokens: maxTokens });

let tensorValues: number[] | null = null;
let tensorBody: Buffer | null = null;

/** A [4,3,224,224] FP32 tensor's 602,112 values (deterministic, within resnet50's range). */
function kserveValues(): number[] {
  if (tensorValues !== null) return tensorValues;
  const values: number[] = [];
  let s = 1;
  for (let i = 0; i < 4 * 3 * 224 * 224; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    values.push(Math.round(((s >>> 8) / 0xffffff) * 2000 - 1000) / 100);
  }
  return (tensorValues = values);
}

/** The KServe JSON request of that tensor: 3.2 MB. */
function kserveBody(): Buffer {
  tensorBody ??= Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 3, 224, 224], data: kserveValues() }] }));
  return tensorBody;
}

/** The same tensor in the binary extension: its body and its Inference-Header-Content-Length. */
function binaryBody(): { body: Buffer; headerLength: number } {
  const floats = Buffer.from(new Float32Array(kserveValues()).buffer);
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 3, 224, 224], parameters: { binary_data_size: floats.length } }] }));
  return { body: Buffer.concat([header, floats]), headerLength: header.length };
}

async function onTheLoop(): Promise<void> {
  const config = loadConfigText(`
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams: { llm: { targets: ["http://127.0.0.1:9"] } }
routes:${ROUTES}`, {});
  const chatRoute = config.routes[0];
  const kRoute = config.routes[1];
  if (chatRoute === undefined || kRoute === undefined) throw new Error('routes');
  const body = Buffer.from(chatBody(TEXT_100K));
  const limits = jsonLimitsOf(chatRoute.limits);
  const counter = tokenCounter('o200k_base');
  const scan = createInjectionScanner(null, ALL_LAYERS);
  const values = kserveValues();
  const kBody = kserveBody();
  const kParse = kserveJsonBody(kRoute);
  const kValidate = kservePolicy(kRoute);
  const kctx = (raw = kBody, model = 'resnet50'): RequestContext => ({ rawBody: raw, headers: {}, method: 'POST', params: { model }, body: undefined, inspection: null, forward: null, clientGone: new AbortController().signal } as unknown as RequestContext);
  /** Body phase then inspect phase, inline: what a request of this body costs the loop. */
  const kInline = (raw: Buffer, model: string): void => {
    const ctx = kctx(raw, model);
    kParse.run(ctx);
    kValidate.run(ctx);
  };
  const vecBody = (bytes: number): Buffer => {
    const n = Math.round(bytes / 7.4);
    return Buffer.from(JSON.stringify({ inputs: [{ name: 'v', datatype: 'FP32', shape: [n], data: values.slice(0, n) }] }));
  };

  const rows: Array<[string, number[]]> = [];
  rows.push([`JSON body parse + guards, ${(body.length / 1024).toFixed(0)} KB chat body`, timeSync(() => parseJsonBody(body, limits))]);
  rows.push(['token count (o200k_base), 100 KB prose', timeSync(() => counter.count(TEXT_100K))]);
  rows.push(['injection scan inline (patterns + learned, decoded views), 100 KB', timeSync(() => scan([TEXT_100K]))]);
  rows.push([`KServe JSON parse + guards, ${(kBody.length / 1e6).toFixed(1)} MB ([4,3,224,224] FP32)`, timeSync(() => kParse.run(kctx()))]);
  const validated = kctx();
  kParse.run(validated);
  rows.push(['KServe tensor validation (602,112 values)', timeSync(() => kValidate.run(validated))]);
  // The same tensor in the binary extension: a small JSON header, then 2.4 MB of little-endian floats.
  const floats = Buffer.from(new Float32Array(values).buffer);
  const bHeader = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 3, 224, 224], parameters: { binary_data_size: floats.length } }] }));
  const bBody = Buffer.concat([bHeader, floats]);
  const bctx = (): RequestContext => ({ ...kctx(bBody), headers: { [BINARY_HEADER]: String(bHeader.length) } } as unknown as RequestContext);
  if (kValidate.run(bctx()) !== undefined) throw new Error('the binary tensor was refused');
  rows.push([`KServe binary tensor, header + element checks + forward body, ${(bBody.length / 1e6).toFixed(1)} MB ([4,3,224,224] FP32)`, timeSync(() => kValidate.run(bctx()))]);
  for (const kb of [16, 64, 256]) {
    const b = vecBody(kb * 1024);
    rows.push([`KServe JSON inline, parse + guards + validation, ${(b.length / 1024).toFixed(0)} KB (FP32 vector)`, timeSync(() => kInline(b, 'vec'))]);
  }
  // What moving the body's memory to the thread avoids: copying it, or cloning it into the message.
  rows.push([`copy of the ${(kBody.length / 1e6).toFixed(1)} MB body (new Uint8Array)`, timeSync(() => new Uint8Array(kBody))]);
  const channel = new MessageChannel();
  channel.port2.on('message', () => undefined);
  rows.push([`structured clone of the ${(kBody.length / 1e6).toFixed(1)} MB body (postMessage, no transfer)`, timeSync(() => channel.port1.postMessage(kBody))]);
  channel.port1.close();

  // Through the pool: the loop's longest stall while scans run in the thread.
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, queue: 4 });
  await pool.open();
  // The policy's part on the loop: the sources built and each one's cache key (SHA-256).
  const scanCache = createScanCache();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const stalls: number[] = [];
  const posts: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const signal = new AbortController().signal;
    h.reset();
    h.enable();
    const t = performance.now();
    const sources = injectionSources([TEXT_100K]);
    for (const src of sources) scanCache.keyOf('key:bench', src);
    const p = pool.scanSources(sources, ALL_LAYERS, signal);
    const posted = performance.now() - t;
    await p;
    // One more turn so the histogram sees the answer's callback.
    await new Promise((r) => setTimeout(r, 2));
    h.disable();
    if (i >= 3) {
      posts.push(posted);
      stalls.push(Math.max(0, h.max / 1e6 - 1));
    }
  }
  rows.push(['injection scan via the pool, 100 KB: cache keys (SHA-256) and posting the task', posts]);
  rows.push(['injection scan via the pool, 100 KB: longest loop stall while it runs', stalls]);

  // The KServe body through the pool, as the route's policies do it: the body phase posts the
  // task (copying the bytes once), the inspect phase takes the verdict.
  const kPooled = kserveJsonBody(kRoute, pool);
  const kPosts: number[] = [];
  const kStalls: number[] = [];
  const kTakes: number[] = [];
  const kBusy: number[] = [];
  const kWall: number[] = [];
  const kGc: number[] = [];
  // Garbage-collection pauses of this thread (the main isolate), longest per check.
  let gcMax = 0;
  const gcs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration); });
  gcs.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < N + 3; i++) {
    // A body of its own each time (its memory moves to the thread and back), as body-read makes it.
    const ctx = kctx(Buffer.from(kBody));
    h.reset();
    h.enable();
    const elu = performance.eventLoopUtilization();
    gcMax = 0;
    const t = performance.now();
    const p = kPooled.run(ctx);
    const posted = performance.now() - t;
    if (!(p instanceof Promise) || (await p) !== undefined) throw new Error('the 3.2 MB body was not checked in the pool, or was refused');
    const t2 = performance.now();
    if (kValidate.run(ctx) !== undefined) throw new Error('refused');
    const took = performance.now() - t2;
    await new Promise((r) => setTimeout(r, 2));
    h.disable();
    const wall = performance.now() - t;
    const busy = performance.eventLoopUtilization(elu).active;
    // GC entries are delivered asynchronously: one more turn to see this check's.
    await new Promise((r) => setImmediate(r));
    const gc = gcMax;
    const fwd = ctx.forward?.body;
    if (!Buffer.isBuffer(fwd) || !fwd.equals(kBody) || ctx.inspection?.extraUnits !== 602.112) throw new Error('not forwarded as sent');
    if (i >= 3) {
      kPosts.push(posted);
      kTakes.push(took);
      kStalls.push(Math.max(0, h.max / 1e6 - 1));
      kBusy.push(busy);
      kWall.push(wall);
      kGc.push(gc);
    }
  }
  // The binary tensor through the pool (workers.offloadTensorAbove): posted in the body phase,
  // the verdict and the body to forward taken in the inspect phase.
  const bPosts: number[] = [];
  const bTakes: number[] = [];
  const bStalls: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const ctx = bctx();
    ctx.rawBody = Buffer.from(bBody); // a body of its own (its memory moves to the thread and back)
    h.reset();
    h.enable();
    const t = performance.now();
    const p = kPooled.run(ctx);
    const posted = performance.now() - t;
    if (!(p instanceof Promise) || (await p) !== undefined) throw new Error('the binary tensor was not checked in the pool');
    const t2 = performance.now();
    if (kValidate.run(ctx) !== undefined) throw new Error('the binary tensor was refused');
    const took = performance.now() - t2;
    await new Promise((r) => setTimeout(r, 2));
    h.disable();
    const fwd = ctx.forward?.body;
    if (!Buffer.isBuffer(fwd) || !fwd.equals(bBody)) throw new Error('the binary tensor was not forwarded as sent');
    if (i >= 3) {
      bPosts.push(posted);
      bTakes.push(took);
      bStalls.push(Math.max(0, h.max / 1e6 - 1));
    }
  }
  gcs.disconnect();
  await pool.close();
  // The machine's own share of those stalls: the same histogram over an idle window as long as a
  // pooled check took (its median), with nothing to do.
  const idle: number[] = [];
  const window = stats(kWall).p50;
  for (let i = 0; i < N + 3; i++) {
    h.reset();
    h.enable();
    await new Promise((r) => setTimeout(r, window));
    h.disable();
    if (i >= 3) idle.push(Math.max(0, h.max / 1e6 - 1));
  }
  const mb = (kBody.length / 1e6).toFixed(1);
  rows.push([`KServe ${mb} MB via the pool: posting the task (body phase; the bytes are moved, not copied)`, kPosts]);
  rows.push([`KServe ${mb} MB via the pool: taking the verdict (inspect phase)`, kTakes]);
  rows.push([`KServe ${mb} MB via the pool: longest loop stall while it runs`, kStalls]);
  rows.push([`KServe ${mb} MB via the pool: loop busy over the whole check (event-loop utilisation × time)`, kBusy]);
  rows.push([`KServe ${mb} MB via the pool: longest garbage-collection pause of the loop's thread during the check`, kGc]);
  rows.push([`KServe ${mb} MB via the pool: wall time of the check (not on the loop)`, kWall]);
  const bmb = (bBody.length / 1e6).toFixed(1);
  rows.push([`KServe binary ${bmb} MB via the pool: posting the task (body phase)`, bPosts]);
  rows.push([`KServe binary ${bmb} MB via the pool: taking the verdict and the body to forward (inspect phase)`, bTakes]);
  rows.push([`KServe binary ${bmb} MB via the pool: longest loop stall while it runs`, bStalls]);
  rows.push([`no work: longest loop stall over an idle ${window.toFixed(0)} ms window (the machine's noise)`, idle]);

  console.log(`\n### Time on the event loop, one call (ms; ${N} runs after 3 warm-up)\n`);
  console.log('| work | p50 | p99 | max | > 2 ms? |');
  console.log('|---|---|---|---|---|');
  for (const [name, ms] of rows) {
    const st = stats(ms);
    console.log(`| ${name} | ${f(st.p50)} | ${f(st.p99)} | ${f(st.max)} | ${st.p50 > 2 ? 'yes' : 'no'} |`);
  }
}

interface Target { url: string; key: string; admin: string }

/** Numbers the chat requests of the HTTP phases (unique across the run). */
let seq = Date.now();

async function smallLatencies(t: Target, pool: Pool, n: number, conc: number): Promise<{ ms: number[]; errors: number }> {
  const ms: number[] = [];
  let errors = 0;
  let left = n;
  const text = prose(560, 3);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${t.key}` };
  await Promise.all(Array.from({ length: conc }, async () => {
    while (left-- > 0) {
      // Each request new (a number of its own): the gateway's per-key caches must not answer for it.
      const body = chatBody(`Request ${seq++}. ${text}`);
      const t0 = performance.now();
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
      await r.body.text();
      ms.push(performance.now() - t0);
      if (r.statusCode !== 200) errors++;
    }
  }));
  return { ms, errors };
}

/** The large requests of the loaded phase: 100 KB chat prompts, 3.2 MB KServe JSON tensors, or the same tensors binary (2.4 MB). */
type Big = 'chat' | 'kserve' | 'kserve-binary';

/** Sends large requests back to back on `conc` connections until `stop` resolves. */
async function bigLoad(t: Target, conc: number, stop: Promise<void>, big: Big): Promise<{ sent: number; errors: number }> {
  const pool = new Pool(t.url, { connections: conc });
  let done = false;
  void stop.then(() => { done = true; });
  let sent = 0;
  let errors = 0;
  const bin = big === 'kserve-binary' ? binaryBody() : null;
  const headers: Record<string, string> = bin === null
    ? { 'content-type': 'application/json', authorization: `Bearer ${t.key}` }
    : { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(bin.headerLength), authorization: `Bearer ${t.key}` };
  const path = big === 'chat' ? '/v1/chat/completions' : '/v2/models/resnet50/infer';
  await Promise.all(Array.from({ length: conc }, async (_, i) => {
    const text = big === 'chat' ? prose(100_000, 11 + i) : '';
    while (!done) {
      // Each prompt new (a number of its own), so it is hashed, decoded and scanned every time.
      const body = big === 'chat' ? chatBody(`Request ${seq++}. ${text}`) : bin?.body ?? kserveBody();
      const r = await pool.request({ path, method: 'POST', headers, body });
      await r.body.text();
      sent++;
      if (r.statusCode !== 200) errors++;
    }
  }));
  await pool.close();
  return { sent, errors };
}

async function startGateway(dir: string, sim: string, threads: number, loopSlice?: number): Promise<{ t: Target; stop: () => Promise<void> }> {
  const key = generateKey();
  const port = await freePort();
  const adminPort = await freePort();
  const yaml = join(dir, `modelgate-${threads}.yaml`);
  writeFileSync(yaml, `
server: { host: 127.0.0.1, port: ${port} }
admin: { host: 127.0.0.1, port: ${adminPort} }
auth: { keys: [ { id: bench, hash: "${keyHashLine(key)}" } ] }
upstreams: { llm: { targets: ["${sim}"], timeout: 120s } }
routes:${ROUTES}
workers: { threads: ${threads}, offloadAbove: 4096, queue: 64${loopSlice === undefined ? '' : `, loopSlice: ${loopSlice}`} }
logging: { level: info }
`);
  const gw = spawnProc(`modelgate-${threads}`, process.execPath, [CLI_JS, 'start', '--config', yaml], { stdout: 'ignore' });
  await waitUntil('modelgate /readyz', async () => (await httpGetStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200, gw, 60_000);
  return { t: { url: `http://127.0.0.1:${port}`, key, admin: `http://127.0.0.1:${adminPort}` }, stop: () => stopProc(gw) };
}

/** The gateway's event-loop delay (p99, max) and utilisation of its last completed window. */
async function scrapeLoop(admin: string): Promise<{ p99: number; max: number; elu: number }> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const value = (prefix: string): number => Number(text.split('\n').find((l) => l.startsWith(prefix))?.split(' ').pop() ?? 'NaN');
  return {
    p99: value('modelgate_event_loop_delay_seconds{stat="p99"}'),
    max: value('modelgate_event_loop_delay_seconds{stat="max"}'),
    elu: value('modelgate_event_loop_utilization_ratio '),
  };
}

/** Small requests' latency, alone and while large requests of kind `big` arrive, with the pool off and on. */
async function loadedTable(dir: string, sim: string, big: Big): Promise<void> {
  const what = big === 'chat' ? '100 KB prompts' : big === 'kserve' ? `${(kserveBody().length / 1e6).toFixed(1)} MB KServe JSON tensors` : `${(binaryBody().body.length / 1e6).toFixed(1)} MB KServe binary tensors`;
  console.log(`\n### Small requests while ${what} are checked (${SMALL_N} small requests at ${SMALL_CONC} connections; ${BIG_CONC} connections of ${what} back to back; ms)\n`);
  console.log(`| workers.threads | small p50 unloaded | small p99 unloaded | small p50 loaded | small p99 loaded | p99 loaded / unloaded | large requests done | errors |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const threads of [0, 1]) {
    const g = await startGateway(dir, sim, threads);
    const pool = new Pool(g.t.url, { connections: SMALL_CONC });
    try {
      await smallLatencies(g.t, pool, 200, SMALL_CONC);
      const un = await smallLatencies(g.t, pool, SMALL_N, SMALL_CONC);
      let stopBig: () => void = () => undefined;
      const stop = new Promise<void>((r) => (stopBig = r));
      const load = bigLoad(g.t, BIG_CONC, stop, big);
      const lo = await smallLatencies(g.t, pool, SMALL_N, SMALL_CONC);
      stopBig();
      const b = await load;
      const su = stats(un.ms);
      const sl = stats(lo.ms);
      console.log(`| ${threads}${threads === 0 ? ' (on the loop)' : ' (pool)'} | ${f(su.p50)} | ${f(su.p99)} | ${f(sl.p50)} | ${f(sl.p99)} | ${(sl.p99 / su.p99).toFixed(2)}× | ${b.sent} | ${un.errors + lo.errors + b.errors} |`);
    } finally {
      await pool.close();
      await g.stop();
    }
  }
}

/** The gateway's own event-loop delay at 100 concurrent small requests. */
async function delayTable(dir: string, sim: string): Promise<void> {
  console.log(`\n### Event-loop delay at 100 concurrent small requests (${LOAD_S} s per row; the gateway's own metric, last 10 s window wholly inside the load)\n`);
  console.log('| workers.loopSlice | requests | req/s | latency p50 | latency p99 | event-loop delay p99 | event-loop delay max | event-loop utilisation | errors |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const slice of SLICES) {
    const g = await startGateway(dir, sim, 1, slice);
    const pool = new Pool(g.t.url, { connections: 100 });
    try {
      let n = 0;
      let errors = 0;
      const until = Date.now() + LOAD_S * 1000;
      const text = prose(560, 5);
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${g.t.key}` };
      const lat: number[] = [];
      let loop = { p99: NaN, max: NaN, elu: NaN };
      const scrapeAt = setTimeout(() => {
        void scrapeLoop(g.t.admin).then((l) => { loop = l; });
      }, (LOAD_S - 2) * 1000);
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (Date.now() < until) {
          const body = chatBody(`Request ${seq++}. ${text}`);
          const t0 = performance.now();
          const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
          await r.body.text();
          lat.push(performance.now() - t0);
          n++;
          if (r.statusCode !== 200) errors++;
        }
      }));
      clearTimeout(scrapeAt);
      const st = stats(lat);
      console.log(`| ${slice === 0 ? '0 (off)' : `${slice} ms`} | ${n} | ${(n / LOAD_S).toFixed(0)} | ${f(st.p50)} ms | ${f(st.p99)} ms | ${(loop.p99 * 1000).toFixed(1)} ms | ${(loop.max * 1000).toFixed(1)} ms | ${(loop.elu * 100).toFixed(0)}% | ${errors} |`);
    } finally {
      await pool.close();
      await g.stop();
    }
  }
}

/**
 * A burst: BURST new chat requests at once on a warm, idle gateway. A probe on its own connection
 * asks the admin listener (same process, same event loop) for /healthz back to back: its latency
 * during the burst is how long the loop's turns are. Warm-up uses the same connections, so the
 * burst opens none.
 */
async function burstTable(dir: string, sim: string): Promise<void> {
  console.log(`\n### A burst of ${BURST} new chat requests at once (idle, warm gateway; a /healthz probe on the same event loop; ${BURST_ROUNDS} bursts per row)\n`);
  console.log('| workers.loopSlice | probe p50 | probe p99 | probe max | burst done (p50 of bursts) | burst request p50 | burst request p99 | errors |');
  console.log('|---|---|---|---|---|---|---|---|');
  const text = prose(560, 9);
  for (const slice of SLICES) {
    const g = await startGateway(dir, sim, 1, slice);
    const pool = new Pool(g.t.url, { connections: BURST });
    const probe = new Pool(g.t.admin, { connections: 1 });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${g.t.key}` };
    let errors = 0;
    const fire = (): Promise<number[]> => Promise.all(Array.from({ length: BURST }, async () => {
      const t0 = performance.now();
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body: chatBody(`Request ${seq++}. ${text}`) });
      await r.body.text();
      if (r.statusCode !== 200) errors++;
      return performance.now() - t0;
    }));
    try {
      for (let i = 0; i < 3; i++) await fire(); // warm-up: JIT, caches, every connection open
      errors = 0;
      const probeMs: number[] = [];
      const reqMs: number[] = [];
      const doneMs: number[] = [];
      for (let round = 0; round < BURST_ROUNDS; round++) {
        let on = true;
        const probing = (async () => {
          while (on) {
            const t0 = performance.now();
            const r = await probe.request({ path: '/healthz', method: 'GET' });
            await r.body.text();
            probeMs.push(performance.now() - t0);
          }
        })();
        const t0 = performance.now();
        reqMs.push(...await fire());
        doneMs.push(performance.now() - t0);
        on = false;
        await probing;
      }
      const p = stats(probeMs);
      const q = stats(reqMs);
      console.log(`| ${slice === 0 ? '0 (off)' : `${slice} ms`} | ${f(p.p50)} ms | ${f(p.p99)} ms | ${f(p.max)} ms | ${f(stats(doneMs).p50)} ms | ${f(q.p50)} ms | ${f(q.p99)} ms | ${errors} |`);
    } finally {
      await probe.close();
      await pool.close();
      await g.stop();
    }
  }
}

async function overHttp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-offloop-'));
  const simProc = spawnProc('simulator', process.execPath, [join(BENCH_DIR, 'sim-proc.js')]);
  const sim = (await firstJsonLine(simProc) as { url: string }).url;
  try {
    for (const big of BIG) await loadedTable(dir, sim, big);
    if (DELAY) await delayTable(dir, sim);
    if (BURST > 0) await burstTable(dir, sim);
  } finally {
    await stopProc(simProc);
    rmSync(dir, { recursive: true, force: true });
  }
}

installCleanup();
console.log(`## Event loop and large inputs (bench/offloop.ts)\n\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await onTheLoop();
await overHttp();
console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
