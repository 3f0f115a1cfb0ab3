/**
 * `npm run bench`: modelgate's overhead, side by side in one run.
 *
 * Starts, each in its own process: the simulator (every latency 0), the gateway through the real
 * CLI (`modelgate start --config`, the whole policy set of the chat route on, access log on),
 * nginx configured the way the seeds guard an LLM server (when nginx is installed), and the load
 * generator. Then measures, for (a) direct to the simulator, (b) through modelgate, (c) through
 * nginx:
 *
 *   1. one-connection latency with µs resolution: sequential requests on a keep-alive
 *      connection, rounds alternating between the targets (autocannon's histogram has 1 ms
 *      buckets, too coarse for the 0.25 ms target), and
 *   2. throughput and latency with autocannon at 1 and 32 connections,
 *
 * for a non-streamed and a streamed chat request, and prints markdown tables plus the verdict on
 * the two targets. Numbers are only ever compared within one run.
 *
 * Environment:
 *   BENCH_DURATION      seconds measured per autocannon row (default 10), split into rounds
 *   BENCH_ROUNDS        rounds per row, rotating through the targets (default 3)
 *   BENCH_WARMUP        seconds of warm-up before each round (default 1)
 *   BENCH_QUIET_PCT     before a round, wait while other processes keep more than this % of one
 *                       CPU busy (default 25) ...
 *   BENCH_QUIET_BUDGET  ... for at most this many seconds over the whole run (default 60; 0 = never wait)
 *   BENCH_CONNECTIONS   comma list (default "1,32")
 *   BENCH_TARGETS       comma list of direct,modelgate,nginx (default all)
 *   BENCH_STREAM        0 = skip the streamed variant (default on)
 *   BENCH_SEQ_REQUESTS  sequential requests per target for the µs latency (default 3000; 0 = skip)
 *   BENCH_NGINX         the nginx binary (default /usr/sbin/nginx, else PATH), or "none" to leave nginx out
 *   BENCH_NGINX_ACCESS_LOG  0 = nginx without access log (default: on, like modelgate's)
 *   BENCH_GATEWAY_NODE_ARGS extra node flags for the gateway, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
 *   BENCH_GATEWAY_LOG_LEVEL  modelgate's logging.level (default info: the access log is on); for
 *                       finding where the time goes only, like
 *   BENCH_GATEWAY_INJECTION  the chat route's injection.action (default block)
 *   BENCH_BASELINE_CLI  dist/src/cli/main.js of another modelgate build (e.g. the previous release, built
 *                       in a git worktree): run beside this one as the target "baseline", same config
 *   BENCH_OUT           also write the printed report (markdown) to this file
 *   BENCH_KEEP_TMP      1 = keep the temporary directory (configs, logs)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import type { CannonJob, CannonResult, SeqJob, SeqOutput, SeqResult, SeqTarget } from './load.js';
import { findNginx, startNginx } from './nginx.js';
import {
  firstJsonLine, freePort, groupCpuMs, httpGetStatus, installCleanup, runToEnd, spawnProc, stopAll, waitUntil, type CpuMs, type Proc,
  machineCpuMs,
  BENCH_DIR, CHAT_PATH, CLI_JS, envNum,
} from './procs.js';

const SIM = join(BENCH_DIR, 'sim-proc.js');
const LOAD = join(BENCH_DIR, 'load.js');

type TargetName = 'direct' | 'modelgate' | 'baseline' | 'nginx';
interface Target {
  name: TargetName;
  origin: string;
  /** The process whose CPU time is the proxy's cost (null for direct). */
  proc: Proc | null;
}

const DURATION = envNum('BENCH_DURATION', 10);
const WARMUP = envNum('BENCH_WARMUP', 1);
const ROUNDS = Math.max(1, Math.round(envNum('BENCH_ROUNDS', 3)));
const QUIET_PCT = envNum('BENCH_QUIET_PCT', 25);
const QUIET_BUDGET_S = envNum('BENCH_QUIET_BUDGET', 60);
const SEQ_REQUESTS = envNum('BENCH_SEQ_REQUESTS', 3000);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,32').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
const WANTED = new Set((process.env.BENCH_TARGETS ?? 'direct,modelgate,nginx').split(',').map((s) => s.trim()));
const STREAM = process.env.BENCH_STREAM !== '0';
const NGINX_ACCESS_LOG = process.env.BENCH_NGINX_ACCESS_LOG !== '0';
const GATEWAY_LOG_LEVEL = process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info';
const GATEWAY_INJECTION = process.env.BENCH_GATEWAY_INJECTION ?? 'block';
const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((s) => s !== '');

// 420 characters of ordinary user text.
const USER_TEXT =
  'I am planning a three-day trip to Lisbon in early spring with my parents, who are in their ' +
  'seventies and prefer not to walk up steep hills for long. Could you suggest a relaxed itinerary ' +
  'that covers the main sights, a few good places for lunch that serve traditional Portuguese food, ' +
  'and tips on getting around by tram or taxi? We are also interested in a short day trip outside ' +
  'the city if it is easy to reach by train.';

function chatBody(stream: boolean): string {
  const req: Record<string, unknown> = {
    model: 'sim-llm',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: USER_TEXT },
    ],
    max_tokens: 16,
  };
  if (stream) req.stream = true;
  return JSON.stringify(req);
}

function gatewayYaml(o: { port: number; adminPort: number; hash: string; sim: string }): string {
  return `# Generated by modelgate's benchmark (bench/run.ts): the chat route with the whole policy set.
server: { host: 127.0.0.1, port: ${o.port} }
admin: { host: 127.0.0.1, port: ${o.adminPort} }
auth:
  keys:
    - { id: bench, hash: "${o.hash}" }
upstreams:
  llm:
    targets: ["${o.sim}"]
routes:
  - path: ${CHAT_PATH}
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 100kb, maxMessages: 50, maxMessageChars: 10000, maxTotalChars: 100000, maxTokens: 4096 }
    injection: { action: ${GATEWAY_INJECTION} }
logging: { level: ${GATEWAY_LOG_LEVEL} }
`;
}

/** One POST, to check a target answers 2xx with a chat completion before it is measured. */
async function probe(origin: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(origin + CHAT_PATH, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function runLoad<T>(mode: 'cannon' | 'seq', job: CannonJob | SeqJob): Promise<T> {
  const out = await runToEnd(`load ${mode}`, process.execPath, [LOAD, mode, JSON.stringify(job)]);
  return JSON.parse(out.trim().split('\n').pop() ?? 'null') as T;
}

const NaN_CPU: CpuMs = { user: NaN, sys: NaN };
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

interface Round {
  r: CannonResult;
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

function aggregate(variant: string, target: TargetName, connections: number, rounds: Round[]): CannonRow {
  const n = sum(rounds.map((x) => x.r.total2xx + x.r.non2xx));
  const wall = sum(rounds.map((x) => x.wallMs));
  const rps = rounds.map((x) => x.r.rps);
  return {
    variant, target, connections,
    rounds: rounds.length,
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: median(rounds.map((x) => x.r.p50)),
    p99: median(rounds.map((x) => x.r.p99)),
    non2xx: sum(rounds.map((x) => x.r.non2xx)),
    errors: sum(rounds.map((x) => x.r.errors + x.r.timeouts)),
    proxyCpuUs: (sum(rounds.map((x) => x.proxyCpuMs)) * 1000) / n,
    proxySysUs: (sum(rounds.map((x) => x.proxySysMs)) * 1000) / n,
    simCpuUs: (sum(rounds.map((x) => x.simCpuMs)) * 1000) / n,
    otherPct: (100 * sum(rounds.map((x) => x.otherMs))) / wall,
    otherMaxPct: Math.max(...rounds.map((x) => (100 * x.otherMs) / x.wallMs)),
    stealPct: (100 * sum(rounds.map((x) => x.stealMs))) / wall,
  };
}

interface CannonRow {
  variant: string;
  target: TargetName;
  connections: number;
  rounds: number;
  /** Median round; min and max of the rounds. */
  rps: number;
  rpsMin: number;
  rpsMax: number;
  /** Median of the rounds' autocannon percentiles (ms, 1 ms resolution). */
  p50: number;
  p99: number;
  non2xx: number;
  /** Errors and timeouts. */
  errors: number;
  /** CPU µs per request spent in the proxy's process group (all, and in the kernel), and in the simulator's. */
  proxyCpuUs: number;
  proxySysUs: number;
  simCpuUs: number;
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

  const nginxEnv = process.env.BENCH_NGINX;
  const nginxBin = !WANTED.has('nginx') || nginxEnv === 'none' ? null : nginxEnv !== undefined && nginxEnv !== '' ? nginxEnv : findNginx();
  say(`# modelgate benchmark — ${new Date().toISOString()}`);
  say();
  say(`- machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}; ${nginxBin === null ? (nginxEnv === 'none' ? 'nginx: not used' : 'nginx: not found') : sh(nginxBin, ['-v'])}`);
  say(`- autocannon: ${DURATION} s measured per row in ${ROUNDS} rounds, ${WARMUP} s warm-up before each round; connections ${CONNECTIONS.join(', ')}; sequential latency: ${SEQ_REQUESTS} requests per target`);
  say(`- request: POST ${CHAT_PATH}, ${chatBody(false).length}-byte body, max_tokens 16${STREAM ? ' (plus a streamed variant, stream: true)' : ''}`);
  if (GATEWAY_LOG_LEVEL !== 'info' || GATEWAY_INJECTION !== 'block' || GATEWAY_NODE_ARGS.length > 0) {
    say(`- NOTICE: modelgate is NOT in the benchmark configuration: logging.level ${GATEWAY_LOG_LEVEL}, injection.action ${GATEWAY_INJECTION}${GATEWAY_NODE_ARGS.length > 0 ? `, node ${GATEWAY_NODE_ARGS.join(' ')}` : ''}`);
  }
  if (WANTED.has('nginx') && nginxBin === null) {
    say(`- NOTICE: ${nginxEnv === 'none' ? 'BENCH_NGINX=none' : 'nginx is not installed (neither /usr/sbin/nginx nor on PATH)'}: the nginx column is skipped.`);
  }
  say();

  // The simulator.
  const sim = spawnProc('simulator', process.execPath, [SIM]);
  const simInfo = (await firstJsonLine(sim)) as { url: string; port: number };
  const targets: Target[] = [];
  if (WANTED.has('direct')) targets.push({ name: 'direct', origin: simInfo.url, proc: null });

  // modelgate, through its CLI_JS; its stdout (the JSON access log) goes to a file.
  let gatewayLog: string | null = null;
  const startGateway = async (name: 'modelgate' | 'baseline', cli: string): Promise<void> => {
    const port = await freePort();
    const adminPort = await freePort();
    const yamlPath = join(dir, `${name}.yaml`);
    writeFileSync(yamlPath, gatewayYaml({ port, adminPort, hash: keyHashLine(key), sim: simInfo.url }));
    const log = join(dir, `${name}.log`);
    if (name === 'modelgate') gatewayLog = log;
    const fd = openSync(log, 'w');
    const gw = spawnProc(name, process.execPath, [...GATEWAY_NODE_ARGS, cli, 'start', '--config', yamlPath], { stdout: fd });
    closeSync(fd);
    await waitUntil(`${name} /readyz`, async () => (await httpGetStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200, gw);
    targets.push({ name, origin: `http://127.0.0.1:${port}`, proc: gw });
  };
  if (WANTED.has('modelgate')) await startGateway('modelgate', CLI_JS);
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
    targets.push({ name: 'nginx', origin: `http://127.0.0.1:${port}`, proc });
  }

  // Every target must answer the benchmark request with a completion, and refuse a missing key.
  for (const t of targets) {
    for (const stream of STREAM ? [false, true] : [false]) {
      const p = await probe(t.origin, jsonHeaders, chatBody(stream));
      if (p.status !== 200 || !p.text.includes('chat.completion')) {
        throw new Error(`${t.name}: the benchmark request got ${p.status}: ${p.text.slice(0, 300)}`);
      }
    }
    if (t.name !== 'direct') {
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
      const seqTargets: SeqTarget[] = targets.map((t) => ({ name: t.name, origin: t.origin, headers: jsonHeaders }));
      const job: SeqJob = { targets: seqTargets, path: CHAT_PATH, body: chatBody(v.stream), requests: SEQ_REQUESTS, rounds: 10, warmup: Math.min(500, SEQ_REQUESTS) };
      const before = snapshot(groups);
      const o = await runLoad<SeqOutput>('seq', job);
      const after = snapshot(groups);
      seqResults.set(v.name, o.results);
      seqOther.set(v.name, (100 * Math.max(0, after.busy - before.busy - (after.ours - before.ours) - o.cpuMs)) / (after.at - before.at));
    }
  }

  // 2. autocannon, closed loop. Each row is ROUNDS rounds, and the rounds of one scenario rotate
  // through the targets (d m n, m n d, n d m...), so that a burst of someone else's load on this
  // machine lands on one round of one target, not on a whole row; rows report the median round.
  const rows: CannonRow[] = [];
  const roundSeconds = DURATION / ROUNDS;
  let waitedMs = 0;
  for (const v of variants) {
    for (const c of CONNECTIONS) {
      const rounds = new Map<TargetName, Round[]>(targets.map((t) => [t.name, []]));
      for (let k = 0; k < ROUNDS; k++) {
        for (let j = 0; j < targets.length; j++) {
          const t = targets[(j + k) % targets.length];
          if (t === undefined) continue;
          process.stderr.write(`autocannon ${v.name} c=${c} round ${k + 1}/${ROUNDS} ${t.name}...\n`);
          const base: CannonJob = { url: t.origin + CHAT_PATH, connections: c, duration: roundSeconds, warmup: 0, headers: jsonHeaders, body: chatBody(v.stream) };
          waitedMs += await waitForQuiet(groups);
          if (WARMUP > 0) await runLoad<CannonResult>('cannon', { ...base, duration: WARMUP });
          const before = snapshot(groups);
          const simCpu0 = groupCpuMs(sim.child.pid);
          const proxyCpu0 = t.proc === null ? NaN_CPU : groupCpuMs(t.proc.child.pid);
          const r = await runLoad<CannonResult>('cannon', base);
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
      for (const t of targets) rows.push(aggregate(v.name, t.name, c, rounds.get(t.name) ?? []));
    }
  }

  // Report.
  say('## One connection, sequential requests (µs resolution)');
  say();
  say('| variant | target | requests | p50 ms | p90 ms | p99 ms | mean ms | added p50 vs direct | non-2xx + errors |');
  say('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const v of variants) {
    const rs = seqResults.get(v.name) ?? [];
    const direct = rs.find((r) => r.name === 'direct');
    for (const r of rs) {
      const added = direct === undefined || r.name === 'direct' ? '' : `${r.p50 - direct.p50 >= 0 ? '+' : ''}${f3((r.p50 - direct.p50) / 1000)} ms`;
      say(`| ${v.name} | ${r.name} | ${r.n} | ${f3(r.p50 / 1000)} | ${f3(r.p90 / 1000)} | ${f3(r.p99 / 1000)} | ${f3(r.mean / 1000)} | ${added} | ${r.non2xx + r.errors} |`);
    }
  }
  say();
  say(`Requests go one at a time over one keep-alive connection per target, in 10 rounds alternating between the targets, after ${Math.min(500, SEQ_REQUESTS)} unmeasured ones; ` +
    `times are taken with process.hrtime.bigint() around each request until its body has been read. Other load during this phase (see below): ` +
    `${variants.map((v) => `${v.name} ${f0(seqOther.get(v.name) ?? NaN)}%`).join(', ')} of a CPU.`);
  say();
  say(`## autocannon (${ROUNDS} rounds of ${f1(roundSeconds)} s per row, each after ${WARMUP} s warm-up, rounds rotating through the targets; median round shown)`);
  say();
  say('| variant | target | conns | req/s (median) | req/s range | p50 ms | p99 ms | non-2xx | errors | proxy CPU µs/req (of which kernel) | simulator CPU µs/req | other load % (max round) |');
  say('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const invalid = row.non2xx > 0 || row.errors > 0 ? ' **INVALID**' : '';
    say(`| ${row.variant} | ${row.target}${invalid} | ${row.connections} | ${int(row.rps)} | ${int(row.rpsMin)}–${int(row.rpsMax)} | ${f0(row.p50)} | ${f0(row.p99)} | ${row.non2xx} | ${row.errors} | ` +
      `${row.target === 'direct' ? '—' : `${f0(row.proxyCpuUs)} (${f0(row.proxySysUs)})`} | ${f0(row.simCpuUs)} | ${f0(row.otherPct)} (${f0(row.otherMaxPct)})${row.stealPct >= 1 ? ` +${f0(row.stealPct)} steal` : ''} |`);
  }
  say();
  say("Latency here is in whole ms: autocannon's histogram has 1 ms buckets, so 0 means < 1 ms; the one-connection table above is the precise one. " +
    `CPU columns come from /proc over the measured rounds: the proxy's whole process group (nginx: master + worker; modelgate: its one process, all threads), per response. ` +
    '"other load" is machine-wide process CPU time (user + system, interrupts left out) that none of the bench\'s processes used, i.e. someone else\'s jobs, in % of one CPU: a row with a large value was disturbed. ' +
    `Before each round the bench waited for other load under ${QUIET_PCT}% of a CPU (${f1(waitedMs / 1000)} s waited in all, budget ${QUIET_BUDGET_S} s).`);
  say();

  // Verdicts.
  say('## Targets');
  say();
  const seqJson = seqResults.get('json') ?? [];
  const sd = seqJson.find((r) => r.name === 'direct');
  const sm = seqJson.find((r) => r.name === 'modelgate');
  const sn = seqJson.find((r) => r.name === 'nginx');
  if (sd !== undefined && sm !== undefined) {
    const added = (sm.p50 - sd.p50) / 1000;
    say(`- modelgate adds ≤ 0.25 ms at p50 at one connection: added ${f3(added)} ms (${f3(sd.p50 / 1000)} → ${f3(sm.p50 / 1000)} ms) — ${added <= 0.25 ? 'MET' : 'MISSED'}` +
      (sn !== undefined ? ` (nginx adds ${f3((sn.p50 - sd.p50) / 1000)} ms)` : ''));
  } else {
    say('- one-connection p50 target: not measured (needs direct and modelgate and BENCH_SEQ_REQUESTS > 0)');
  }
  for (const v of variants) {
    const m = rows.find((r) => r.variant === v.name && r.target === 'modelgate' && r.connections === 32);
    const n = rows.find((r) => r.variant === v.name && r.target === 'nginx' && r.connections === 32);
    if (m === undefined || n === undefined) {
      say(`- ${v.name}, 32 connections: modelgate/nginx ratio not measured${nginxBin === null ? ' (no nginx in this run)' : ''}`);
      continue;
    }
    const ratio = m.rps / n.rps;
    const valid = m.non2xx + m.errors + n.non2xx + n.errors === 0;
    say(`- ${v.name}, 32 connections: modelgate ${int(m.rps)} req/s vs nginx ${int(n.rps)} req/s = ${(100 * ratio).toFixed(0)}% (target ≥ 50%${v.stream ? ', the issue states it for the plain request' : ''}) — ${!valid ? 'INVALID (errors)' : ratio >= 0.5 ? 'MET' : 'MISSED'}`);
  }
  if (gatewayLog !== null) {
    const lines = readFileSync(gatewayLog, 'utf8').split('\n').filter((l) => l.includes('"msg":"request"') || l.includes('"reqId"')).length;
    say(`- modelgate access log: ${int(lines)} request lines written during the run (logging stays on)`);
  }
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
