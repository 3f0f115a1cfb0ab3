/**
 * The attack scenario: a GPU server with 8 slots whose time is proportional to tokens (the
 * simulator: prefill ms per prompt token + decode ms per completion token), legit clients at a
 * steady rate, and one attacker key sending maximum-size prompts as fast as it can. For each
 * target — (a) no gateway, (b) nginx with the seeds' request-count config (per IP, and a per-key
 * variant), (c) modelgate — reports the legit clients' goodput and latency and the attacker's
 * share of GPU-seconds, against a no-attack baseline (legit clients alone, straight to the GPU).
 *
 *   node dist/bench/attack.js
 *
 * Every part is its own process: the simulator (bench/attack-sim.ts, which also keeps the GPU
 * accounting), the gateway (the real CLI, `modelgate start --config`) or nginx, and two load
 * generators (bench/attack-load.ts: legit open loop, attacker closed loop). All on 127.0.0.1.
 *
 * Environment:
 *   ATTACK_DURATION        seconds of load per scenario (default 25)
 *   ATTACK_DRAIN           seconds answers may still take after the load stops (default 20)
 *   ATTACK_SCENARIOS       comma list (default baseline,direct,nginx-ip,nginx-key,modelgate); also
 *                          modelgate-noattack, modelgate-sizecap, modelgate-cheap (injection off,
 *                          chars4 tokenizer), modelgate-nice (attacker load generator at nice 19),
 *                          modelgate-nopool (workers.threads: 0, every scan and count on the loop)
 *   ATTACK_COST_RATE       the attacker tier's cost rate, tokens per minute (default 300000)
 *   ATTACK_COST_BURST      its burst (default 30000)
 *   ATTACK_CONNECTIONS     attacker connections (default 32)
 *   ATTACK_LEGIT_KEYS      legit clients (default 8), ATTACK_LEGIT_RATE req/s each (default 2)
 *   ATTACK_NGINX           nginx binary (default /usr/sbin/nginx, else PATH; "none" skips nginx)
 *   ATTACK_GATEWAY_NODE_ARGS extra node flags for modelgate (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p")
 *   ATTACK_GATEWAY_LOG_LEVEL modelgate's logging.level (default warn; info writes the access log)
 *   ATTACK_QUIET_PCT       before a scenario, wait while other processes keep more than this % of one CPU busy (default 25)...
 *   ATTACK_QUIET_BUDGET    ...for at most this many seconds over the whole run (default 60)
 *   ATTACK_MAX_OTHER       re-run a scenario when other processes kept more than this % of one CPU busy during it (default 25)...
 *   ATTACK_RETRIES         ...at most this many times (default 2)
 *   ATTACK_OUT             also write the markdown report to this file
 *   ATTACK_DUMP            1 = write each scenario's raw records (simulator + legit client) to the temporary directory
 *   ATTACK_KEEP_TMP        1 = keep the temporary directory (configs, logs)
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import type { AttackerJob, AttackerOutput, BodySpec, LegitJob, LegitOutput } from './attack-load.js';
import { startAttackNginx } from './attack-nginx.js';
import { SYSTEM_PROMPT } from './attack-text.js';
import type { GpuRecord, SimSettings } from './attack-sim.js';
import { findNginx } from './nginx.js';
import {
  firstJsonLine, freePort, groupCpuMs, httpGetStatus, installCleanup, machineCpuMs, spawnProc, stopAll, stopProc, waitUntil, type Proc,
  BENCH_DIR, CHAT_PATH, CLI_JS, envNum,
} from './procs.js';

const SIM_JS = join(BENCH_DIR, 'attack-sim.js');
const LOAD = join(BENCH_DIR, 'attack-load.js');

const DURATION_MS = envNum('ATTACK_DURATION', 25) * 1000;
const DRAIN_MS = envNum('ATTACK_DRAIN', 20) * 1000;
const COST_RATE = envNum('ATTACK_COST_RATE', 300_000); // tokens per minute
const COST_BURST = envNum('ATTACK_COST_BURST', 30_000);
const CONNECTIONS = Math.max(1, Math.round(envNum('ATTACK_CONNECTIONS', 32)));
const LEGIT_KEYS = Math.max(1, Math.round(envNum('ATTACK_LEGIT_KEYS', 8)));
const LEGIT_RATE = envNum('ATTACK_LEGIT_RATE', 2);
const GATEWAY_NODE_ARGS = (process.env.ATTACK_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
const GATEWAY_LOG_LEVEL = process.env.ATTACK_GATEWAY_LOG_LEVEL ?? 'warn';
const SCENARIOS = (process.env.ATTACK_SCENARIOS ?? 'baseline,direct,nginx-ip,nginx-key,modelgate').split(',').map((s) => s.trim()).filter((s) => s !== '');

/** The GPU: 8 slots, 5 ms per generated token, 0.05 ms per prompt token; answers of 100 words. */
const SIM: SimSettings = {
  slots: 8,
  msPerToken: 5,
  msPerPromptToken: 0.05,
  responseText: Array.from({ length: 100 }, (_, i) => ['the', 'shipment', 'arrived', 'on', 'time', 'and', 'was', 'stored'][i % 8]).join(' '),
};
/** Legit: ~200 prompt tokens (as the simulator counts), 64 tokens asked and generated. */
const LEGIT_BODY: BodySpec = { userChars: 730, maxTokens: 64, variants: 16 };
/** Attacker: the largest prompt the seeds' nginx lets through (client_max_body_size 100k), max_tokens 4096. */
const ATTACK_BODY: BodySpec = { userChars: 99_000, maxTokens: 4096, variants: 4 };

type Target = 'direct' | 'nginx-ip' | 'nginx-key' | 'modelgate';
interface Scenario {
  name: string;
  target: Target;
  attack: boolean;
  label: string;
  /** modelgate variants. */
  sizeCap?: boolean;
  cheap?: boolean;
  /** Run the attacker's load generator at nice 19. */
  niceAttacker?: boolean;
  /** workers.threads: 0 — every scan and token count on the event loop (the pair of `modelgate`). */
  noPool?: boolean;
}

const ALL: Scenario[] = [
  { name: 'baseline', target: 'direct', attack: false, label: 'baseline: legit only, no gateway' },
  { name: 'direct', target: 'direct', attack: true, label: '(a) no gateway' },
  { name: 'nginx-ip', target: 'nginx-ip', attack: true, label: '(b) nginx, seeds config (limit_req per IP)' },
  { name: 'nginx-key', target: 'nginx-key', attack: true, label: "(b') nginx, limit_req per API key" },
  { name: 'modelgate', target: 'modelgate', attack: true, label: '(c) modelgate' },
  { name: 'modelgate-noattack', target: 'modelgate', attack: false, label: 'modelgate, legit only (no attack)' },
  { name: 'modelgate-sizecap', target: 'modelgate', attack: true, sizeCap: true, label: '(c) modelgate, default size caps (maxMessageChars 25000)' },
  { name: 'modelgate-cheap', target: 'modelgate', attack: true, cheap: true, label: '(c) modelgate, injection off + chars4 tokenizer' },
  { name: 'modelgate-nice', target: 'modelgate', attack: true, niceAttacker: true, label: '(c) modelgate, attacker load generator at nice 19' },
  { name: 'modelgate-nopool', target: 'modelgate', attack: true, noPool: true, label: '(c) modelgate, worker pool off (workers.threads: 0)' },
];

function gatewayYaml(o: { port: number; adminPort: number; sim: string; legitHashes: string[]; attackerHash: string; sizeCap: boolean; cheap: boolean; noPool: boolean }): string {
  const limits = o.sizeCap
    ? '{ maxBodyBytes: 200kb, maxTokens: 4096 }'
    : '{ maxBodyBytes: 200kb, maxMessageChars: 100000, maxTotalChars: 120000, maxJsonStringChars: 120000, maxTokens: 4096 }';
  return `# Generated by modelgate's attack benchmark (bench/attack.ts).
server: { host: 127.0.0.1, port: ${o.port} }
admin: { host: 127.0.0.1, port: ${o.adminPort} }
auth:
  keys:
${o.legitHashes.map((h, i) => `    - { id: legit-${i}, hash: "${h}", tier: legit }`).join('\n')}
    - { id: attacker, hash: "${o.attackerHash}", tier: attacker }
tiers:
  legit:
    requests: { rate: 600, per: 1m }
    cost: { rate: 600000, per: 1m }
  attacker:
    cost: { rate: ${COST_RATE}, per: 1m, burst: ${COST_BURST} }
upstreams:
  llm:
    targets: ["${o.sim}"]
    maxConcurrent: ${SIM.slots}
    queue: { size: 64, timeout: 30s }
routes:
  - path: ${CHAT_PATH}
    protocol: openai-chat
    upstream: llm
    limits: ${limits}
    forwardHeaders: [X-Bench-Client, X-Bench-Id] # the simulator's per-client GPU accounting
    injection: { action: ${o.cheap ? 'off' : 'block'} }${o.cheap ? '\n    cost: { tokenizer: chars4 }' : ''}
logging: { level: ${GATEWAY_LOG_LEVEL} }${o.noPool ? '\nworkers: { threads: 0 }' : ''}
`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

interface Result {
  scenario: Scenario;
  legit: {
    scheduled: number;
    ok: number;
    goodput: number;
    p50: number;
    p99: number;
    max: number;
    errors: Record<string, number>;
    maxLagMs: number;
    /** Where the successful legit requests' time went (ms, p50 and p99 of each part). */
    parts: { toServer: [number, number]; serverQueue: [number, number]; back: [number, number] };
  };
  attacker: (AttackerOutput & { reachedGpu: number; tokens: number }) | null;
  gpu: { legitS: number; attackerS: number; abandoned: number; capacityS: number };
  /** % of one CPU during the load window. */
  cpu: Record<string, number>;
  probe: Probe | null;
}

/** This process's CPU ms so far. */
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The machine may be shared (other people's builds and tests): before a scenario, wait until less
 * than QUIET_PCT % of one CPU is busy over half a second, for at most the run's remaining budget.
 * Returns the ms waited.
 */
let quietBudgetMs = envNum('ATTACK_QUIET_BUDGET', 60) * 1000;
const QUIET_PCT = envNum('ATTACK_QUIET_PCT', 25);
const MAX_OTHER = envNum('ATTACK_MAX_OTHER', 25);
const RETRIES = Math.round(envNum('ATTACK_RETRIES', 2));
async function waitForQuiet(): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const a = machineCpuMs().busy - selfCpuMs();
    const ta = performance.now();
    await sleep(500);
    const pctBusy = (100 * (machineCpuMs().busy - selfCpuMs() - a)) / (performance.now() - ta);
    const waited = performance.now() - t0 - 500;
    if (!(pctBusy >= QUIET_PCT) || waited >= quietBudgetMs) {
      quietBudgetMs = Math.max(0, quietBudgetMs - Math.max(0, waited));
      return Math.max(0, waited);
    }
  }
}

function cpuOf(p: Proc): number {
  const c = groupCpuMs(p.child.pid);
  return c.user + c.sys;
}

interface Probe {
  /** GET /healthz on modelgate's admin listener (same process, same event loop): its latency ≈ event-loop delay. */
  healthP50: number;
  healthP99: number;
  healthMax: number;
  /** From /metrics, sampled every 500 ms: requests holding a GPU slot, and waiting for one. */
  slotsMean: number;
  queueMean: number;
  queueMax: number;
  /** modelgate_cost_units_total of the attacker key after the run (the gateway's own books). */
  attackerCharged: number;
}

function timedGet(url: string, agent: Agent): Promise<{ ms: number; text: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = httpGet(url, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ ms: performance.now() - t0, text }));
      res.on('error', () => resolve({ ms: NaN, text: '' }));
    });
    req.on('error', () => resolve({ ms: NaN, text: '' }));
  });
}

function gauge(metrics: string, name: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, 'm').exec(metrics);
  return m === null ? NaN : Number(m[1]);
}

/** Polls modelgate's admin listener during [start, end]: /healthz every 100 ms, /metrics every 500 ms. */
async function probeGateway(admin: string, start: number, end: number): Promise<Omit<Probe, 'attackerCharged'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const health: number[] = [];
  const slots: number[] = [];
  const queue: number[] = [];
  await sleep(Math.max(0, start - Date.now()));
  const healthLoop = async (): Promise<void> => {
    while (Date.now() < end) {
      const t = Date.now();
      const r = await timedGet(`${admin}/healthz`, agent);
      if (Number.isFinite(r.ms)) health.push(r.ms);
      await sleep(Math.max(0, 100 - (Date.now() - t)));
    }
  };
  const metricsLoop = async (): Promise<void> => {
    while (Date.now() < end) {
      const t = Date.now();
      const r = await timedGet(`${admin}/metrics`, agent);
      slots.push(gauge(r.text, 'modelgate_gpu_slots_in_use'));
      queue.push(gauge(r.text, 'modelgate_admission_queue_length'));
      await sleep(Math.max(0, 500 - (Date.now() - t)));
    }
  };
  await Promise.all([healthLoop(), metricsLoop()]);
  agent.destroy();
  const mean = (xs: number[]): number => { const v = xs.filter(Number.isFinite); return v.reduce((a, b) => a + b, 0) / v.length; };
  return {
    healthP50: quantile(health, 0.5),
    healthP99: quantile(health, 0.99),
    healthMax: health.length === 0 ? NaN : Math.max(...health),
    slotsMean: mean(slots),
    queueMean: mean(queue),
    queueMax: Math.max(...queue.filter(Number.isFinite)),
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function runScenario(sc: Scenario, dir: string, nginxBin: string | null, keys: { legit: string[]; attacker: string }): Promise<Result> {
  process.stderr.write(`\n== ${sc.label}\n`);
  const waited = await waitForQuiet();
  if (waited > 0) process.stderr.write(`waited ${(waited / 1000).toFixed(1)} s for the machine to be quiet\n`);
  const procs: Proc[] = [];
  try {
    const sim = spawnProc('simulator', process.execPath, [SIM_JS, JSON.stringify(SIM)]);
    procs.push(sim);
    const simInfo = (await firstJsonLine(sim)) as { url: string; port: number; control: string };

    let origin = simInfo.url;
    let proxy: Proc | null = null;
    let admin: string | null = null;
    if (sc.target === 'modelgate') {
      const port = await freePort();
      const adminPort = await freePort();
      const yaml = join(dir, `${sc.name}.yaml`);
      writeFileSync(yaml, gatewayYaml({
        port, adminPort, sim: simInfo.url, legitHashes: keys.legit.map(keyHashLine), attackerHash: keyHashLine(keys.attacker),
        sizeCap: sc.sizeCap === true, cheap: sc.cheap === true, noPool: sc.noPool === true,
      }));
      const fd = openSync(join(dir, `${sc.name}.log`), 'w');
      proxy = spawnProc('modelgate', process.execPath, [...GATEWAY_NODE_ARGS, CLI_JS, 'start', '--config', yaml], { stdout: fd });
      closeSync(fd);
      procs.push(proxy);
      await waitUntil('modelgate /readyz', async () => (await httpGetStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200, proxy);
      origin = `http://127.0.0.1:${port}`;
      admin = `http://127.0.0.1:${adminPort}`;
    } else if (sc.target === 'nginx-ip' || sc.target === 'nginx-key') {
      if (nginxBin === null) throw new Error('nginx not found');
      const port = await freePort();
      proxy = startAttackNginx(nginxBin, {
        dir: join(dir, sc.name), port, upstream: `127.0.0.1:${simInfo.port}`, apiKeys: [...keys.legit, keys.attacker],
        limitBy: sc.target === 'nginx-ip' ? 'ip' : 'key', rate: 10, burst: 20,
      });
      procs.push(proxy);
      const k = keys.legit[0] ?? '';
      await waitUntil('nginx listening', async () => (await httpGetStatus(`http://127.0.0.1:${port}/v1/models`, { authorization: `Bearer ${k}` })) === 200, proxy);
      origin = `http://127.0.0.1:${port}`;
    }

    // Warm-up: one legit request per key (loads the gateway's tokenizer, opens connections).
    await Promise.all(keys.legit.map(async (k, i) => {
      const res = await fetch(origin + CHAT_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${k}`, 'x-bench-client': 'warmup' },
        body: JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: `Hello number ${i}, how are the shipments today?` }], max_tokens: 8 }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${sc.name}: warm-up request got ${res.status}: ${text.slice(0, 200)}`);
    }));
    await sleep(1500); // nginx's limit_req refills after the warm-up
    await fetch(`${simInfo.control}/reset`, { method: 'POST' });

    const start = Date.now() + 1000;
    const end = start + DURATION_MS;
    const legitJob: LegitJob = { origin, path: CHAT_PATH, keys: keys.legit, ratePerKey: LEGIT_RATE, start, durationMs: DURATION_MS, drainMs: DRAIN_MS, body: LEGIT_BODY };
    const legitProc = spawnProc('legit load', process.execPath, [LOAD, 'legit', JSON.stringify(legitJob)]);
    procs.push(legitProc);
    let attackProc: Proc | null = null;
    if (sc.attack) {
      const job: AttackerJob = { origin, path: CHAT_PATH, key: keys.attacker, connections: CONNECTIONS, start, durationMs: DURATION_MS, drainMs: DRAIN_MS, body: ATTACK_BODY };
      const args = [LOAD, 'attacker', JSON.stringify(job)];
      attackProc = sc.niceAttacker === true
        ? spawnProc('attacker load', 'nice', ['-n', '19', process.execPath, ...args])
        : spawnProc('attacker load', process.execPath, args);
      procs.push(attackProc);
    }

    // CPU of every process over the load window.
    const watched: [string, Proc][] = [['simulator', sim], ['legit load', legitProc]];
    if (proxy !== null) watched.push([sc.target === 'modelgate' ? 'modelgate' : 'nginx', proxy]);
    if (attackProc !== null) watched.push(['attacker load', attackProc]);
    const probing = admin === null ? null : probeGateway(admin, start, end);
    await sleep(Math.max(0, start - Date.now()));
    const cpu0 = watched.map(([, p]) => cpuOf(p));
    const m0 = machineCpuMs();
    const self0 = selfCpuMs();
    const t0 = performance.now();
    await sleep(Math.max(0, end - Date.now()));
    const cpu1 = watched.map(([, p]) => cpuOf(p));
    const m1 = machineCpuMs();
    const self1 = selfCpuMs();
    const wallMs = performance.now() - t0;
    const cpu: Record<string, number> = {};
    watched.forEach(([name], i) => { cpu[name] = (100 * ((cpu1[i] ?? 0) - (cpu0[i] ?? 0))) / wallMs; });
    // Busy CPU of the machine NOT spent by this benchmark's processes: someone else's load.
    const ours = watched.reduce((a, _, i) => a + (cpu1[i] ?? 0) - (cpu0[i] ?? 0), 0) + self1 - self0;
    cpu.other = (100 * Math.max(0, m1.busy - m0.busy - ours)) / wallMs;
    cpu.steal = (100 * (m1.steal - m0.steal)) / wallMs;

    await Promise.all([legitProc.exited, attackProc?.exited]);
    for (const p of [legitProc, attackProc]) {
      if (p !== null && p.exit?.code !== 0) throw new Error(`${p.name} failed: ${p.stderr.slice(-2000)}`);
    }
    const lastLine = (p: Proc): string => p.stdout.trim().split('\n').pop() ?? 'null';
    const legitOut = JSON.parse(lastLine(legitProc)) as LegitOutput;
    const attackOut = attackProc === null ? null : (JSON.parse(lastLine(attackProc)) as AttackerOutput);
    const stats = await getJson<{ records: GpuRecord[] }>(`${simInfo.control}/stats`);
    if (process.env.ATTACK_DUMP === '1') {
      writeFileSync(join(dir, `${sc.name}.records.json`), JSON.stringify({ start, end, sim: stats.records, legit: legitOut.requests }));
    }
    let probe: Probe | null = null;
    if (probing !== null && admin !== null) {
      const metrics = (await timedGet(`${admin}/metrics`, new Agent())).text;
      const charged = [...metrics.matchAll(/^modelgate_cost_units_total\{[^}]*key="attacker"[^}]*\} ([0-9.e+-]+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
      probe = { ...(await probing), attackerCharged: charged };
    }

    // GPU-seconds inside the load window: a request held a slot for prompt × msPerPromptToken +
    // completion × msPerToken, ending when its response was sent.
    const gpu = { legitS: 0, attackerS: 0, abandoned: 0, capacityS: (SIM.slots * DURATION_MS) / 1000 };
    let attackerTokens = 0;
    let attackerReached = 0;
    for (const r of stats.records) {
      if (r.client === 'attacker') {
        attackerReached++;
        attackerTokens += r.promptTokens + (r.finished && r.status === 200 ? r.completionTokens : 0);
      }
      if (!r.finished) {
        gpu.abandoned++;
        continue;
      }
      if (r.status !== 200) continue;
      const ms = r.promptTokens * SIM.msPerPromptToken + r.completionTokens * SIM.msPerToken;
      const inWindow = Math.max(0, Math.min(r.end, end) - Math.max(r.end - ms, start)) / 1000;
      if (r.client === 'attacker') gpu.attackerS += inWindow;
      else if (r.client === 'legit') gpu.legitS += inWindow;
    }

    const reqs = legitOut.requests;
    const ok = reqs.filter((r) => r.status >= 200 && r.status <= 299);
    const errors: Record<string, number> = {};
    for (const r of reqs) {
      if (r.status >= 200 && r.status <= 299) continue;
      const k = r.status === 0 ? (r.code ?? 'error') : `${r.status}${r.code === null ? '' : ` ${r.code}`}`;
      errors[k] = (errors[k] ?? 0) + 1;
    }
    const lat = ok.map((r) => r.latency);
    // Split each successful legit request's latency using the simulator's records of it.
    const simById = new Map<number, GpuRecord>();
    for (const r of stats.records) if (r.client === 'legit' && r.id !== null && r.finished) simById.set(r.id, r);
    const toServer: number[] = [];
    const serverQueue: number[] = [];
    const back: number[] = [];
    for (const r of ok) {
      const g = simById.get(r.i);
      if (g === undefined) continue;
      const due = start + r.due;
      const gpuMs = g.promptTokens * SIM.msPerPromptToken + g.completionTokens * SIM.msPerToken;
      toServer.push(g.start - due);
      serverQueue.push(Math.max(0, g.end - gpuMs - g.start));
      back.push(due + r.latency - g.end);
    }
    const pq = (xs: number[]): [number, number] => [quantile(xs, 0.5), quantile(xs, 0.99)];
    return {
      scenario: sc,
      legit: {
        scheduled: reqs.length,
        ok: ok.length,
        goodput: ok.length / (DURATION_MS / 1000),
        p50: quantile(lat, 0.5),
        p99: quantile(lat, 0.99),
        max: lat.length === 0 ? NaN : Math.max(...lat),
        errors,
        maxLagMs: Math.max(0, ...reqs.map((r) => r.lag)),
        parts: { toServer: pq(toServer), serverQueue: pq(serverQueue), back: pq(back) },
      },
      attacker: attackOut === null ? null : { ...attackOut, reachedGpu: attackerReached, tokens: attackerTokens },
      gpu,
      cpu,
      probe,
    };
  } finally {
    for (const p of procs.reverse()) await stopProc(p);
  }
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const pct = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} %` : 'n/a');
const counts = (o: Record<string, number>): string => {
  const e = Object.entries(o).sort((a, b) => b[1] - a[1]);
  return e.length === 0 ? '—' : e.map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`).join('; ');
};

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

async function main(): Promise<void> {
  installCleanup();
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-attack-'));
  const out: string[] = [];
  const say = (line = ''): void => {
    out.push(line);
    process.stdout.write(`${line}\n`);
  };
  const nginxEnv = process.env.ATTACK_NGINX;
  const nginxBin = nginxEnv === 'none' ? null : nginxEnv !== undefined && nginxEnv !== '' ? nginxEnv : findNginx();
  const scenarios = SCENARIOS.map((n) => {
    const sc = ALL.find((s) => s.name === n);
    if (sc === undefined) throw new Error(`unknown scenario "${n}" (known: ${ALL.map((s) => s.name).join(', ')})`);
    return sc;
  }).filter((sc) => {
    if (nginxBin === null && sc.target.startsWith('nginx')) {
      process.stderr.write(`nginx not found: scenario ${sc.name} skipped\n`);
      return false;
    }
    return true;
  });
  const keys = { legit: Array.from({ length: LEGIT_KEYS }, () => generateKey()), attacker: generateKey() };

  const results: Result[] = [];
  try {
    for (const sc of scenarios) {
      // A scenario during which someone else kept the machine busy is run again (a few times at most).
      let r = await runScenario(sc, dir, nginxBin, keys);
      for (let retry = 0; retry < RETRIES && (r.cpu.other ?? 0) > MAX_OTHER; retry++) {
        process.stderr.write(`other load ${f0(r.cpu.other ?? NaN)} % of one CPU during ${sc.name}: running it again\n`);
        r = await runScenario(sc, dir, nginxBin, keys);
      }
      results.push(r);
    }
  } finally {
    await stopAll();
    if (process.env.ATTACK_KEEP_TMP === '1') process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }

  const legitGpuMs = 200 * SIM.msPerPromptToken + LEGIT_BODY.maxTokens * SIM.msPerToken;
  const attackPrompt = Math.ceil((ATTACK_BODY.userChars + SYSTEM_PROMPT.length) / 4);
  const attackGpuMs = attackPrompt * SIM.msPerPromptToken + 100 * SIM.msPerToken;
  const allowance = COST_BURST + (COST_RATE * DURATION_MS) / 60_000;
  say(`# Attack scenario — ${new Date().toISOString()}`);
  say();
  say(`- machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown'}; node ${process.version}; ${nginxBin === null ? 'nginx: not used' : sh(nginxBin, ['-v'])}`);
  say(`- GPU (simulator): ${SIM.slots} slots, ${SIM.msPerPromptToken} ms per prompt token, ${SIM.msPerToken} ms per generated token, answers of 100 words (fewer if max_tokens says so)`);
  say(`- legit: ${LEGIT_KEYS} keys × ${LEGIT_RATE} req/s, open loop on a fixed schedule, ~200 prompt tokens, max_tokens ${LEGIT_BODY.maxTokens} (≈ ${f0(legitGpuMs)} ms of GPU each; ${f1((LEGIT_KEYS * LEGIT_RATE * legitGpuMs) / 1000)} of ${SIM.slots} slots busy on average)`);
  say(`- attacker: 1 key, ${CONNECTIONS} connections, closed loop as fast as answers come, ${f0(ATTACK_BODY.userChars)}-character prompts (~${f0(attackPrompt)} tokens, a ${(Buffer.byteLength(JSON.stringify({ a: 'x'.repeat(ATTACK_BODY.userChars) })) / 1024).toFixed(0)} KB body, under nginx's 100k cap), max_tokens ${ATTACK_BODY.maxTokens} (≈ ${f2(attackGpuMs / 1000)} s of GPU each)`);
  say(`- ${DURATION_MS / 1000} s of load per scenario; answers may take ${DRAIN_MS / 1000} s more; GPU-seconds counted inside the load window`);
  say(`- modelgate: attacker tier cost { rate: ${f0(COST_RATE)}, per: 1m, burst: ${f0(COST_BURST)} } (allowance over the window: ${f0(COST_BURST)} + ${f0(COST_RATE / 60)} × ${DURATION_MS / 1000} s = ${f0(allowance)} tokens); legit tier cost 600,000/min, requests 600/min; maxConcurrent ${SIM.slots}, queue 64 / 30 s`);
  say('- command: `node dist/bench/attack.js`');
  say();

  const base = results.find((r) => r.scenario.name === 'baseline') ?? null;
  say('## Legit clients');
  say();
  say('| scenario | due | OK | goodput req/s | % of baseline | p50 ms | p99 ms | p99 × baseline | max ms | legit failures |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const l = r.legit;
    const ofBase = base === null ? NaN : (100 * l.goodput) / base.legit.goodput;
    const xBase = base === null ? NaN : l.p99 / base.legit.p99;
    say(`| ${r.scenario.label} | ${l.scheduled} | ${l.ok} | ${f1(l.goodput)} | ${pct(ofBase)} | ${f0(l.p50)} | ${f0(l.p99)} | ${f2(xBase)}× | ${f0(l.max)} | ${counts(l.errors)} |`);
  }
  say();
  say('Where the successful legit requests\' time went (ms, p50 / p99 of each part, from the simulator\'s record of each request): from when it was due until the GPU server had its headers (client, gateway, gateway queue); waiting inside the GPU server for a slot; from the GPU server\'s answer back to the client. The GPU work itself is ≈ 330 ms.');
  say();
  say('| scenario | due → at GPU server | waiting for a GPU slot | GPU answer → client |');
  say('|---|---:|---:|---:|');
  for (const r of results) {
    const p = r.legit.parts;
    const two = (x: [number, number]): string => `${f0(x[0])} / ${f0(x[1])}`;
    say(`| ${r.scenario.label} | ${two(p.toServer)} | ${two(p.serverQueue)} | ${two(p.back)} |`);
  }
  say();
  say('## Attacker and GPU');
  say();
  say('| scenario | attacker requests sent | reached the GPU | attacker answers | attacker GPU-s | legit GPU-s | attacker share of GPU-s | GPU busy | attacker tokens at the GPU | vs allowance |');
  say('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const a = r.attacker;
    const g = r.gpu;
    const total = g.attackerS + g.legitS;
    say(`| ${r.scenario.label} | ${a === null ? '—' : f0(a.sent)} | ${a === null ? '—' : f0(a.reachedGpu)} | ${a === null ? '—' : counts(a.outcomes)} | ${f1(g.attackerS)} | ${f1(g.legitS)} | ${a === null ? '—' : pct((100 * g.attackerS) / total)} | ${pct((100 * total) / g.capacityS)} | ${a === null ? '—' : f0(a.tokens)} | ${a === null ? '—' : `${f2(a.tokens / allowance)}×`} |`);
  }
  say();
  say('## CPU during the load window (% of one CPU; the machine has 2)');
  say();
  say(`"other" is busy CPU of the machine outside this benchmark's processes (the machine is shared; each scenario first waits, within a budget, for it to be quiet, and is run again, at most ${RETRIES} times, when "other" exceeded ${MAX_OTHER} %).`);
  say();
  say('| scenario | simulator | gateway | legit load | attacker load | other (not the benchmark) |');
  say('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const c = r.cpu;
    const gw = c.modelgate ?? c.nginx;
    say(`| ${r.scenario.label} | ${f0(c.simulator ?? NaN)} | ${gw === undefined ? '—' : f0(gw)} | ${f0(c['legit load'] ?? NaN)} | ${c['attacker load'] === undefined ? '—' : f0(c['attacker load'])} | ${f0(c.other ?? NaN)} |`);
  }
  say();
  const probed = results.filter((r) => r.probe !== null);
  if (probed.length > 0) {
    say('## Inside modelgate during the load window');
    say();
    say('`GET /healthz` on the admin listener every 100 ms (same process, same event loop, so its latency is the event-loop delay a request meets at each step); GPU slots in use and admission-queue length from `/metrics` every 500 ms; the attacker\'s cost as modelgate booked it (`modelgate_cost_units_total`, after reconciliation).');
    say();
    say('| scenario | /healthz p50 ms | p99 ms | max ms | slots in use (mean of 8) | queue mean | queue max | attacker cost booked | at the GPU |');
    say('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of probed) {
      const p = r.probe as Probe;
      say(`| ${r.scenario.label} | ${f1(p.healthP50)} | ${f1(p.healthP99)} | ${f0(p.healthMax)} | ${f1(p.slotsMean)} | ${f1(p.queueMean)} | ${f0(p.queueMax)} | ${r.attacker === null ? '—' : f0(p.attackerCharged)} | ${r.attacker === null ? '—' : f0(r.attacker.tokens)} |`);
    }
    say();
  }
  const lag = Math.max(...results.map((r) => r.legit.maxLagMs));
  say(`Legit send lag (a request handed to the client after it was due), worst over all scenarios: ${f0(lag)} ms (latencies are measured from when a request was due).`);
  say();

  if (base !== null) {
    say('## Targets (modelgate)');
    say();
    for (const r of results.filter((x) => x.scenario.target === 'modelgate' && x.scenario.attack)) {
      const l = r.legit;
      const a = r.attacker;
      const good = (100 * l.goodput) / base.legit.goodput;
      const x = l.p99 / base.legit.p99;
      const ratio = a === null ? NaN : a.tokens / allowance;
      say(`- ${r.scenario.label}: legit goodput ${pct(good)} of baseline (target ≥ 95 %: ${good >= 95 ? 'met' : 'MISSED'}); legit p99 ${f0(l.p99)} ms = ${f2(x)}× baseline (target ≤ 1.5×: ${x <= 1.5 ? 'met' : 'MISSED'}); attacker tokens ${f0(a?.tokens ?? NaN)} = ${f2(ratio)}× its allowance (target ≤ 1.05×: ${ratio <= 1.05 ? 'met' : 'MISSED'})`);
    }
    say();
  }

  const file = process.env.ATTACK_OUT;
  if (file !== undefined && file !== '') writeFileSync(file, `${out.join('\n')}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`attack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
