/**
 * `npm run bench:store-memory`: memory of the embedded limit store with 100,000 distinct API keys
 * and 100,000 distinct client IPs tracked at once (target: ≤ 64 MB).
 *
 * Each key gets what one admitted request leaves behind with a tier of request and cost limits
 * and a daily budget: `key:<id>:req` and `key:<id>:cost` buckets and a `key:<id>:budget` window
 * (its concurrency lease is taken and released, as a finished request does). Each IP gets its
 * `ip:<addr>:req` and `ip:<addr>:cost` buckets. The clock is frozen, so nothing goes idle during
 * the fill (the worst case). Memory is measured as V8 heap used after two full GCs and as the
 * process's RSS, each relative to just before the store was created.
 *
 * The store lives in a gateway, so by default the process first loads what a gateway loads at
 * start-up (the tokenizer, the learned injection layer, the pattern detector): V8 grows its young
 * generation while such state survives, and a bare process would count that growth (about 30 MB
 * of RSS) against the store. STORE_STARTUP=0 measures in a bare process.
 *
 *   npm run build && node --expose-gc dist/bench/store-memory.js
 *
 * Environment: STORE_KEYS (default 100000), STORE_IPS (default 100000), STORE_STARTUP (default 1).
 */
import { createMemoryStore } from '../src/limits/stores/memory.js';
import { tokenCounter } from '../src/limits/cost.js';
import { sharedLearnedScorer } from '../src/detectors/injection/learned.js';
import { createInjectionDetector } from '../src/detectors/injection/detector.js';
import { envNum } from './procs.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

function getGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:store-memory does)');
  return gc;
}

function measure(gc: () => void): { heapMb: number; rssMb: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / 2 ** 20, rssMb: m.rss / 2 ** 20 };
}

const ipOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const keyIdOf = (i: number): string => `k${i.toString(36).padStart(6, '0')}`;

async function main(): Promise<void> {
  const gc = getGc();
  const keys = Math.round(envNum('STORE_KEYS', 100_000, true));
  const ips = Math.round(envNum('STORE_IPS', 100_000, true));
  const frozen = Date.now();
  const reqLimit = { kind: 'gcra' as const, rate: 600, periodMs: MINUTE, burst: 100 };
  const costLimit = { kind: 'gcra' as const, rate: 400_000, periodMs: MINUTE, burst: 400_000 };
  const ipLimit = { kind: 'gcra' as const, rate: 30, periodMs: MINUTE, burst: 10 };
  const ipCost = { kind: 'gcra' as const, rate: 100_000, periodMs: MINUTE, burst: 100_000 };

  const startup = envNum('STORE_STARTUP', 1) !== 0;
  if (startup) {
    tokenCounter('cl100k_base').count('hello');
    sharedLearnedScorer();
    createInjectionDetector().scan('hello');
  }
  const before = measure(gc);
  const store = createMemoryStore({ now: () => frozen });
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) {
    const id = keyIdOf(i);
    const r = await store.consume(
      [{ key: `key:${id}:req`, limit: reqLimit, cost: 1 }, { key: `key:${id}:cost`, limit: costLimit, cost: 700 }],
      [{ key: `key:${id}:budget`, limit: 1_000_000, periodMs: DAY, cost: 700 }],
    );
    if (!r.allowed) throw new Error('the fill was refused');
    await store.acquire(`key:${id}:conc`, `lease-${i}`, 16, MINUTE);
    await store.release(`key:${id}:conc`, `lease-${i}`);
  }
  for (let i = 0; i < ips; i++) {
    const ip = ipOf(i);
    const r = await store.consume([{ key: `ip:${ip}:req`, limit: ipLimit, cost: 1 }, { key: `ip:${ip}:cost`, limit: ipCost, cost: 700 }], []);
    if (!r.allowed) throw new Error('the fill was refused');
  }
  const nsPerRequest = ((performance.now() - t0) * 1e6) / (keys + ips);
  const after = measure(gc);
  const entries = store.size();
  const heap = after.heapMb - before.heapMb;
  const rss = after.rssMb - before.rssMb;
  const target = 64;
  process.stdout.write(`# Memory store: ${keys.toLocaleString('en-US')} keys and ${ips.toLocaleString('en-US')} IPs — ${new Date().toISOString()}\n\n`);
  process.stdout.write(`- node ${process.version}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`- process: ${startup ? 'with a gateway\'s start-up state loaded first (tokenizer, learned layer, detector)' : 'bare (STORE_STARTUP=0)'}\n`);
  process.stdout.write(`- entries: ${entries.toLocaleString('en-US')} (per key: request + cost bucket + budget; per IP: request + cost bucket)\n`);
  process.stdout.write(`- heap used: +${heap.toFixed(1)} MB (${((heap * 2 ** 20) / entries).toFixed(0)} bytes per entry); RSS: +${rss.toFixed(1)} MB\n`);
  process.stdout.write(`- fill: ${(nsPerRequest / 1000).toFixed(2)} µs per admitted request's store work\n`);
  const worst = Math.max(heap, rss);
  process.stdout.write(`- target ≤ ${target} MB: ${worst <= target ? 'MET' : 'MISSED'} (${worst.toFixed(1)} MB, the larger of heap and RSS growth)\n`);
  await store.close();
  if (worst > target) process.exitCode = 1;
}

await main();
