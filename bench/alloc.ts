/**
 * `npm run bench:alloc`: what modelgate allocates per request, and where.
 *
 * Starts the simulator and modelgate (the benchmark's chat configuration, bench/chat-config.ts)
 * with the inspector on, drives it with `wrk` at 32 connections, and runs V8's sampling heap
 * profiler over the load with collected objects included (young and old generation), so the
 * figure is everything allocated, not what survived. Prints KB per request: the total, the
 * functions that allocate most themselves, and modelgate's functions with what they call.
 * Allocation per request sets how often the young generation is collected, which sets the
 * one-connection p99 (docs/benchmarks.md).
 *
 * Environment: ALLOC_STREAM=1 (the streamed request; default JSON), ALLOC_SECONDS (default 8),
 * ALLOC_INTERVAL (bytes between samples, default 512).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, request } from 'undici';
import { chatBody } from './chat-config.js';
import { startChatGateway } from './chat-gateway.js';
import { envNum, freePort, installCleanup, stopAll } from './procs.js';
import { findWrk, runWrk } from './wrk.js';

installCleanup();
const dir = mkdtempSync(join(tmpdir(), 'alloc-'));
const port = await freePort();
const { url, headers } = await startChatGateway(dir, join(dir, 'gw.log'), [`--inspect=127.0.0.1:${port}`]);
const list = (await (await request(`http://127.0.0.1:${port}/json/list`)).body.json()) as { webSocketDebuggerUrl: string }[];
const ws = new WebSocket((list[0] as { webSocketDebuggerUrl: string }).webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener('open', r, { once: true }));
let id = 0;
const pending = new Map<number, (v: unknown) => void>();
ws.addEventListener('message', (ev) => { const m = JSON.parse(String(ev.data)) as { id?: number; result?: unknown }; if (m.id !== undefined) pending.get(m.id)?.(m.result); });
const call = (method: string, params: object = {}): Promise<unknown> => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
const wrk = findWrk();
if (wrk === null) throw new Error('wrk is not installed (apt-get install wrk, or set BENCH_WRK)');
const stream = process.env.ALLOC_STREAM === '1';
const job = { url, connections: 32, seconds: 5, dir, name: 'alloc', headers, body: chatBody(stream) };
await runWrk(wrk, job);
await call('HeapProfiler.enable');
await call('HeapProfiler.startSampling', { samplingInterval: envNum('ALLOC_INTERVAL', 512, true), includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const r = await runWrk(wrk, { ...job, seconds: envNum('ALLOC_SECONDS', 8, true) });
const res = (await call('HeapProfiler.stopSampling')) as { profile: { head: Node } };
interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
const walk = (n: Node, stack: string[]): number => {
  const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber}`;
  self.set(k, (self.get(k) ?? 0) + n.selfSize);
  total += n.selfSize;
  let sum = n.selfSize;
  for (const c of n.children) sum += walk(c, [...stack, k]);
  if (!stack.includes(k)) incl.set(k, (incl.get(k) ?? 0) + sum);
  return sum;
};
walk(res.profile.head, []);
const per = (b: number): string => (b / r.requests / 1024).toFixed(2);
console.log(`${stream ? 'streamed' : 'JSON'} chat request, wrk 32 connections: ${r.requests} responses; ${per(total)} KB allocated per request (sampled)`);
console.log('self:');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${per(v)} KB  ${k}`);
console.log('inclusive (src/ only):');
for (const [k, v] of [...incl].filter(([k]) => k.includes(' src/')).sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${per(v)} KB  ${k}`);
ws.close();
await stopAll();
