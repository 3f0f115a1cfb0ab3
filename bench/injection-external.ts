/**
 * The latency the external injection detector hook adds (issue 14), end to end: one client, one
 * request at a time, to two real gateways in front of the same simulator — one with the local
 * layers only, one with `injection.external` pointing at a local guard service
 * (test/guard-service.ts, generic format, answering "clean" at once) — and the same prompts.
 *
 *   base  the route without the hook
 *   miss  the hook with a prompt never seen (a call to the service each time)
 *   hit   the hook with a prompt already checked (the cached verdict; no call)
 *
 * The three kinds are interleaved request by request (so drift of a loaded machine hits all
 * three alike); added latency = the kind's percentile minus base's. Everything runs in this one
 * process (client, gateways, simulator, service): a remote service adds its network round trip
 * and its own inference time on top of the miss numbers.
 *
 *   npm run bench:injection-external       (N requests per kind, default 1500)
 */
import { cpus, loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { Pool } from 'undici';
import { startSimulator } from '../src/simulator/index.js';
import { loadConfigText } from '../src/config/load.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { startGuardService } from '../test/guard-service.js';

const N = Number(process.env.N ?? 1500);
const WARMUP = 200;
const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
};

async function main(): Promise<void> {
  const sim = await startSimulator({});
  const guard = await startGuardService();
  guard.mode = 'clean';
  const key = generateKey();
  const quiet = createLogger('warn', new Writable({ write(_c, _e, cb) { cb(); } }));
  const gateway = async (injection: string): Promise<Gateway> => {
    const gw = createGateway(loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
auth: { keys: [ { id: bench, hash: "${keyHashLine(key)}" } ] }
upstreams: { llm: { targets: ["${sim.url}"] } }
routes:
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    injection: ${injection}
`), { defaultMetrics: false, logger: quiet });
    await gw.start();
    return gw;
  };
  const base = await gateway('{ action: block }');
  const ext = await gateway(`{ action: block, external: { url: "${guard.url}/v2/guard", format: generic, timeout: 5s } }`);
  const pools = new Map([[base, new Pool(base.url, { connections: 1 })], [ext, new Pool(ext.url, { connections: 1 })]]);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const body = (content: string): string => JSON.stringify({ model: 'sim-llm', max_tokens: 1, messages: [{ role: 'system', content: 'You are a helpful assistant for a bakery.' }, { role: 'user', content }] });
  async function once(gw: Gateway, content: string): Promise<number> {
    const t0 = process.hrtime.bigint();
    const r = await (pools.get(gw) as Pool).request({ method: 'POST', path: '/v1/chat/completions', headers, body: body(content) });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const HIT = 'What flour is best for a sourdough loaf with an open crumb?';
  const kinds = {
    base: (i: number) => once(base, `Question ${i}: how long should bread dough rise at room temperature?`),
    miss: (i: number) => once(ext, `Question ${i}: how long should bread dough rise in the fridge overnight?`),
    hit: () => once(ext, HIT),
  };
  await kinds.hit();
  for (let i = 0; i < WARMUP; i++) { await kinds.base(-i - 1); await kinds.miss(-i - 1); await kinds.hit(); }
  const callsBefore = guard.calls.length;
  const times: Record<keyof typeof kinds, number[]> = { base: [], miss: [], hit: [] };
  const load0 = loadavg();
  for (let i = 0; i < N; i++) {
    times.base.push(await kinds.base(i));
    times.miss.push(await kinds.miss(i));
    times.hit.push(await kinds.hit());
  }
  const load1 = loadavg();
  const calls = guard.calls.length - callsBefore;
  say(`node ${process.versions.node}, ${process.platform}/${process.arch}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  say(`load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}; ${N} requests per kind, interleaved; ${calls} calls to the service (expected ${N}: one per miss)`);
  say('');
  say('| kind | p50 ms | p99 ms | added p50 ms | added p99 ms |');
  say('|---|---|---|---|---|');
  const b50 = q(times.base, 0.5);
  const b99 = q(times.base, 0.99);
  for (const k of ['base', 'miss', 'hit'] as const) {
    const p50 = q(times[k], 0.5);
    const p99 = q(times[k], 0.99);
    say(`| ${k} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${k === 'base' ? '—' : (p50 - b50).toFixed(3)} | ${k === 'base' ? '—' : (p99 - b99).toFixed(3)} |`);
  }
  for (const p of pools.values()) await p.close();
  await base.close();
  await ext.close();
  await guard.close();
  await sim.close();
}

await main();
