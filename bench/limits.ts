/**
 * Limit decisions per second, from one process: `store.consume()` for a realistic admission —
 * a key's request bucket (cost 1) + its cost bucket (the token estimate) + its daily budget, i.e.
 * 2 bucket ops + 1 budget op in one atomic call — against
 *   (a) the memory store (in-process), and
 *   (b) the Redis store (a private redis-server on a free port, never the machine's 6379),
 * each measured
 *   - sequentially (1 call in flight: the latency of one decision), and
 *   - with N concurrent calls in flight (the throughput one gateway process can get),
 * over K distinct keys taken round-robin. Then the memory store's heap after 1,000,000 distinct
 * per-IP keys (bounded by maxEntries, default 1,000,000) and what a flood past the cap does.
 *
 *   node dist/bench/limits.js
 *
 * Environment: LIMITS_DURATION (s per row, default 5), LIMITS_CONCURRENCY (default 64),
 * LIMITS_KEYS (default 10000), LIMITS_IP_KEYS (default 1000000), LIMITS_OUT (also write the
 * markdown report to this file).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMemoryStore, createStore, type BucketOp, type BudgetOp, type Store } from '../src/limits/stores/index.js';
import { startRedisServer, type RedisServer } from '../test/redis-server.js';
import { envNum } from './procs.js';

const DURATION_MS = envNum('LIMITS_DURATION', 5, true) * 1000;
const WARMUP_MS = Math.min(1000, DURATION_MS / 5);
const CONCURRENCY = Math.round(envNum('LIMITS_CONCURRENCY', 64, true));
const KEYS = Math.round(envNum('LIMITS_KEYS', 10_000, true));
const IP_KEYS = Math.round(envNum('LIMITS_IP_KEYS', 1_000_000, true));

const MINUTE = 60_000;
const DAY = 86_400_000;
/**
 * A "pro"-like tier (docs/configuration.md) with bursts large enough that every decision allows
 * for the whole run, as most admissions do. With a burst of 100 requests, a machine that makes
 * more than about 25 decisions per second per key (250,000/s over 10,000 keys) emptied the
 * buckets within the run: both the old and the new store refused hundreds of thousands of
 * decisions there (2026-12-08), and a refused decision takes another path. The GCRA arithmetic
 * costs the same at any rate.
 */
const REQUESTS = { kind: 'gcra' as const, rate: 600, periodMs: MINUTE, burst: 10_000 };
const COST = { kind: 'gcra' as const, rate: 400_000, periodMs: MINUTE, burst: 4_000_000 };
const BUDGET_LIMIT = 1e12;
/** A typical estimate: ~200 prompt tokens + max_tokens 64 (varies a little per call). */
const ESTIMATE = 264;

const keyIds = Array.from({ length: KEYS }, (_, i) => `bench-key-${i.toString(36).padStart(4, '0')}`);

function admission(i: number): [BucketOp[], BudgetOp[]] {
  const id = keyIds[i % KEYS] ?? 'bench-key';
  const cost = ESTIMATE + (i % 17);
  return [
    [
      { key: `key:${id}:req`, limit: REQUESTS, cost: 1 },
      { key: `key:${id}:cost`, limit: COST, cost },
    ],
    [{ key: `key:${id}:budget`, limit: BUDGET_LIMIT, periodMs: DAY, cost }],
  ];
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

/** Latency samples (µs) in a growable typed array: no per-sample allocation. */
class Samples {
  private buf = new Float64Array(1 << 16);
  n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
}

interface Row {
  store: string;
  inFlight: number;
  decisions: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  refused: number;
  errors: number;
  /** CPU of this process per decision, µs (user + system). */
  cpuUs: number;
  /** CPU of redis-server per decision, µs (NaN for memory). */
  redisCpuUs: number;
  /** Busy CPU of the machine outside this process and redis-server, % of one CPU (someone else's load). */
  otherPct: number;
}

const CLK_TCK = Number((spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout ?? '').trim()) || 100;

/** CPU ms used so far by one process (Linux /proc; NaN elsewhere or when pid is unknown). */
function pidCpuMs(pid: number | null): number {
  if (pid === null) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** The pid of the redis-server listening on `port` (found through /proc cmdlines; null if not found). */
function redisPid(port: number): number | null {
  const out = spawnSync('pgrep', ['-f', `redis-server.*:${port}`], { encoding: 'utf8' }).stdout ?? '';
  const pid = Number(out.trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * `inFlight` workers, each awaiting one consume() after another, until `ms` has passed. A
 * decision's latency is measured from the call to its settlement, so at N > 1 it includes the
 * wait behind the other calls in flight (which is what a request would see).
 */
async function drive(store: Store, inFlight: number, ms: number, samples: Samples | null): Promise<{ n: number; refused: number; errors: number }> {
  let i = 0;
  let n = 0;
  let refused = 0;
  let errors = 0;
  const until = performance.now() + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const [b, g] = admission(i++);
      const t0 = process.hrtime.bigint();
      try {
        const r = await store.consume(b, g);
        if (!r.allowed) refused++;
        samples?.push(Number(process.hrtime.bigint() - t0) / 1000);
        n++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { n, refused, errors };
}

/** Machine-wide busy CPU ms so far (user + nice + system, all CPUs; /proc/stat). */
function machineBusyMs(): number {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    return (((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0)) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

const QUIET_PCT = 25;
let quietBudgetMs = 60_000;
/** The machine may be shared: wait (within a budget for the run) until others keep < 25 % of one CPU busy. */
async function waitForQuiet(redis: number | null): Promise<void> {
  for (;;) {
    const ours0 = process.cpuUsage();
    const r0 = redis === null ? 0 : pidCpuMs(redis);
    const m0 = machineBusyMs();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    const ours = process.cpuUsage(ours0);
    const others = machineBusyMs() - m0 - (ours.user + ours.system) / 1000 - (redis === null ? 0 : pidCpuMs(redis) - r0);
    const pct = (100 * others) / (performance.now() - t0);
    if (!(pct >= QUIET_PCT) || quietBudgetMs <= 0) return;
    quietBudgetMs -= 500;
  }
}

async function measure(name: string, store: Store, inFlight: number, redis: number | null): Promise<Row> {
  process.stderr.write(`${name}, ${inFlight} in flight: ${DURATION_MS / 1000} s...\n`);
  await waitForQuiet(redis);
  await drive(store, inFlight, WARMUP_MS, null);
  const samples = new Samples();
  const cpu0 = process.cpuUsage();
  const r0 = pidCpuMs(redis);
  const m0 = machineBusyMs();
  const t0 = performance.now();
  const r = await drive(store, inFlight, DURATION_MS, samples);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const r1 = pidCpuMs(redis);
  const m1 = machineBusyMs();
  const s = samples.sorted();
  const oursMs = (cpu.user + cpu.system) / 1000 + (redis === null ? 0 : r1 - r0);
  return {
    store: name,
    inFlight,
    decisions: r.n,
    seconds,
    perSecond: r.n / seconds,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    max: s[s.length - 1] ?? NaN,
    refused: r.refused,
    errors: r.errors,
    cpuUs: ((cpu.user + cpu.system) / r.n),
    redisCpuUs: ((r1 - r0) * 1000) / r.n,
    otherPct: (100 * Math.max(0, m1 - m0 - oursMs)) / (seconds * 1000),
  };
}

/** global.gc, exposed at run time (so that `node dist/bench/limits.js` needs no flag). */
function getGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapMb(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function ipOf(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

interface HeapResult {
  keys: number;
  size: number;
  heapMb: number;
  bytesPerEntry: number;
  nsPerInsert: number;
  floodKeys: number;
  floodSize: number;
  floodHeapMb: number;
  nsPerInsertAtCap: number;
  baseMb: number;
  /** The same keys and values in a bare Map (no store around it): the floor. */
  plainBytesPerEntry: number;
  /** Steady admissions over KEYS keys (well below the cap): heap after each step of decisions. */
  churn: { decisions: number; size: number; heapMb: number }[];
  /** A bare Map under delete+set churn, with and without an un-advanced iterator held. */
  pinned: number;
  unpinned: number;
}

const CHURN_KEYS = 30_000;
const CHURN_WRITES = 2_000_000;

/**
 * The mechanism, without the store: CHURN_WRITES delete+set (an LRU "move to the end") over
 * CHURN_KEYS keys of a bare Map, holding a `map.keys()` iterator that is never advanced (`pin`)
 * or none. Returns the heap MB left after two full GCs.
 */
function bareMapChurn(gc: () => void, pin: boolean): number {
  const base = heapMb(gc);
  const map = new Map<string, { t: 'gcra'; tat: number }>();
  const it = pin ? map.keys() : null;
  for (let i = 0; i < CHURN_WRITES; i++) {
    const k = `key:${i % CHURN_KEYS}`;
    map.delete(k);
    map.set(k, { t: 'gcra', tat: i + 0.5 });
  }
  const mb = heapMb(gc) - base;
  if (it !== null && map.size < 0) it.next(); // keeps the iterator alive up to here
  return mb;
}

/**
 * The throughput rows' workload (2 buckets + 1 budget, KEYS keys round-robin, real clock) for
 * `steps` × `perStep` decisions: the number of live entries stays flat, so the heap should too.
 */
async function churnTest(gc: () => void, steps: number, perStep: number): Promise<HeapResult['churn']> {
  const base = heapMb(gc);
  const store = createMemoryStore();
  const out: HeapResult['churn'] = [];
  let i = 0;
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < perStep; k++) {
      const [b, g] = admission(i++);
      await store.consume(b, g);
    }
    out.push({ decisions: i, size: store.size(), heapMb: heapMb(gc) - base });
    process.stderr.write(`churn: ${i} decisions, ${store.size()} entries, ${(heapMb(gc) - base).toFixed(1)} MB\n`);
  }
  await store.close();
  return out;
}

/**
 * Per-IP request buckets (`perIp.requests: { rate: 30, per: 1m, burst: 10 }`, one request each)
 * for `n` distinct IPs, on a frozen clock so that no entry goes idle during the fill: the worst
 * case, where every key is still active when the next arrives. Then as many again past the cap.
 */
async function heapTest(n: number): Promise<HeapResult> {
  const gc = getGc();
  const frozen = Date.now();
  const limit = { kind: 'gcra' as const, rate: 30, periodMs: MINUTE, burst: 10 };
  // The floor: the same Map keys and entry objects, no store.
  const plainBase = heapMb(gc);
  let plain: Map<string, { t: 'gcra'; tat: number }> | null = new Map();
  for (let i = 0; i < n; i++) plain.set(`b|ip:${ipOf(i)}:req`, { t: 'gcra', tat: frozen + 2000.5 });
  const plainBytesPerEntry = ((heapMb(gc) - plainBase) * 2 ** 20) / plain.size;
  plain = null;
  const pinned = bareMapChurn(gc, true);
  const unpinned = bareMapChurn(gc, false);

  const baseMb = heapMb(gc);
  const store = createMemoryStore({ now: () => frozen }); // default maxEntries: 1,000,000
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await store.consume([{ key: `ip:${ipOf(i)}:req`, limit, cost: 1 }], []);
  const nsPerInsert = ((performance.now() - t0) * 1e6) / n;
  const size = store.size();
  const filled = heapMb(gc);
  process.stderr.write(`heap: ${size} entries, ${(filled - baseMb).toFixed(1)} MB\n`);
  // A flood of as many new keys again: the cap holds the map at maxEntries (LRU eviction).
  t0 = performance.now();
  for (let i = n; i < 2 * n; i++) await store.consume([{ key: `ip:${ipOf(i)}:req`, limit, cost: 1 }], []);
  const nsPerInsertAtCap = ((performance.now() - t0) * 1e6) / n;
  const floodSize = store.size();
  const flooded = heapMb(gc);
  await store.close();
  const churn = await churnTest(gc, 4, 500_000);
  return {
    plainBytesPerEntry,
    pinned,
    unpinned,
    churn,
    keys: n,
    size,
    heapMb: filled - baseMb,
    bytesPerEntry: ((filled - baseMb) * 2 ** 20) / size,
    nsPerInsert,
    floodKeys: 2 * n,
    floodSize,
    floodHeapMb: flooded - baseMb,
    nsPerInsertAtCap,
    baseMb,
  };
}

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

async function main(): Promise<void> {
  const out: string[] = [];
  const say = (line = ''): void => {
    out.push(line);
    process.stdout.write(`${line}\n`);
  };
  let redis: RedisServer | null = null;
  let redisStore: Store | null = null;
  const rows: Row[] = [];
  try {
    const memory = createStore({ kind: 'memory' });
    rows.push(await measure('memory', memory, 1, null));
    rows.push(await measure('memory', memory, CONCURRENCY, null));
    await memory.close();

    redis = await startRedisServer();
    if (redis === null) {
      process.stderr.write('redis-server not found on PATH: the Redis rows are skipped\n');
    } else {
      const rs = createStore({ kind: 'redis', url: redis.url });
      redisStore = rs;
      if (!(await rs.waitReady(5000))) throw new Error(`redis store not ready at ${redis.url}`);
      const pid = redisPid(redis.port);
      rows.push(await measure('redis', rs, 1, pid));
      rows.push(await measure('redis', rs, CONCURRENCY, pid));
    }
  } finally {
    await redisStore?.close().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
  }

  const redisVersion = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? 'n/a';
  say(`# Limit decisions per second — ${new Date().toISOString()}`);
  say();
  say(`- machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown'}; node ${process.version}; ${redisVersion.split(' ').slice(0, 3).join(' ')}`);
  say(`- one decision = \`store.consume()\` of 2 GCRA bucket ops (key requests, cost 1; key cost, ~${ESTIMATE} tokens) + 1 budget op (per day), over ${KEYS.toLocaleString('en-US')} keys round-robin; every decision allows`);
  say(`- ${DURATION_MS / 1000} s per row after ${WARMUP_MS / 1000} s warm-up; latency from the call to its settlement (at ${CONCURRENCY} in flight it includes the wait behind the others)`);
  say('- Redis: a private redis-server on 127.0.0.1 (loopback, no persistence), default store settings (500 ms store timeout), one ioredis connection');
  say(`- command: \`node dist/bench/limits.js\``);
  say();
  say('| store | in flight | decisions/s | p50 µs | p90 µs | p99 µs | max µs | refused + errors | bench CPU µs/decision | redis-server CPU µs/decision | other load (% of one CPU) |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    say(`| ${r.store} | ${r.inFlight} | ${f0(r.perSecond)} | ${f1(r.p50)} | ${f1(r.p90)} | ${f1(r.p99)} | ${f0(r.max)} | ${r.errors + r.refused} | ${f1(r.cpuUs)} | ${r.store === 'redis' ? f1(r.redisCpuUs) : '—'} | ${f0(r.otherPct)} |`);
  }
  say();

  process.stderr.write(`memory store heap: ${IP_KEYS.toLocaleString('en-US')} IP keys (in a fresh child process)...\n`);
  // A fresh process, so that nothing the throughput rows left on the heap blurs the measurement.
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'heap', String(IP_KEYS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`heap child exited with ${String(child.status)}`);
  const h = JSON.parse((child.stdout ?? '').trim().split('\n').pop() ?? 'null') as HeapResult;
  say('## Memory store: heap for distinct per-IP keys');
  say();
  say(`One \`perIp.requests\` bucket per IP (\`ip:10.x.y.z:req\`, GCRA), clock frozen so that no entry goes idle during the fill (the worst case); heap measured after two full GCs, relative to before the store existed (${f1(h.baseMb)} MB).`);
  say();
  say('| distinct IP keys | entries kept | heap MB | bytes per entry | ns per new key |');
  say('|---:|---:|---:|---:|---:|');
  say(`| ${f0(h.keys)} | ${f0(h.size)} | ${f1(h.heapMb)} | ${f0(h.bytesPerEntry)} | ${f0(h.nsPerInsert)} |`);
  say(`| ${f0(h.floodKeys)} (flood past the cap) | ${f0(h.floodSize)} | ${f1(h.floodHeapMb)} | ${f0((h.floodHeapMb * 2 ** 20) / h.floodSize)} | ${f0(h.nsPerInsertAtCap)} (each also evicts the LRU entry) |`);
  say(`| ${f0(h.keys)} in a bare \`Map\` (same keys and entry objects, no store) | ${f0(h.keys)} | ${f1((h.plainBytesPerEntry * h.keys) / 2 ** 20)} | ${f0(h.plainBytesPerEntry)} | — |`);
  say();
  say(`## Memory store: heap under steady admissions (${KEYS.toLocaleString('en-US')} keys, far below the cap)`);
  say();
  say('The workload of the throughput rows, real clock, in a fresh store; heap after two full GCs, relative to before the store existed.');
  say();
  say('| decisions so far | entries kept | heap MB | heap bytes per decision so far |');
  say('|---:|---:|---:|---:|');
  for (const c of h.churn) say(`| ${f0(c.decisions)} | ${f0(c.size)} | ${f1(c.heapMb)} | ${f0((c.heapMb * 2 ** 20) / c.decisions)} |`);
  say();
  say(`The mechanism without the store: a bare \`Map\` of ${CHURN_KEYS.toLocaleString('en-US')} keys after ${CHURN_WRITES.toLocaleString('en-US')} delete+set writes (the store's LRU "move to the end") holds **${f1(h.pinned)} MB** when a \`map.keys()\` iterator that is never advanced is kept alive, and **${f1(h.unpinned)} MB** without one.`);
  say();

  const file = process.env.LIMITS_OUT;
  if (file !== undefined && file !== '') writeFileSync(file, `${out.join('\n')}\n`);
}

const entry = process.argv[2] === 'heap'
  ? heapTest(Number(process.argv[3] ?? IP_KEYS)).then((h) => { process.stdout.write(`${JSON.stringify(h)}\n`); })
  : main();
entry.catch((err: unknown) => {
  process.stderr.write(`limits: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
