/**
 * The benchmark's load generator, always run as a child process of bench/run.ts so that it never
 * shares an event loop with the gateway, the simulator or the orchestrator.
 *
 *   node dist/bench/load.js cannon '<CannonJob JSON>'   autocannon, closed loop, N connections
 *   node dist/bench/load.js seq '<SeqJob JSON>'         sequential requests, µs latency
 *
 * Prints one JSON line (CannonResult or SeqOutput) on stdout.
 *
 * `seq` exists because autocannon records latencies in an HDR histogram with 1 ms resolution,
 * far too coarse for a 0.25 ms target: it sends requests one at a time over one keep-alive
 * connection per target and times each with process.hrtime.bigint(). Rounds alternate between
 * the targets so that drift (CPU frequency, a noisy neighbour) hits all of them alike.
 */
import { createRequire } from 'node:module';
import { Client } from 'undici';

export interface CannonJob {
  url: string;
  connections: number;
  /** Seconds measured. */
  duration: number;
  /** Seconds of warm-up (same connections) before the measured run; 0 for none. */
  warmup: number;
  headers: Record<string, string>;
  body: string;
}

export interface CannonResult {
  connections: number;
  duration: number;
  /** Responses (any status) per second over the measured run. */
  rps: number;
  total2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Milliseconds, from autocannon's histogram (1 ms resolution). */
  p50: number;
  p99: number;
  mean: number;
  statusCodes: Record<string, number>;
  /** CPU time (ms) this load-generator process used, start-up included. */
  cpuMs: number;
}

export interface SeqTarget {
  name: string;
  /** Origin, e.g. http://127.0.0.1:8080 */
  origin: string;
  headers: Record<string, string>;
}

export interface SeqJob {
  targets: SeqTarget[];
  path: string;
  body: string;
  /** Measured requests per target (split across rounds). */
  requests: number;
  rounds: number;
  /** Unmeasured requests per target before the first round. */
  warmup: number;
}

export interface SeqOutput {
  results: SeqResult[];
  /** CPU time (ms) this load-generator process used, start-up included. */
  cpuMs: number;
}

export interface SeqResult {
  name: string;
  n: number;
  non2xx: number;
  errors: number;
  /** Microseconds. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
}

// autocannon ships no types: the slice of its API and result used here.
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number; mean: number };
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  warmup?: { connections: number; duration: number };
}
type Autocannon = (opts: AutocannonOptions) => PromiseLike<AutocannonResult>;

function cpuMsSoFar(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function cannon(job: CannonJob): Promise<CannonResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const opts: AutocannonOptions = {
    url: job.url,
    connections: job.connections,
    duration: job.duration,
    method: 'POST',
    headers: job.headers,
    body: job.body,
  };
  if (job.warmup > 0) opts.warmup = { connections: job.connections, duration: job.warmup };
  const r = await autocannon(opts);
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
  return {
    connections: job.connections,
    duration: r.duration,
    rps: (r['2xx'] + r.non2xx) / r.duration,
    total2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.mean,
    statusCodes,
    cpuMs: cpuMsSoFar(),
  };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

interface Tally {
  samples: number[];
  non2xx: number;
  errors: number;
}

/** One request, body read to the end; returns microseconds, or -1 on a transport error. */
async function once(client: Client, job: SeqJob, headers: Record<string, string>, tally: Tally | null): Promise<void> {
  const t0 = process.hrtime.bigint();
  try {
    const res = await client.request({ path: job.path, method: 'POST', headers, body: job.body });
    await res.body.text();
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (tally === null) return;
    if (res.statusCode < 200 || res.statusCode > 299) tally.non2xx++;
    else tally.samples.push(us);
  } catch {
    if (tally !== null) tally.errors++;
  }
}

async function seq(job: SeqJob): Promise<SeqResult[]> {
  const clients = job.targets.map((t) => new Client(t.origin, { pipelining: 1, keepAliveTimeout: 60_000 }));
  const tallies: Tally[] = job.targets.map(() => ({ samples: [], non2xx: 0, errors: 0 }));
  try {
    for (let i = 0; i < job.targets.length; i++) {
      const client = clients[i];
      const t = job.targets[i];
      if (client === undefined || t === undefined) continue;
      for (let k = 0; k < job.warmup; k++) await once(client, job, t.headers, null);
    }
    const perRound = Math.ceil(job.requests / job.rounds);
    for (let round = 0; round < job.rounds; round++) {
      for (let i = 0; i < job.targets.length; i++) {
        const client = clients[i];
        const t = job.targets[i];
        const tally = tallies[i];
        if (client === undefined || t === undefined || tally === undefined) continue;
        for (let k = 0; k < perRound; k++) await once(client, job, t.headers, tally);
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  return job.targets.map((t, i) => {
    const tally = tallies[i] ?? { samples: [], non2xx: 0, errors: 0 };
    const s = tally.samples.sort((a, b) => a - b);
    const mean = s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
    return {
      name: t.name,
      n: s.length,
      non2xx: tally.non2xx,
      errors: tally.errors,
      p50: quantile(s, 0.5),
      p90: quantile(s, 0.9),
      p99: quantile(s, 0.99),
      mean,
      min: s[0] ?? NaN,
    };
  });
}

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (arg === undefined || (mode !== 'cannon' && mode !== 'seq')) {
    process.stderr.write("usage: load.js cannon|seq '<job JSON>'\n");
    process.exit(2);
  }
  const out: CannonResult | SeqOutput = mode === 'cannon'
    ? await cannon(JSON.parse(arg) as CannonJob)
    : { results: await seq(JSON.parse(arg) as SeqJob), cpuMs: cpuMsSoFar() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
