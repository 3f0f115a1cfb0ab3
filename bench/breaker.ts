/**
 * Breakers and health checks, measured (issue 11, "Done means"):
 *
 *   kill  3 gateway processes (the real CLI, each with its own breaker state) in front of 3
 *         simulators, steady load from CLIENTS concurrent clients spread over the replicas; one
 *         simulator killed, then brought back on its port. Per replica: failed requests, time
 *         from the kill to the ejection (the gateway's own log time), time from the restart to
 *         "back in rotation". Breaker { consecutive5xx 5, consecutiveGatewayErrors 3, openFor 2s }
 *         with health checks every 1 s.
 *   fail  one gateway, 3 simulators answering 500 to everything, maxEjectedPercent 100, once all
 *         are ejected: p50/p99 of the 503 MG_UPSTREAM_UNAVAILABLE answer over N requests from 4
 *         keep-alive clients, beside a 401 (wrong key, the cheapest refusal) in alternating rounds; and
 *         what reached the model servers meanwhile, by method and path. Two variants: breaker
 *         only (half-open trials every openFor), breaker + health checks.
 *
 *   node dist/bench/breaker.js [kill|fail ...]     (both by default)
 *   CLIENTS (default 16), N (default 5000), CONC (clients in `fail`, default 4), STRESS=1 runs `stress-ng --cpu 2` beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { Pool } from 'undici';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { startCli, type CliGateway } from '../test/e2e/cli-process.js';
import { envNum } from './procs.js';

const CHAT = '/v1/chat/completions';
const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const ROUNDS = 10;
const CONC = envNum('CONC', 4, true);
const BODY = JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 });

function yaml(targets: string[], upstream: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info }
auth:
  keys:
    - { id: bench, hash: "KEY_HASH" }
upstreams:
  llm:
    targets: [${targets.map((t) => `"${t}"`).join(', ')}]
    timeout: 30s
${upstream}
routes:
  - { path: ${CHAT}, protocol: openai-chat, upstream: llm }
`;
}

const quantile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

async function waitUntil(cond: () => boolean, what: string, capMs = 60_000): Promise<void> {
  const until = Date.now() + capMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Outcome { replica: number; status: number; at: number; }

async function killBench(clients: number): Promise<void> {
  say(`\n### kill: 3 replicas × 3 targets, ${clients} concurrent clients, one target killed then restarted`);
  const sims: Simulator[] = [];
  for (let i = 0; i < 3; i++) sims.push(await startSimulator({ msPerToken: 1, completionTokens: 8, slots: 64 }));
  const urls = sims.map((s) => s.url);
  const victim = urls[1] as string;
  const gws: CliGateway[] = [];
  for (let i = 0; i < 3; i++) {
    gws.push(await startCli(yaml(urls, `    breaker: { consecutive5xx: 5, consecutiveGatewayErrors: 3, openFor: 2s, maxOpenFor: 30s, maxEjectedPercent: 50 }
    healthCheck: { path: /health, interval: 1s, timeout: 500ms, healthyThreshold: 1, unhealthyThreshold: 2 }`)));
  }
  const pools = gws.map((g) => new Pool(g.url, { connections: clients }));
  const out: Outcome[] = [];
  let stop = false;
  const workers = Array.from({ length: clients }, async (_, w) => {
    for (let n = 0; !stop; n++) {
      const replica = (w + n) % 3;
      const g = gws[replica] as CliGateway;
      const at = Date.now();
      try {
        const r = await (pools[replica] as Pool).request({ method: 'POST', path: CHAT, headers: { authorization: `Bearer ${g.key}`, 'content-type': 'application/json' }, body: BODY });
        await r.body.dump();
        out.push({ replica, status: r.statusCode, at });
      } catch {
        out.push({ replica, status: 0, at });
      }
    }
  });
  await new Promise((r) => setTimeout(r, 2000));
  const killedAt = Date.now();
  await (sims[1] as Simulator).close();
  const ejectedAt = await Promise.all(gws.map((g) => g.waitLine((l) => l.msg === 'upstream target ejected' && l.target === victim, 'ejection')));
  await new Promise((r) => setTimeout(r, 3000));
  const revivedAt = Date.now();
  sims[1] = await startSimulator({ msPerToken: 1, completionTokens: 8, slots: 64, port: (sims[1] as Simulator).port });
  const back = await Promise.all(gws.map((g) => g.waitLine((l) => l.msg === 'upstream target back in rotation' && l.target === victim && Date.parse(String(l.time)) >= revivedAt, 'back in rotation')));
  await new Promise((r) => setTimeout(r, 1000));
  stop = true;
  await Promise.all(workers);
  say('| replica | requests | failed (status) | kill → ejected ms | restart → back in rotation ms | ejections of the other targets |');
  say('|---|---|---|---|---|---|');
  for (let i = 0; i < 3; i++) {
    const mine = out.filter((o) => o.replica === i);
    const failed = mine.filter((o) => o.status !== 200);
    const statuses = [...new Set(failed.map((f) => f.status))].join(',');
    const others = (gws[i] as CliGateway).lines.filter((l) => l.msg === 'upstream target ejected' && l.target !== victim).length;
    const ej = Date.parse(String(ejectedAt[i]?.time)) - killedAt;
    const bk = Date.parse(String(back[i]?.time)) - revivedAt;
    say(`| ${i} | ${mine.length} | ${failed.length}${failed.length > 0 ? ` (${statuses})` : ''} | ${ej} (${String(ejectedAt[i]?.reason)}) | ${bk} (${String(back[i]?.reason)}) | ${others} |`);
  }
  for (const g of gws) g.child.kill('SIGTERM');
  await Promise.all(gws.map((g) => g.exited));
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(sims.map((s) => s.close()));
}

async function timed(pool: Pool, headers: Record<string, string>, n: number, conc: number): Promise<{ ms: number[]; statuses: Map<number, number> }> {
  const ms: number[] = [];
  const statuses = new Map<number, number>();
  let left = n;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (left-- > 0) {
      const t0 = performance.now();
      const r = await pool.request({ method: 'POST', path: CHAT, headers: { ...headers, 'content-type': 'application/json' }, body: BODY });
      await r.body.dump();
      ms.push(performance.now() - t0);
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
    }
  }));
  return { ms, statuses };
}

async function failBench(n: number): Promise<void> {
  for (const variant of ['breaker only', 'breaker + health checks'] as const) {
    say(`\n### fail (${variant}): 3 targets answering 500, maxEjectedPercent 100, ${n} requests from ${CONC} keep-alive clients`);
    const sims: Simulator[] = [];
    for (let i = 0; i < 3; i++) sims.push(await startSimulator());
    const health = variant === 'breaker only' ? '' : '\n    healthCheck: { path: /health, interval: 1s, timeout: 500ms }';
    // Started healthy (so the health variant starts with the targets in rotation), then failing.
    const g = await startCli(yaml(sims.map((s) => s.url), `    breaker: { consecutive5xx: 5, consecutiveGatewayErrors: 3, openFor: 1s, maxOpenFor: 5s, maxEjectedPercent: 100 }${health}`));
    for (const s of sims) s.options.mode = 'error-500';
    const pool = new Pool(g.url, { connections: 4 });
    const auth = { authorization: `Bearer ${g.key}` };
    for (let i = 0; i < 100; i++) {
      const r = await pool.request({ method: 'POST', path: CHAT, headers: { ...auth, 'content-type': 'application/json' }, body: BODY });
      await r.body.dump();
      if (r.statusCode === 503) break;
    }
    await waitUntil(() => g.lines.filter((l) => l.msg === 'upstream target ejected' || (l.msg === 'upstream target fails its health check')).length >= 3, 'all three out');
    for (const s of sims) s.reset();
    await timed(pool, auth, 500, 4); // warm-up
    for (const s of sims) s.reset();
    // Rounds alternate between the two answers, so machine noise hits both alike.
    const un = { ms: [] as number[], statuses: new Map<number, number>() };
    const bad = { ms: [] as number[], statuses: new Map<number, number>() };
    const add = (into: typeof un, r: typeof un): void => {
      into.ms.push(...r.ms);
      for (const [k, v] of r.statuses) into.statuses.set(k, (into.statuses.get(k) ?? 0) + v);
    };
    const t0 = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      add(un, await timed(pool, auth, Math.ceil(n / ROUNDS), CONC));
      add(bad, await timed(pool, { authorization: 'Bearer mg-wrong-key-0000000000000000' }, Math.ceil(n / ROUNDS), CONC));
    }
    const secs = (Date.now() - t0) / 1000;
    const reached = new Map<string, number>();
    for (const s of sims) for (const r of s.requests) reached.set(`${r.method} ${r.path}`, (reached.get(`${r.method} ${r.path}`) ?? 0) + 1);
    const row = (name: string, r: { ms: number[]; statuses: Map<number, number> }): void => {
      say(`| ${name} | ${[...r.statuses].map(([s, c]) => `${s}×${c}`).join(', ')} | ${quantile(r.ms, 0.5).toFixed(2)} | ${quantile(r.ms, 0.99).toFixed(2)} | ${Math.max(...r.ms).toFixed(2)} |`);
    };
    say('| answer | statuses | p50 ms | p99 ms | max ms |');
    say('|---|---|---|---|---|');
    row('all ejected (503 MG_UPSTREAM_UNAVAILABLE)', un);
    row('baseline: wrong key (401)', bad);
    say(`reached the model servers during the ${2 * n} requests (${secs.toFixed(1)} s): ${reached.size === 0 ? 'nothing' : [...reached].map(([k, c]) => `${k} ×${c}`).join(', ')}`);
    await pool.close();
    g.child.kill('SIGTERM');
    await g.exited;
    await Promise.all(sims.map((s) => s.close()));
  }
}

const which = process.argv.slice(2);
const run = (name: string): boolean => which.length === 0 || which.includes(name);
let stress: ChildProcess | null = null;
if (process.env.STRESS === '1') stress = spawn('stress-ng', ['--cpu', '2'], { stdio: 'ignore' });
say(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}${stress === null ? '' : ', stress-ng --cpu 2 beside it'}`);
try {
  if (run('kill')) await killBench(envNum('CLIENTS', 16, true));
  if (run('fail')) await failBench(envNum('N', 5000, true));
} finally {
  stress?.kill('SIGTERM');
}
process.exit(0);
