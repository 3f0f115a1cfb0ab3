/**
 * Slow-reader benchmark (issue 10, "Done means": 8 GPU slots, 4 non-reading clients with
 * 4,096-token streams plus legitimate traffic → legitimate success ≥ 99%, p99 ≤ 1.5× its
 * unattacked value; the non-readers are cut after the send timeout and charged).
 *
 *   npm run build && node dist/bench/slow-readers.js
 *
 * Three processes: the simulator (8 generation slots, SR_MS_PER_TOKEN per token, 2 KB per
 * generated piece so that a 4,096-token stream — ~8 MB — is far more than socket buffers take),
 * the gateway (maxConcurrent 8, server.timeouts.send = SR_SEND_TIMEOUT_MS), and this process
 * (legitimate load and the attackers). After a warm-up, two runs of SR_DURATION_MS each:
 *
 *   unattacked  legitimate clients only: open loop, SR_RATE requests/s, alternately streamed and
 *               not, max_tokens 16; latency measured from when each request was due;
 *   attacked    the same, plus 4 non-readers at all times: each sends a max_tokens 4,096
 *               stream and never reads nor closes; each one the gateway cuts is replaced at once
 *               (closed loop). Without the send timeout they would hold 4 of the 8 slots for
 *               the whole stream — forever, as they never read.
 *
 * Reported: legitimate success rate, p50 / p99 latency, and the non-readers cut by the gateway
 * (its "client accepted no bytes" log lines) with the cost charged to them (access log).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { envNum } from './procs.js';

const SELF = fileURLToPath(import.meta.url);
const DURATION_MS = envNum('SR_DURATION_MS', 20_000, true);
const RATE = envNum('SR_RATE', 20, true);
const SEND_TIMEOUT_MS = envNum('SR_SEND_TIMEOUT_MS', 3000, true);
const MS_PER_TOKEN = envNum('SR_MS_PER_TOKEN', 2);
const NON_READERS = 4;
const PIECE = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(27).slice(0, 2048);
const KEY = 'mg_bench_slow_readers_key_0123456789abcdef';

interface Msg { url?: string; line?: string }

function child(role: string, env: Record<string, string> = {}, onLine?: (line: string) => void): Promise<{ proc: ChildProcess; url: string; lines: string[] }> {
  const proc = fork(SELF, [role], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    proc.on('message', (m: Msg) => {
      if (m.url !== undefined) resolve({ proc, url: m.url, lines });
      if (m.line !== undefined) {
        lines.push(m.line);
        onLine?.(m.line);
      }
    });
    proc.once('exit', (code) => reject(new Error(`${role} exited ${code}`)));
  });
}

async function runSim(): Promise<void> {
  const { startSimulator } = await import('../src/simulator/index.js');
  const sim = await startSimulator({ slots: 8, msPerToken: MS_PER_TOKEN, responseChunks: Array.from({ length: 4096 }, () => PIECE) });
  process.send?.({ url: sim.url });
}

async function runGateway(): Promise<void> {
  const { Writable } = await import('node:stream');
  const { loadConfigText } = await import('../src/config/load.js');
  const { createGateway } = await import('../src/server/gateway.js');
  const { createLogger } = await import('../src/observability/logger.js');
  const { keyHashLine } = await import('../src/cli/keys.js');
  // Only the lines the report needs cross to the orchestrator.
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const line of String(chunk).split('\n')) {
        if (line.includes('client accepted no bytes') || (line.includes('"msg":"request"') && line.includes('"complete":false'))) process.send?.({ line });
      }
      cb();
    },
  });
  const gw = createGateway(loadConfigText(`
server: { host: 127.0.0.1, port: 0, timeouts: { send: ${SEND_TIMEOUT_MS}ms } }
admin: { host: 127.0.0.1, port: 0 }
auth: { keys: [ { id: bench, hash: "${keyHashLine(KEY)}" } ] }
upstreams:
  llm: { targets: ["${process.env.SR_SIM ?? ''}"], timeout: 120s, maxConcurrent: 8, queue: { size: 1000, timeout: 60s } }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, limits: { maxTokens: 4096 }${process.env.SR_TOKENIZER ? `, cost: { tokenizer: ${process.env.SR_TOKENIZER} }` : ""} }
`), { logger: createLogger('info', sink), defaultMetrics: false });
  await gw.start();
  process.send?.({ url: gw.url });
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

interface LegitResult { sent: number; ok: number; latencies: number[] }

function legitBody(i: number, stream: boolean): string {
  return JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 16, stream });
}

/** First requests pay one-time costs (JIT, tokenizer tables): not part of either measurement. */
async function warmUp(url: string): Promise<void> {
  const pool = new Pool(url, { connections: 4 });
  for (let i = 0; i < 40; i++) {
    const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: legitBody(i, i % 2 === 0) });
    await res.body.text();
  }
  await pool.close();
}

async function legitLoad(url: string): Promise<LegitResult> {
  const pool = new Pool(url, { connections: 64 });
  const start = performance.now() + 200;
  const n = Math.floor((DURATION_MS / 1000) * RATE);
  const out: LegitResult = { sent: n, ok: 0, latencies: [] };
  const one = async (i: number): Promise<void> => {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const stream = i % 2 === 0;
    try {
      const res = await pool.request({
        method: 'POST', path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: legitBody(i, stream),
      });
      const text = await res.body.text();
      if (res.statusCode === 200 && (!stream || text.trimEnd().endsWith('[DONE]'))) out.ok++;
    } catch { /* counted as a failure */ }
    out.latencies.push(performance.now() - due);
  };
  await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  await pool.close();
  return out;
}

function nonReader(url: string): Socket {
  const u = new URL(url);
  const sock = connect(Number(u.port), u.hostname);
  const body = JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: 'a very long story' }], max_tokens: 4096, stream: true });
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  sock.pause(); // never reads
  sock.on('error', () => undefined);
  return sock;
}

async function scenario(attacked: boolean): Promise<Record<string, unknown>> {
  const sim = await child('sim');
  const sockets: Socket[] = [];
  let attacking = false;
  let gwUrl = '';
  // Closed loop: each cut non-reader is replaced at once, so 4 are always holding on.
  const gw = await child('gateway', { SR_SIM: sim.url }, (line) => {
    if (attacking && line.includes('client accepted no bytes')) sockets.push(nonReader(gwUrl));
  });
  gwUrl = gw.url;
  await warmUp(gw.url);
  if (attacked) {
    attacking = true;
    for (let i = 0; i < NON_READERS; i++) sockets.push(nonReader(gw.url));
  }
  const legit = await legitLoad(gw.url);
  attacking = false;
  // Give the last non-readers their send timeout to be cut before counting.
  if (attacked) await new Promise((r) => setTimeout(r, SEND_TIMEOUT_MS * 2 + 5000));
  const cuts = gw.lines.filter((l) => l.includes('client accepted no bytes')).length;
  const charged = gw.lines.filter((l) => l.includes('"msg":"request"')).map((l) => (JSON.parse(l) as { cost?: { actual: number } }).cost?.actual ?? 0);
  for (const s of sockets) s.destroy();
  sim.proc.kill('SIGKILL');
  gw.proc.kill('SIGKILL');
  return {
    scenario: attacked ? 'attacked' : 'unattacked',
    legitSent: legit.sent,
    legitSuccess: legit.ok / legit.sent,
    p50: Math.round(quantile(legit.latencies, 0.5)),
    p99: Math.round(quantile(legit.latencies, 0.99)),
    nonReaders: sockets.length,
    cutBySendTimeout: cuts,
    chargedCutRequests: charged.filter((c) => c > 0).length,
    medianChargedTokens: Math.round(quantile(charged, 0.5)),
  };
}

async function main(): Promise<void> {
  const base = await scenario(false);
  console.log(JSON.stringify(base));
  const att = await scenario(true);
  console.log(JSON.stringify(att));
  const ratio = (att.p99 as number) / (base.p99 as number);
  console.log(`slow readers: legit success ${(100 * (att.legitSuccess as number)).toFixed(1)}% (unattacked ${(100 * (base.legitSuccess as number)).toFixed(1)}%), ` +
    `p99 ${att.p99} ms vs ${base.p99} ms unattacked (${ratio.toFixed(2)}×), ${att.cutBySendTimeout}/${att.nonReaders} non-readers cut, ${att.chargedCutRequests} charged`);
}

const role = process.argv[2];
if (role === 'sim') void runSim();
else if (role === 'gateway') void runGateway();
else void main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
