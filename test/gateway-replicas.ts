/**
 * N real gateway processes (dist/src/cli/main.js) sharing one Redis, for the multi-replica tests
 * and bench/burst.ts: each on free ports, started and waited for through /readyz (an event, not a
 * sleep), stopped with SIGTERM (SIGKILL if it does not exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { bearer, chat, codeOf, post } from './helpers.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitReady(adminPort: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('gateway exited during start');
    try { if ((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status === 200) return; } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Replicas {
  urls: string[];
  /** API keys by id (each key a fresh limit). */
  keys: Record<string, string>;
  pids: number[];
  /** Gateways that exited before close(), with their stderr tail. */
  exits: string[];
  /** Log lines of level warn and above (when `logs` was asked for). */
  logs: string[];
  close(): Promise<void>;
}

export interface ReplicaOptions {
  redisUrl: string;
  simUrl: string;
  n: number;
  /** Key ids to create, all in tier `limited`. */
  keyIds: string[];
  /** YAML of the `limited` tier, e.g. "{ requests: { rate: 100, per: 1h, burst: 100 } }". */
  tier: string;
  /** Extra keys of the store section, e.g. "onError: fail-closed, timeout: 250ms". */
  store?: string;
  /** Keep warn+ log lines in `logs` (default: logs off). */
  logs?: boolean;
}

export async function startReplicas(o: ReplicaOptions): Promise<Replicas> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-replicas-'));
  const keys: Record<string, string> = {};
  for (const id of o.keyIds) keys[id] = generateKey();
  const keyLines = Object.entries(keys).map(([id, k]) => `{ id: ${id}, hash: "${keyHashLine(k)}", tier: limited }`).join(', ');
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  const logs: string[] = [];
  const stderr: string[] = [];
  const exits: string[] = [];
  let closing = false;
  const close = async (): Promise<void> => {
    closing = true;
    await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.once('exit', () => { clearTimeout(t); resolve(); });
      p.kill('SIGTERM');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(Array.from({ length: o.n }, async (_, i) => {
      const [port, adminPort] = [await freePort(), await freePort()];
      const file = join(dir, `gw${i}.yaml`);
      writeFileSync(file, `
server: { host: 127.0.0.1, port: ${port} }
admin: { host: 127.0.0.1, port: ${adminPort} }
store: { kind: redis, url: "${o.redisUrl}"${o.store === undefined ? '' : `, ${o.store}`} }
auth: { keys: [ ${keyLines} ] }
tiers: { limited: ${o.tier} }
upstreams: { llm: { targets: ["${o.simUrl}"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
logging: { level: ${o.logs === true ? 'warn' : 'error'} }
`);
      const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--config', file], { stdio: ['ignore', o.logs === true ? 'pipe' : 'ignore', 'pipe'] });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => { stderr[i] = ((stderr[i] ?? '') + d).slice(-4000); });
      child.once('exit', (code, signal) => { if (!closing) exits.push(`gateway ${i} exited (${code ?? signal}): ${stderr[i] ?? ''}`); });
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (d: string) => { logs.push(...d.split('\n').filter((l) => l.length > 0)); });
      procs.push(child);
      await waitReady(adminPort, child);
      urls[i] = `http://127.0.0.1:${port}`;
    }));
  } catch (err) {
    await close();
    throw err;
  }
  return { urls, keys, pids: procs.map((p) => p.pid ?? 0), logs, exits, close };
}

export interface BurstResult {
  statuses: number[];
  codes: (string | undefined)[];
  /** Wall time of each request, ms (for benchmarks only; tests never assert on it). */
  ms: number[];
}

/** `n` concurrent chat requests with `key`, spread round-robin over `urls`. */
export async function burst(urls: string[], key: string, n: number): Promise<BurstResult> {
  const out: BurstResult = { statuses: [], codes: [], ms: [] };
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const t0 = performance.now();
    const r = await post(urls[i % urls.length] as string, '/v1/chat/completions', chat('hi', { max_tokens: 2 }), bearer(key));
    out.ms.push(performance.now() - t0);
    out.statuses.push(r.status);
    out.codes.push(codeOf(r));
  }));
  return out;
}

export const count = <T>(xs: T[], v: T): number => xs.filter((x) => x === v).length;
