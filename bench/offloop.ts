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
 *    JSON tensor of several MB (parse + validation).
 * 2. Over HTTP: a simulator and modelgate (CLI) in their own processes. Small chat requests
 *    (~600 B) at OFFLOOP_SMALL_CONC connections, unloaded and then while OFFLOOP_BIG_CONC
 *    connections send 100 KB prompts back to back; with workers.threads 0 (every scan on the
 *    loop) and with the pool (threads 1). Then 100 connections of small requests for
 *    OFFLOOP_LOAD_S seconds and the gateway's own modelgate_event_loop_delay_seconds{stat="p99"}
 *    (a 10 s window that lies wholly inside the load).
 *
 *   npm run bench:offloop      (OFFLOOP_N, OFFLOOP_SMALL_N, OFFLOOP_SMALL_CONC, OFFLOOP_BIG_CONC, OFFLOOP_LOAD_S)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { loadConfigText } from '../src/config/load.js';
import { jsonLimitsOf, parseJsonBody } from '../src/policies/json-body.js';
import { tokenCounter } from '../src/limits/cost.js';
import { ALL_LAYERS, createInjectionScanner } from '../src/policies/injection.js';
import { ScanPool } from '../src/workers/scan-pool.js';
import { kserveJsonBody, kservePolicy } from '../src/protocols/kserve/policy.js';
import type { RequestContext } from '../src/pipeline/context.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { CLI_JS, BENCH_DIR, envNum, firstJsonLine, freePort, httpGetStatus, installCleanup, spawnProc, stopProc, waitUntil } from './procs.js';
import { prose } from './attack-text.js';

const N = envNum('OFFLOOP_N', 30, true);
const SMALL_N = envNum('OFFLOOP_SMALL_N', 1500, true);
const SMALL_CONC = envNum('OFFLOOP_SMALL_CONC', 4, true);
const BIG_CONC = envNum('OFFLOOP_BIG_CONC', 2, true);
const LOAD_S = envNum('OFFLOOP_LOAD_S', 25, true);

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
`;

const TEXT_100K = prose(100_000, 7);
const chatBody = (content: string, maxTokens = 8): string => JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content }], max_tokens: maxTokens });

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
  // A [4,3,224,224] FP32 tensor: 602,112 values, JSON of several MB.
  const values: number[] = [];
  let s = 1;
  for (let i = 0; i < 4 * 3 * 224 * 224; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    values.push(Math.round(((s >>> 8) / 0xffffff) * 2000 - 1000) / 100);
  }
  const kBody = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 3, 224, 224], data: values }] }));
  const kParse = kserveJsonBody(kRoute);
  const kValidate = kservePolicy(kRoute);
  const kctx = (): RequestContext => ({ rawBody: kBody, headers: {}, method: 'POST', params: { model: 'resnet50' }, body: undefined, inspection: null, forward: null } as unknown as RequestContext);

  const rows: Array<[string, number[]]> = [];
  rows.push([`JSON body parse + guards, ${(body.length / 1024).toFixed(0)} KB chat body`, timeSync(() => parseJsonBody(body, limits))]);
  rows.push(['token count (o200k_base), 100 KB prose', timeSync(() => counter.count(TEXT_100K))]);
  rows.push(['injection scan inline (patterns + learned, decoded views), 100 KB', timeSync(() => scan([TEXT_100K]))]);
  rows.push([`KServe JSON parse + guards, ${(kBody.length / 1e6).toFixed(1)} MB ([4,3,224,224] FP32)`, timeSync(() => kParse.run(kctx()))]);
  const validated = kctx();
  kParse.run(validated);
  rows.push(['KServe tensor validation (602,112 values)', timeSync(() => kValidate.run(validated))]);

  // Through the pool: the loop's longest stall while scans run in the thread.
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, queue: 4 });
  await pool.open();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const stalls: number[] = [];
  const posts: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const signal = new AbortController().signal;
    h.reset();
    h.enable();
    const t = performance.now();
    const p = pool.scan([TEXT_100K], null, ALL_LAYERS, signal);
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
  await pool.close();
  rows.push(['injection scan via the pool, 100 KB: posting the task', posts]);
  rows.push(['injection scan via the pool, 100 KB: longest loop stall while it runs', stalls]);

  console.log(`\n### Time on the event loop, one call (ms; ${N} runs after 3 warm-up)\n`);
  console.log('| work | p50 | p99 | max | > 2 ms? |');
  console.log('|---|---|---|---|---|');
  for (const [name, ms] of rows) {
    const st = stats(ms);
    console.log(`| ${name} | ${f(st.p50)} | ${f(st.p99)} | ${f(st.max)} | ${st.p50 > 2 ? 'yes' : 'no'} |`);
  }
}

interface Target { url: string; key: string; admin: string }

async function smallLatencies(t: Target, pool: Pool, n: number, conc: number): Promise<{ ms: number[]; errors: number }> {
  const ms: number[] = [];
  let errors = 0;
  let left = n;
  const body = chatBody(prose(560, 3));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${t.key}` };
  await Promise.all(Array.from({ length: conc }, async () => {
    while (left-- > 0) {
      const t0 = performance.now();
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
      await r.body.text();
      ms.push(performance.now() - t0);
      if (r.statusCode !== 200) errors++;
    }
  }));
  return { ms, errors };
}

/** Sends 100 KB prompts back to back on `conc` connections until `stop` resolves. */
async function bigLoad(t: Target, conc: number, stop: Promise<void>): Promise<{ sent: number; errors: number }> {
  const pool = new Pool(t.url, { connections: conc });
  let done = false;
  void stop.then(() => { done = true; });
  let sent = 0;
  let errors = 0;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${t.key}` };
  await Promise.all(Array.from({ length: conc }, async (_, i) => {
    const body = chatBody(prose(100_000, 11 + i));
    while (!done) {
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
      await r.body.text();
      sent++;
      if (r.statusCode !== 200) errors++;
    }
  }));
  await pool.close();
  return { sent, errors };
}

async function startGateway(dir: string, sim: string, threads: number): Promise<{ t: Target; stop: () => Promise<void> }> {
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
workers: { threads: ${threads}, offloadAbove: 4096, queue: 64 }
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

async function overHttp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-offloop-'));
  const simProc = spawnProc('simulator', process.execPath, [join(BENCH_DIR, 'sim-proc.js')]);
  const sim = (await firstJsonLine(simProc) as { url: string }).url;
  try {
    console.log(`\n### Small requests while 100 KB prompts are scanned (${SMALL_N} small requests at ${SMALL_CONC} connections; ${BIG_CONC} connections of 100 KB prompts back to back; ms)\n`);
    console.log('| workers.threads | small p50 unloaded | small p99 unloaded | small p50 loaded | small p99 loaded | p99 loaded / unloaded | 100 KB requests done | errors |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const threads of [0, 1]) {
      const g = await startGateway(dir, sim, threads);
      const pool = new Pool(g.t.url, { connections: SMALL_CONC });
      try {
        await smallLatencies(g.t, pool, 200, SMALL_CONC);
        const un = await smallLatencies(g.t, pool, SMALL_N, SMALL_CONC);
        let stopBig: () => void = () => undefined;
        const stop = new Promise<void>((r) => (stopBig = r));
        const big = bigLoad(g.t, BIG_CONC, stop);
        const lo = await smallLatencies(g.t, pool, SMALL_N, SMALL_CONC);
        stopBig();
        const b = await big;
        const su = stats(un.ms);
        const sl = stats(lo.ms);
        console.log(`| ${threads}${threads === 0 ? ' (scans on the loop)' : ' (pool)'} | ${f(su.p50)} | ${f(su.p99)} | ${f(sl.p50)} | ${f(sl.p99)} | ${(sl.p99 / su.p99).toFixed(2)}× | ${b.sent} | ${un.errors + lo.errors + b.errors} |`);
      } finally {
        await pool.close();
        await g.stop();
      }
    }

    console.log(`\n### Event-loop delay at 100 concurrent small requests (${LOAD_S} s; the gateway's own metric, last 10 s window wholly inside the load)\n`);
    const g = await startGateway(dir, sim, 1);
    const pool = new Pool(g.t.url, { connections: 100 });
    try {
      let n = 0;
      let errors = 0;
      const until = Date.now() + LOAD_S * 1000;
      const body = chatBody(prose(560, 5));
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${g.t.key}` };
      const lat: number[] = [];
      let loop = { p99: NaN, max: NaN, elu: NaN };
      const scrapeAt = setTimeout(() => {
        void scrapeLoop(g.t.admin).then((l) => { loop = l; });
      }, (LOAD_S - 2) * 1000);
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (Date.now() < until) {
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
      console.log('| requests | req/s | latency p50 | latency p99 | event-loop delay p99 | event-loop delay max | event-loop utilisation | errors |');
      console.log('|---|---|---|---|---|---|---|---|');
      console.log(`| ${n} | ${(n / LOAD_S).toFixed(0)} | ${f(st.p50)} ms | ${f(st.p99)} ms | ${(loop.p99 * 1000).toFixed(1)} ms | ${(loop.max * 1000).toFixed(1)} ms | ${(loop.elu * 100).toFixed(0)}% | ${errors} |`);
    } finally {
      await pool.close();
      await g.stop();
    }
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
