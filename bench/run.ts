/**
 * `npm run bench`: modelgate's overhead, side by side with its peers in one run.
 *
 * Starts, each in its own process: the simulator (every latency 0), the gateway through the real
 * CLI (`modelgate start --config`) with the chat route's whole policy set on (bench/chat-config.ts:
 * auth, request and cost limits, validation, injection detection, PII redaction, canary; access
 * log on), nginx configured the way the seeds guard an LLM server (when nginx is installed), and
 * the open-source Portkey gateway with no guardrails (bench/portkey.ts; installed into a cache
 * folder outside the project, skipped with a notice when it cannot be). Then measures, for direct
 * to the simulator and each proxy:
 *
 *   1. one-connection latency with µs resolution: sequential requests on a keep-alive
 *      connection, rounds alternating between the targets (bench/load.ts seq), and
 *   2. throughput, latency and — the primary figure — the proxy process's CPU µs per request
 *      (utime + stime from /proc) with `wrk` (C, bench/wrk.ts) at 32 connections: a Node load
 *      generator would take most of a core on a 2-core machine and hold the proxies back,
 *
 * for a non-streamed (~1 KB JSON answer) and a streamed (20-event) chat request, every response
 * checked to be 2xx, and prints markdown tables plus the verdict on the targets. Numbers are only
 * ever compared within one run; the machine's load average is printed at the start and the end.
 *
 * Environment:
 *   BENCH_DURATION      seconds measured per wrk row (default 15), split into rounds
 *   BENCH_ROUNDS        rounds per row, rotating through the targets (default 3)
 *   BENCH_WARMUP        seconds of warm-up before each round (default 1)
 *   BENCH_QUIET_PCT     before a round, wait while other processes keep more than this % of one
 *                       CPU busy (default 25) ...
 *   BENCH_QUIET_BUDGET  ... for at most this many seconds over the whole run (default 60; 0 = never wait)
 *   BENCH_CONNECTIONS   comma list (default "32")
 *   BENCH_TARGETS       comma list of direct,modelgate,modelgate-min,floor-fastify,floor-node,nginx,portkey
 *                       (default all): modelgate-min is the same gateway with auth only (bench/chat-config.ts),
 *                       floor-* the least a proxy on Fastify + undici or node:http + undici does (bench/floor-proxy.ts)
 *   BENCH_STREAM        0 = skip the streamed variant (default on)
 *   BENCH_VARY          1 = every request's user message (wrk's and the one-connection client's) carries a number of its own, so no
 *                       request is one the gateway's per-key caches (token counts, injection views)
 *                       have seen; default off: wrk sends one body again and again, the caches'
 *                       best case (the system prompt is known either way)
 *   BENCH_SEQ_REQUESTS  sequential requests per target for the µs latency (default 3000; 0 = skip)
 *   BENCH_SEQ_WARM      seconds of wrk (32 connections, the variant's body) each target gets before the
 *                       sequential latency, not measured (default 5; 0 = only the client's own 500
 *                       requests): a Node proxy's JIT is still compiling after 500 requests on one
 *                       connection (150 TurboFan compiles in the next 2,000, measured 2026-12-07),
 *                       and a gateway in service is warm
 *   BENCH_WRK           the wrk binary (default /usr/bin/wrk)
 *   BENCH_NGINX         the nginx binary (default /usr/sbin/nginx, else PATH), or "none" to leave nginx out
 *   BENCH_NGINX_ACCESS_LOG  0 = nginx without access log (default: on, like modelgate's)
 *   BENCH_PORTKEY_DIR   where Portkey is installed (default ~/.cache/modelgate-bench/portkey)
 *   BENCH_GATEWAY_NODE_ARGS extra node flags for the gateway, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
 *   BENCH_GATEWAY_LOG_LEVEL  modelgate's logging.level (default info: the access log is on); for
 *                       finding where the time goes only, like
 *   BENCH_GATEWAY_INJECTION  the chat route's injection.action (default block)
 *   BENCH_BASELINE_NODE_ARGS node flags for the baseline target instead of BENCH_GATEWAY_NODE_ARGS (with
 *                       BENCH_BASELINE_CLI=dist/src/cli/main.js: the same build under other flags, side by side)
 *   BENCH_BASELINE_CLI  dist/src/cli/main.js of another modelgate build (e.g. the previous release, built
 *                       in a git worktree): run beside this one as the target "baseline", same config
 *   BENCH_OUT           also write the printed report (markdown) to this file
 *   BENCH_KEEP_TMP      1 = keep the temporary directory (configs, logs)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { chatBody, chatConfigYaml, minimalConfigYaml } from './chat-config.js';
import type { SeqJob, SeqOutput, SeqResult, SeqTarget } from './load.js';
import { findNginx, startNginx } from './nginx.js';
import { PORTKEY_PACKAGE, portkeyHeaders, startPortkey } from './portkey.js';
import {
  firstJsonLine, freePort, groupCpuMs, httpGetStatus, installCleanup, runToEnd, spawnProc, stopAll, waitUntil, type CpuMs, type Proc,
  machineCpuMs,
  BENCH_DIR, CHAT_PATH, CLI_JS, envNum,
} from './procs.js';
import { findWrk, runWrk, type WrkResult } from './wrk.js';

const SIM = join(BENCH_DIR, 'sim-proc.js');
const LOAD = join(BENCH_DIR, 'load.js');
const FLOOR = join(BENCH_DIR, 'floor-proxy.js');

type TargetName = 'direct' | 'modelgate' | 'modelgate-min' | 'baseline' | 'floor-fastify' | 'floor-node' | 'nginx' | 'portkey';
interface Target {
  name: TargetName;
  origin: string;
  /** The process whose CPU time is the proxy's cost (null for direct). */
  proc: Proc | null;
  /** Request headers for this target (the API key; Portkey's routing headers). */
  headers: Record<string, string>;
  /** Why this target is left out of the streamed variant (it failed the streamed probe). */
  noStream?: string;
}

const DURATION = envNum('BENCH_DURATION', 15);
const WARMUP = envNum('BENCH_WARMUP', 1);
const ROUNDS = Math.max(1, Math.round(envNum('BENCH_ROUNDS', 3)));
const QUIET_PCT = envNum('BENCH_QUIET_PCT', 25);
const QUIET_BUDGET_S = envNum('BENCH_QUIET_BUDGET', 60);
const SEQ_REQUESTS = envNum('BENCH_SEQ_REQUESTS', 3000);
const SEQ_WARM = envNum('BENCH_SEQ_WARM', 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '32').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
const WANTED = new Set((process.env.BENCH_TARGETS ?? 'direct,modelgate,modelgate-min,floor-fastify,floor-node,nginx,portkey').split(',').map((s) => s.trim()));
const STREAM = process.env.BENCH_STREAM !== '0';
const VARY = process.env.BENCH_VARY === '1' ? '@@MG_VARY@@' : undefined;
const NGINX_ACCESS_LOG = process.env.BENCH_NGINX_ACCESS_LOG !== '0';
const GATEWAY_LOG_LEVEL = process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info';
const GATEWAY_INJECTION = process.env.BENCH_GATEWAY_INJECTION ?? 'block';
const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((s) => s !== '');
const BASELINE_NODE_ARGS = process.env.BENCH_BASELINE_NODE_ARGS === undefined ? null : process.env.BENCH_BASELINE_NODE_ARGS.split(/\s+/).filter((s) => s !== '');

/** One POST, to check a target answers 2xx with a chat completion before it is measured. */
async function probe(origin: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(origin + CHAT_PATH, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function runSeq(job: SeqJob): Promise<SeqOutput> {
  const out = await runToEnd('load seq', process.execPath, [LOAD, 'seq', JSON.stringify(job)]);
  return JSON.parse(out.trim().split('\n').pop() ?? 'null') as SeqOutput;
}

const NaN_CPU: CpuMs = { user: NaN, sys: NaN };
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const loadAvg = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

interface Round {
  r: WrkResult;
  proxyCpuMs: number;
  proxySysMs: number;
  simCpuMs: number;
  otherMs: number;
  stealMs: number;
  wallMs: number;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function aggregate(variant: string, target: TargetName, connections: number, rounds: Round[]): WrkRow {
  const n = sum(rounds.map((x) => x.r.requests));
  const wall = sum(rounds.map((x) => x.wallMs));
  const rps = rounds.map((x) => x.r.rps);
  const cpu = rounds.map((x) => (x.proxyCpuMs * 1000) / x.r.requests);
  return {
    variant, target, connections,
    rounds: rounds.length,
    requests: n,
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: median(rounds.map((x) => x.r.p50)),
    p99: median(rounds.map((x) => x.r.p99)),
    non2xx: sum(rounds.map((x) => x.r.non2xx)),
    errors: sum(rounds.map((x) => x.r.errors)),
    proxyCpuUs: (sum(rounds.map((x) => x.proxyCpuMs)) * 1000) / n,
    proxyCpuRounds: cpu,
    proxyCpuMin: Math.min(...cpu),
    proxyCpuMax: Math.max(...cpu),
    proxySysUs: (sum(rounds.map((x) => x.proxySysMs)) * 1000) / n,
    simCpuUs: (sum(rounds.map((x) => x.simCpuMs)) * 1000) / n,
    wrkCpuUs: (sum(rounds.map((x) => x.r.cpuMs)) * 1000) / n,
    otherPct: (100 * sum(rounds.map((x) => x.otherMs))) / wall,
    otherMaxPct: Math.max(...rounds.map((x) => (100 * x.otherMs) / x.wallMs)),
    stealPct: (100 * sum(rounds.map((x) => x.stealMs))) / wall,
  };
}

interface WrkRow {
  variant: string;
  target: TargetName;
  connections: number;
  rounds: number;
  requests: number;
  /** Median round; min and max of the rounds. */
  rps: number;
  rpsMin: number;
  rpsMax: number;
  /** Median of the rounds' wrk percentiles (µs). */
  p50: number;
  p99: number;
  non2xx: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** CPU µs per request spent in the proxy's process group (all rounds; min and max round; kernel part), and in the simulator's and wrk's. */
  proxyCpuUs: number;
  /** CPU µs per request of each round, in round order (a baseline's rounds run next to this target's). */
  proxyCpuRounds: number[];
  proxyCpuMin: number;
  proxyCpuMax: number;
  proxySysUs: number;
  simCpuUs: number;
  wrkCpuUs: number;
  /** Busy CPU outside the bench's processes, and hypervisor steal, in % of one CPU over the row. */
  otherPct: number;
  otherMaxPct: number;
  stealPct: number;
}

interface Snapshot {
  at: number;
  busy: number;
  steal: number;
  /** CPU ms of the bench's own long-lived processes (and of this orchestrator). */
  ours: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * This machine may be shared (other people's builds and tests): before a round, wait until, over
 * half a second, less than QUIET_PCT % of one CPU is busy outside the bench's own processes, or
 * the run's waiting budget is spent. Returns the ms waited.
 */
let quietBudgetMs = 0;
async function waitForQuiet(groups: Proc[]): Promise<number> {
  const start = performance.now();
  for (;;) {
    const a = snapshot(groups);
    await sleep(500);
    const b = snapshot(groups);
    const otherPct = (100 * (b.busy - b.ours - (a.busy - a.ours))) / (b.at - a.at);
    const waited = performance.now() - start - 500; // the first look is not waiting
    if (!(otherPct >= QUIET_PCT) || waited >= quietBudgetMs) {
      quietBudgetMs = Math.max(0, quietBudgetMs - waited);
      return Math.max(0, waited);
    }
  }
}

function snapshot(groups: Proc[]): Snapshot {
  const m = machineCpuMs();
  const self = process.cpuUsage();
  let ours = (self.user + self.system) / 1000;
  for (const g of groups) {
    const c = groupCpuMs(g.child.pid);
    ours += c.user + c.sys;
  }
  return { at: performance.now(), busy: m.busy, steal: m.steal, ours };
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

async function main(): Promise<void> {
  installCleanup();
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  if (process.env.BENCH_KEEP_TMP === '1') process.stderr.write(`keeping ${dir}\n`);
  else process.on('exit', () => rmSync(dir, { recursive: true, force: true })); // after the children are stopped
  const key = generateKey();
  const jsonHeaders = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const out: string[] = [];
  const say = (line = ''): void => {
    out.push(line);
    process.stdout.write(`${line}\n`);
  };

  const wrk = findWrk();
  const nginxEnv = process.env.BENCH_NGINX;
  const nginxBin = !WANTED.has('nginx') || nginxEnv === 'none' ? null : nginxEnv !== undefined && nginxEnv !== '' ? nginxEnv : findNginx();
  say(`# modelgate benchmark — ${new Date().toISOString()}`);
  say();
  say(`- machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}; ${nginxBin === null ? (nginxEnv === 'none' ? 'nginx: not used' : 'nginx: not found') : sh(nginxBin, ['-v'])}; ${wrk === null ? 'wrk: NOT FOUND' : sh(wrk, ['-v']).split('\n')[0] ?? 'wrk'}`);
  say(`- load average at the start: ${loadAvg()}`);
  say(`- wrk: ${DURATION} s measured per row in ${ROUNDS} rounds, ${WARMUP} s warm-up before each round; connections ${CONNECTIONS.join(', ')}; sequential latency: ${SEQ_REQUESTS} requests per target, after ${SEQ_WARM} s of wrk at 32 connections each`);
  say(`- request: POST ${CHAT_PATH}, ${chatBody(false).length}-byte body, max_tokens 120 (≈ 1 KB JSON answer)${STREAM ? '; streamed variant: stream: true, max_tokens 17 (20 events)' : ''}`);
  say(VARY === undefined
    ? '- wrk sends the same body every time: after the first, the gateway knows its token counts and injection verdicts (BENCH_VARY=1: every request new)'
    : '- BENCH_VARY: every request\'s user message carries a number of its own (new to the gateway\'s caches), from wrk and from the one-connection client');
  if (GATEWAY_LOG_LEVEL !== 'info' || GATEWAY_INJECTION !== 'block' || GATEWAY_NODE_ARGS.length > 0) {
    say(`- NOTICE: modelgate is NOT in the benchmark configuration: logging.level ${GATEWAY_LOG_LEVEL}, injection.action ${GATEWAY_INJECTION}${GATEWAY_NODE_ARGS.length > 0 ? `, node ${GATEWAY_NODE_ARGS.join(' ')}` : ''}`);
  }
  if (WANTED.has('nginx') && nginxBin === null) {
    say(`- NOTICE: ${nginxEnv === 'none' ? 'BENCH_NGINX=none' : 'nginx is not installed (neither /usr/sbin/nginx nor on PATH)'}: the nginx column is skipped.`);
  }
  if (wrk === null) {
    say('- NOTICE: wrk is not installed (apt-get install wrk; or set BENCH_WRK): the throughput and CPU-per-request tables are SKIPPED; only one-connection latency is measured.');
  }
  say();

  // The simulator.
  const sim = spawnProc('simulator', process.execPath, [SIM]);
  const simInfo = (await firstJsonLine(sim)) as { url: string; port: number };
  const targets: Target[] = [];
  if (WANTED.has('direct')) targets.push({ name: 'direct', origin: simInfo.url, proc: null, headers: jsonHeaders });

  // modelgate, through its CLI_JS; its stdout (the JSON access log) goes to a file.
  let gatewayLog: string | null = null;
  const startGateway = async (name: 'modelgate' | 'modelgate-min' | 'baseline', cli: string): Promise<void> => {
    const port = await freePort();
    const adminPort = await freePort();
    const yamlPath = join(dir, `${name}.yaml`);
    const opts = { port, adminPort, hash: keyHashLine(key), sim: simInfo.url, logLevel: GATEWAY_LOG_LEVEL, injection: GATEWAY_INJECTION };
    writeFileSync(yamlPath, name === 'modelgate-min' ? minimalConfigYaml(opts) : chatConfigYaml(opts));
    const log = join(dir, `${name}.log`);
    if (name === 'modelgate') gatewayLog = log;
    const fd = openSync(log, 'w');
    const nodeArgs = name === 'baseline' && BASELINE_NODE_ARGS !== null ? BASELINE_NODE_ARGS : GATEWAY_NODE_ARGS;
    const gw = spawnProc(name, process.execPath, [...nodeArgs, cli, 'start', '--config', yamlPath], { stdout: fd });
    closeSync(fd);
    await waitUntil(`${name} /readyz`, async () => (await httpGetStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200, gw);
    targets.push({ name, origin: `http://127.0.0.1:${port}`, proc: gw, headers: jsonHeaders });
  };
  if (WANTED.has('modelgate')) await startGateway('modelgate', CLI_JS);
  if (WANTED.has('modelgate-min')) await startGateway('modelgate-min', CLI_JS);
  // The stack's floor (bench/floor-proxy.ts): Fastify + undici, and node:http + undici, no policy.
  for (const kind of ['fastify', 'node'] as const) {
    const name = `floor-${kind}` as const;
    if (!WANTED.has(name)) continue;
    const proc = spawnProc(name, process.execPath, [FLOOR, kind, simInfo.url, key]);
    const info = (await firstJsonLine(proc)) as { url: string };
    targets.push({ name, origin: info.url, proc, headers: jsonHeaders });
  }
  const baselineCli = process.env.BENCH_BASELINE_CLI;
  if (baselineCli !== undefined && baselineCli !== '') {
    say(`- baseline: another modelgate build beside this one, ${baselineCli}`);
    await startGateway('baseline', baselineCli);
  }

  // nginx as the seeds configure it.
  if (nginxBin !== null) {
    const port = await freePort();
    const { proc } = startNginx(nginxBin, { dir: join(dir, 'nginx'), port, upstream: `127.0.0.1:${simInfo.port}`, apiKeys: [key], accessLog: NGINX_ACCESS_LOG });
    await waitUntil('nginx listening', async () => (await httpGetStatus(`http://127.0.0.1:${port}/v1/models`, { authorization: `Bearer ${key}` })) === 200, proc);
    targets.push({ name: 'nginx', origin: `http://127.0.0.1:${port}`, proc, headers: jsonHeaders });
  }

  // Portkey, no guardrails, proxying the same simulator.
  if (WANTED.has('portkey')) {
    process.stderr.write(`installing/starting ${PORTKEY_PACKAGE}...\n`);
    const pk = await startPortkey();
    if ('error' in pk) {
      say(`- NOTICE: the Portkey column is skipped: ${pk.error}`);
    } else {
      say(`- Portkey: ${PORTKEY_PACKAGE} ${pk.version} (node, headless, NODE_ENV=production), provider openai with custom host = the simulator, no guardrails, cache or retries`);
      targets.push({ name: 'portkey', origin: pk.origin, proc: pk.proc, headers: { ...jsonHeaders, ...portkeyHeaders(simInfo.url) } });
    }
  }
  say();

  // Every target must answer the benchmark request with a completion; the guarding ones must
  // refuse a missing key (Portkey has no client auth of its own: it passes the key on).
  for (const t of targets) {
    for (const stream of STREAM ? [false, true] : [false]) {
      const p = await probe(t.origin, t.headers, chatBody(stream));
      if (p.status !== 200 || !p.text.includes('chat.completion')) {
        const why = `the ${stream ? 'streamed' : 'benchmark'} request got ${p.status}: ${p.text.slice(0, 300)}`;
        // A peer that cannot stream (Portkey 1.15 on Node 20: "TypeError: immutable" on streamed
        // passthrough responses, its issues #1389/#1550) is left out of the streamed rows, visibly.
        if (stream && t.name === 'portkey') {
          t.noStream = why;
          say(`- NOTICE: ${t.name} is left out of the streamed rows: ${why}`);
          continue;
        }
        throw new Error(`${t.name}: ${why}`);
      }
    }
    if (t.name !== 'direct' && t.name !== 'portkey') {
      const p = await probe(t.origin, { 'content-type': 'application/json' }, chatBody(false));
      if (p.status !== 401) throw new Error(`${t.name}: a request without a key got ${p.status}, expected 401`);
    }
  }

  const variants = STREAM ? [{ name: 'json', stream: false }, { name: 'stream', stream: true }] : [{ name: 'json', stream: false }];

  const groups = [sim, ...targets.map((x) => x.proc)].filter((p): p is Proc => p !== null);
  quietBudgetMs = QUIET_BUDGET_S * 1000;

  // 1. One-connection latency, µs resolution.
  const seqResults = new Map<string, SeqResult[]>();
  const seqOther = new Map<string, number>();
  if (SEQ_REQUESTS > 0) {
    for (const v of variants) {
      process.stderr.write(`sequential latency (${v.name})...\n`);
      await waitForQuiet(groups);
      const seqTargets: SeqTarget[] = targets.filter((t) => !v.stream || t.noStream === undefined).map((t) => ({ name: t.name, origin: t.origin, headers: t.headers }));
      if (wrk !== null && SEQ_WARM > 0) {
        for (const t of seqTargets) {
          await runWrk(wrk, { url: t.origin + CHAT_PATH, connections: 32, seconds: SEQ_WARM, headers: t.headers, body: chatBody(v.stream, VARY), dir, name: `${t.name}-${v.name}-seqwarm`, ...(VARY === undefined ? {} : { vary: VARY }) });
        }
      }
      const job: SeqJob = { targets: seqTargets, path: CHAT_PATH, body: chatBody(v.stream, VARY), requests: SEQ_REQUESTS, rounds: 10, warmup: Math.min(500, SEQ_REQUESTS), ...(VARY === undefined ? {} : { vary: VARY }) };
      const before = snapshot(groups);
      const o = await runSeq(job);
      const after = snapshot(groups);
      seqResults.set(v.name, o.results);
      seqOther.set(v.name, (100 * Math.max(0, after.busy - before.busy - (after.ours - before.ours) - o.cpuMs)) / (after.at - before.at));
    }
  }

  // 2. wrk, closed loop. Each row is ROUNDS rounds, and the rounds of one scenario rotate
  // through the targets (d m n p, m n p d, ...), so that a burst of someone else's load on this
  // machine lands on one round of one target, not on a whole row; rows report the median round
  // for rates and latencies and all rounds together for CPU per request.
  const rows: WrkRow[] = [];
  const roundSeconds = Math.max(1, Math.round(DURATION / ROUNDS));
  let waitedMs = 0;
  for (const v of wrk === null ? [] : variants) {
    for (const c of CONNECTIONS) {
      const vt = targets.filter((t) => !v.stream || t.noStream === undefined);
      const rounds = new Map<TargetName, Round[]>(vt.map((t) => [t.name, []]));
      for (let k = 0; k < ROUNDS; k++) {
        for (let j = 0; j < vt.length; j++) {
          const t = vt[(j + k) % vt.length];
          if (t === undefined || wrk === null) continue;
          process.stderr.write(`wrk ${v.name} c=${c} round ${k + 1}/${ROUNDS} ${t.name}...\n`);
          const base = { url: t.origin + CHAT_PATH, connections: c, seconds: roundSeconds, headers: t.headers, body: chatBody(v.stream, VARY), dir, name: `${t.name}-${v.name}`, ...(VARY === undefined ? {} : { vary: VARY }) };
          waitedMs += await waitForQuiet(groups);
          if (WARMUP > 0) await runWrk(wrk, { ...base, seconds: WARMUP });
          const before = snapshot(groups);
          const simCpu0 = groupCpuMs(sim.child.pid);
          const proxyCpu0 = t.proc === null ? NaN_CPU : groupCpuMs(t.proc.child.pid);
          const r = await runWrk(wrk, base);
          const simCpu1 = groupCpuMs(sim.child.pid);
          const proxyCpu1 = t.proc === null ? NaN_CPU : groupCpuMs(t.proc.child.pid);
          const after = snapshot(groups);
          rounds.get(t.name)?.push({
            r,
            proxyCpuMs: proxyCpu1.user + proxyCpu1.sys - proxyCpu0.user - proxyCpu0.sys,
            proxySysMs: proxyCpu1.sys - proxyCpu0.sys,
            simCpuMs: simCpu1.user + simCpu1.sys - simCpu0.user - simCpu0.sys,
            // Machine-wide busy CPU not spent by the bench's own processes: someone else's load.
            otherMs: Math.max(0, after.busy - before.busy - (after.ours - before.ours) - r.cpuMs),
            stealMs: after.steal - before.steal,
            wallMs: after.at - before.at,
          });
        }
      }
      for (const t of vt) rows.push(aggregate(v.name, t.name, c, rounds.get(t.name) ?? []));
    }
  }

  // Report.
  say('## One connection, sequential requests (µs resolution)');
  say();
  say('| variant | target | requests | p50 ms | p90 ms | p99 ms | mean ms | added p50 vs direct | added p99 vs direct | non-2xx + errors |');
  say('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const plus = (x: number): string => `${x >= 0 ? '+' : ''}${f3(x)} ms`;
  for (const v of variants) {
    const rs = seqResults.get(v.name) ?? [];
    const direct = rs.find((r) => r.name === 'direct');
    for (const r of rs) {
      const d = direct === undefined || r.name === 'direct';
      say(`| ${v.name} | ${r.name} | ${r.n} | ${f3(r.p50 / 1000)} | ${f3(r.p90 / 1000)} | ${f3(r.p99 / 1000)} | ${f3(r.mean / 1000)} | ${d ? '' : plus((r.p50 - direct.p50) / 1000)} | ${d ? '' : plus((r.p99 - direct.p99) / 1000)} | ${r.non2xx + r.errors} |`);
    }
  }
  say();
  say(`Requests go one at a time over one keep-alive connection per target, in 10 rounds alternating between the targets, after ${Math.min(500, SEQ_REQUESTS)} unmeasured ones; ` +
    `times are taken with process.hrtime.bigint() around each request until its body has been read. Other load during this phase: ` +
    `${variants.map((v) => `${v.name} ${f0(seqOther.get(v.name) ?? NaN)}%`).join(', ')} of a CPU.`);
  say();
  if (wrk !== null) {
    say(`## wrk (${ROUNDS} rounds of ${roundSeconds} s per row, each after ${WARMUP} s warm-up, rounds rotating through the targets)`);
    say();
    say('| variant | target | conns | **proxy CPU µs/req** (min–max round; kernel) | req/s (median) | req/s range | p50 ms | p99 ms | requests | non-2xx | errors | simulator CPU µs/req | wrk CPU µs/req | other load % (max round) |');
    say('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const invalid = row.non2xx > 0 || row.errors > 0 ? ' **INVALID**' : '';
      say(`| ${row.variant} | ${row.target}${invalid} | ${row.connections} | ` +
        `${row.target === 'direct' ? '—' : `**${f0(row.proxyCpuUs)}** (${f0(row.proxyCpuMin)}–${f0(row.proxyCpuMax)}; ${f0(row.proxySysUs)})`} | ` +
        `${int(row.rps)} | ${int(row.rpsMin)}–${int(row.rpsMax)} | ${f3(row.p50 / 1000)} | ${f3(row.p99 / 1000)} | ${int(row.requests)} | ${row.non2xx} | ${row.errors} | ` +
        `${f0(row.simCpuUs)} | ${f1(row.wrkCpuUs)} | ${f0(row.otherPct)} (${f0(row.otherMaxPct)})${row.stealPct >= 1 ? ` +${f0(row.stealPct)} steal` : ''} |`);
    }
    // With a baseline: each round's ratio to the baseline's round (run right after or before it),
    // which a machine whose speed drifts over minutes disturbs less than the rows' totals.
    for (const row of rows) {
      if (row.target !== 'modelgate') continue;
      const b = rows.find((x) => x.target === 'baseline' && x.variant === row.variant && x.connections === row.connections);
      if (b === undefined) continue;
      const ratios = row.proxyCpuRounds.map((c, k) => c / (b.proxyCpuRounds[k] ?? NaN));
      say();
      say(`${row.variant}, ${row.connections} connections: modelgate / baseline CPU per request, round by round: ${ratios.map((x) => x.toFixed(3)).join(', ')} (median **${median(ratios).toFixed(3)}**)`);
    }
    say();
    say('CPU per request is the primary figure: utime + stime from /proc of the proxy\'s whole process group (nginx: master + worker; modelgate and Portkey: one node process, all threads) over every measured round, divided by the responses wrk counted. ' +
      'On this machine the simulator caps requests/s, so req/s mostly says how much CPU the proxy left the simulator. ' +
      'non-2xx is counted by the wrk script per response (any status outside 200–299). ' +
      '"other load" is machine-wide process CPU time that none of the bench\'s processes (nor wrk) used, i.e. someone else\'s jobs, in % of one CPU: a row with a large value was disturbed. ' +
      `Before each round the bench waited for other load under ${QUIET_PCT}% of a CPU (${f1(waitedMs / 1000)} s waited in all, budget ${QUIET_BUDGET_S} s).`);
    say();
  }

  // Verdicts.
  say('## Targets');
  say();
  for (const v of variants) {
    const seq = seqResults.get(v.name) ?? [];
    const sd = seq.find((r) => r.name === 'direct');
    const sm = seq.find((r) => r.name === 'modelgate');
    const sn = seq.find((r) => r.name === 'nginx');
    const p50Target = v.stream ? 0.35 : 0.25;
    if (sd !== undefined && sm !== undefined) {
      const added = (sm.p50 - sd.p50) / 1000;
      const added99 = (sm.p99 - sd.p99) / 1000;
      say(`- ${v.name}, one connection: modelgate adds ${f3(added)} ms at p50 (target ≤ ${p50Target}) — ${added <= p50Target ? 'MET' : 'MISSED'}; ` +
        `${f3(added99)} ms at p99 (target ≤ 1) — ${added99 <= 1 ? 'MET' : 'MISSED'}${sn !== undefined ? ` (nginx adds ${f3((sn.p50 - sd.p50) / 1000)} ms at p50)` : ''}`);
    } else {
      say(`- ${v.name}, one connection: not measured (needs direct and modelgate and BENCH_SEQ_REQUESTS > 0)`);
    }
    for (const c of CONNECTIONS) {
      const m = rows.find((r) => r.variant === v.name && r.target === 'modelgate' && r.connections === c);
      if (m === undefined) continue;
      const cpuTarget = v.stream ? 200 : 120;
      const valid = m.non2xx + m.errors === 0;
      const n = rows.find((r) => r.variant === v.name && r.target === 'nginx' && r.connections === c);
      const p = rows.find((r) => r.variant === v.name && r.target === 'portkey' && r.connections === c);
      say(`- ${v.name}, ${c} connections: modelgate ${f0(m.proxyCpuUs)} µs CPU per request (target ≤ ${cpuTarget}) — ${!valid ? 'INVALID (errors)' : m.proxyCpuUs <= cpuTarget ? 'MET' : 'MISSED'}` +
        `${n !== undefined ? `; nginx ${f0(n.proxyCpuUs)} µs (modelgate = ${f1(m.proxyCpuUs / n.proxyCpuUs)}×), req/s ${f2(m.rps / n.rps)} of nginx's` : ''}` +
        `${p !== undefined ? `; Portkey (no guardrails) ${f0(p.proxyCpuUs)} µs — modelgate with every policy ${m.proxyCpuUs < p.proxyCpuUs ? 'is cheaper (MET)' : 'is NOT cheaper (MISSED)'}` : ''}`);
    }
  }
  if (gatewayLog !== null) {
    const lines = readFileSync(gatewayLog, 'utf8').split('\n').filter((l) => l.includes('"msg":"request"') || l.includes('"reqId"')).length;
    say(`- modelgate access log: ${int(lines)} request lines written during the run (logging stays on)`);
  }
  say(`- load average at the end: ${loadAvg()}`);
  say();

  const invalid = rows.some((r) => r.non2xx > 0 || r.errors > 0) || [...seqResults.values()].flat().some((r) => r.non2xx + r.errors > 0);
  if (invalid) say('WARNING: some runs had non-2xx responses or errors; those rows are invalid.');

  if (process.env.BENCH_OUT !== undefined && process.env.BENCH_OUT !== '') writeFileSync(process.env.BENCH_OUT, `${out.join('\n')}\n`);
  await stopAll();
  if (invalid) process.exitCode = 1;
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
