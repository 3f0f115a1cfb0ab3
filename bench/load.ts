/**
 * The benchmark's load generator, always run as a child process of bench/run.ts so that it never
 * shares an event loop with the gateway, the simulator or the orchestrator.
 *
 *   node dist/bench/load.js seq '<SeqJob JSON>'         sequential requests, µs latency
 *
 * Prints one JSON line (SeqOutput) on stdout. Throughput and CPU runs use wrk (bench/wrk.ts).
 *
 * It sends requests one at a time over one keep-alive connection per target and times each with
 * process.hrtime.bigint(). Rounds alternate between the targets so that drift (CPU frequency, a
 * noisy neighbour) hits all of them alike.
 */
import { Client } from 'undici';

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
  /** A marker in `body` replaced by a number of its own in every request (BENCH_VARY: nothing cached). */
  vary?: string;
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

function cpuMsSoFar(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
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
let sent = 0;

async function once(client: Client, job: SeqJob, headers: Record<string, string>, tally: Tally | null): Promise<void> {
  const body = job.vary === undefined ? job.body : job.body.replace(job.vary, String(sent++));
  const t0 = process.hrtime.bigint();
  try {
    const res = await client.request({ path: job.path, method: 'POST', headers, body });
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
  if (arg === undefined || mode !== 'seq') {
    process.stderr.write("usage: load.js seq '<job JSON>'\n");
    process.exit(2);
  }
  const out: SeqOutput = { results: await seq(JSON.parse(arg) as SeqJob), cpuMs: cpuMsSoFar() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
