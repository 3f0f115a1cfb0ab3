// The memory store's cost per request, this build against another one (a dist/ directory built
// from older source), both alternating in one process so they share the machine's load.
//
// One "request" is what the gateway's chat route asks of the store: the per-IP request count, the
// per-IP cost, the key's four buckets and its budget in one call, a concurrency lease taken and
// given back, and the two corrections after the answer. Keys are taken round-robin from `keys`
// distinct API keys and as many client addresses (4: one gateway's few clients; 10,000: many).
// The store's clock is the real one, as in the gateway.
//
// Reported per build: the median over rounds of the CPU µs per request (this process's CPU time),
// and the bytes allocated per request: the heap grown over a round with the young generation
// made large enough that no collection runs inside it (node flags below), divided by its requests.
//
//   npm run build && node --expose-gc --max-semi-space-size=512 --min-semi-space-size=512 \
//     dist/bench/store-ops.js <oldDistDir> [rounds]

import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as now from '../src/limits/stores/memory.js';
import type { BucketLimit } from '../src/limits/stores/types.js';

const oldDist = process.argv[2];
if (oldDist === undefined) {
  console.error('usage: node --expose-gc --max-semi-space-size=512 --min-semi-space-size=512 dist/bench/store-ops.js <oldDistDir> [rounds]');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (and a large young generation: see the header)');
const rounds = Number(process.argv[3] ?? 7);
const old = (await import(pathToFileURL(join(resolve(oldDist), 'src/limits/stores/memory.js')).href)) as typeof now;

const MIN = 60_000;
const DAY = 86_400_000;
const req: BucketLimit = { kind: 'gcra', rate: 600, periodMs: MIN, burst: 100 };
const cost: BucketLimit = { kind: 'gcra', rate: 4e5, periodMs: MIN, burst: 4e5 };
const ipReq: BucketLimit = { kind: 'gcra', rate: 6000, periodMs: MIN, burst: 1000 };
type Store = ReturnType<typeof now.createMemoryStore>;

let leaseSeq = 0;
async function request(store: Store, i: number, keys: number): Promise<void> {
  const k = `key:k${i % keys}`;
  const ip = `ip:10.0.${i % keys}.1`;
  await store.consume([{ key: `${ip}:req`, limit: ipReq, cost: 1 }], []);
  await store.consume([{ key: `${ip}:cost`, limit: cost, cost: 300 }], []);
  await store.consume(
    [{ key: `${k}:req`, limit: req, cost: 1 }, { key: `${k}:cost`, limit: cost, cost: 300 }, { key: `${k}:r0:req`, limit: req, cost: 1 }, { key: `${k}:r0:cost`, limit: cost, cost: 300 }],
    [{ key: `${k}:budget`, limit: 1e12, periodMs: DAY, cost: 300 }],
  );
  const id = `lease-${leaseSeq++}`;
  await store.acquire(`${k}:conc`, id, 64, 5000);
  await store.release(`${k}:conc`, id);
  await store.adjust([{ key: `${ip}:cost`, limit: cost, delta: -100 }], []);
  const ws = Math.floor(Date.now() / DAY) * DAY;
  await store.adjust([{ key: `${k}:cost`, limit: cost, delta: -100 }, { key: `${k}:r0:cost`, limit: cost, delta: -100 }], [{ key: `${k}:budget`, periodMs: DAY, windowStart: ws, delta: -100 }]);
}

async function round(store: Store, keys: number, n: number): Promise<{ us: number; bytes: number }> {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await request(store, i, keys);
  const cpu = process.cpuUsage(cpu0);
  const heap1 = process.memoryUsage().heapUsed;
  return { us: (cpu.user + cpu.system) / n, bytes: (heap1 - heap0) / n };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

console.log(`| keys | build | CPU µs per request (median of ${rounds} rounds) | bytes allocated per request (median) | entries at the end |`);
console.log('| ---: | --- | ---: | ---: | ---: |');
for (const keys of [4, 10_000]) {
  const stores = { [oldDist]: old.createMemoryStore(), 'this build': now.createMemoryStore() };
  const results: Record<string, { us: number[]; bytes: number[] }> = {};
  for (const [name, store] of Object.entries(stores)) {
    results[name] = { us: [], bytes: [] };
    for (let i = 0; i < 100_000; i++) await request(store, i, keys); // warm-up: every key exists
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, store] of Object.entries(stores)) {
      const x = await round(store, keys, 20_000);
      results[name]?.us.push(x.us);
      results[name]?.bytes.push(x.bytes);
    }
  }
  for (const [name, store] of Object.entries(stores)) {
    const x = results[name] as { us: number[]; bytes: number[] };
    console.log(`| ${keys} | ${name} | ${median(x.us).toFixed(2)} | ${Math.round(median(x.bytes))} | ${store.size()} |`);
  }
}
