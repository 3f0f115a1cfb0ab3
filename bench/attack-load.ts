/**
 * Load generators of the attack benchmark (bench/attack.ts), each run as its own child process so
 * that neither shares an event loop with the other, the orchestrator, or the system under test:
 *
 *   node dist/bench/attack-load.js legit '<LegitJob JSON>'      open loop, fixed schedule
 *   node dist/bench/attack-load.js attacker '<AttackerJob JSON>' closed loop, as fast as possible
 *
 * Prints one JSON line (LegitOutput or AttackerOutput) on stdout.
 *
 * Legit clients are OPEN loop: request i is due at start + i / rate, whatever happened to the
 * earlier ones, and its latency is measured from when it was due (not from when it could be sent),
 * so a stalled target cannot hide its stall by slowing the clients down (coordinated omission).
 * The attacker is CLOSED loop: `connections` loops, each sending its next request as soon as the
 * previous answer is in, ignoring Retry-After.
 */
import { Pool } from 'undici';
import { chatBody } from './attack-text.js';

export interface LegitJob {
  origin: string;
  path: string;
  /** One API key per legit client; requests go to them in turn. */
  keys: string[];
  /** Requests per second per key. */
  ratePerKey: number;
  /** Epoch ms of the first request. */
  start: number;
  durationMs: number;
  /** After the last request is due, how long answers may still take before they are cut. */
  drainMs: number;
  /** Bodies: `variants` chat bodies of `userChars` characters of prose, `maxTokens`, used in turn. */
  body: BodySpec;
}

export interface BodySpec {
  userChars: number;
  maxTokens: number;
  variants: number;
}

function bodies(spec: BodySpec): string[] {
  return Array.from({ length: Math.max(1, spec.variants) }, (_, i) => chatBody(spec.userChars, spec.maxTokens, i + 1));
}

export interface LegitRequest {
  /** Index in the schedule (sent as `x-bench-id`). */
  i: number;
  /** ms after start it was due. */
  due: number;
  key: number;
  /** 0 for a transport error or a cut (drain over). */
  status: number;
  /** ms from due to the end of the response body (NaN when cut). */
  latency: number;
  /** Send lag: ms from due to the moment it was handed to the client. */
  lag: number;
  /** The error code of a non-2xx answer (modelgate's `error.code`), or the transport error. */
  code: string | null;
}

export interface LegitOutput {
  requests: LegitRequest[];
  cpuMs: number;
}

export interface AttackerJob {
  origin: string;
  path: string;
  key: string;
  connections: number;
  start: number;
  durationMs: number;
  drainMs: number;
  body: BodySpec;
}

export interface AttackerOutput {
  sent: number;
  /** "200", "429 MG_RATE_LIMITED_COST", "503", "error ECONNRESET"… → count. */
  outcomes: Record<string, number>;
  /** Latency of the 200s, ms. */
  okP50: number;
  okP99: number;
  /** Latency of everything else, ms. */
  refusedP50: number;
  cpuMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The error code in a JSON error body (`{"error":{"code":"MG_…"}}`), if any. */
function errorCode(text: string): string | null {
  try {
    const v = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof v.error?.code === 'string' ? v.error.code : null;
  } catch {
    return null;
  }
}

function transportCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  return typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'error';
}

async function legit(job: LegitJob): Promise<LegitOutput> {
  const pool = new Pool(job.origin, { connections: 512, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 60_000 });
  const stop = new AbortController();
  const rate = job.keys.length * job.ratePerKey;
  const total = Math.floor((job.durationMs / 1000) * rate);
  const requests: LegitRequest[] = [];
  const payloads = bodies(job.body);
  const pending: Promise<void>[] = [];
  const cutAt = job.start + job.durationMs + job.drainMs;
  const cutTimer = setTimeout(() => stop.abort(), Math.max(0, cutAt - Date.now()));

  const one = async (i: number, due: number): Promise<void> => {
    const k = i % job.keys.length;
    const r: LegitRequest = { i, due: due - job.start, key: k, status: 0, latency: NaN, lag: performance.timeOrigin + performance.now() - due, code: null };
    requests.push(r);
    try {
      const res = await pool.request({
        path: job.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${job.keys[k] ?? ''}`, 'x-bench-client': 'legit', 'x-bench-key': String(k), 'x-bench-id': String(i) },
        body: payloads[i % payloads.length] ?? '{}',
        signal: stop.signal,
      });
      const text = await res.body.text();
      r.status = res.statusCode;
      r.latency = performance.timeOrigin + performance.now() - due;
      if (res.statusCode < 200 || res.statusCode > 299) r.code = errorCode(text);
    } catch (err) {
      r.code = stop.signal.aborted ? 'cut (drain over)' : transportCode(err);
    }
  };

  for (let i = 0; i < total; i++) {
    const due = job.start + (i * 1000) / rate;
    const wait = due - (performance.timeOrigin + performance.now());
    if (wait > 0) await sleep(wait);
    pending.push(one(i, due));
  }
  await Promise.all(pending);
  clearTimeout(cutTimer);
  await pool.destroy();
  return { requests, cpuMs: cpuMs() };
}

async function attacker(job: AttackerJob): Promise<AttackerOutput> {
  const pool = new Pool(job.origin, { connections: job.connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 60_000 });
  const stop = new AbortController();
  const end = job.start + job.durationMs;
  const cutTimer = setTimeout(() => stop.abort(), Math.max(0, end + job.drainMs - Date.now()));
  const payloads = bodies(job.body).map((b) => Buffer.from(b));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${job.key}`, 'x-bench-client': 'attacker' };
  const outcomes: Record<string, number> = {};
  const ok: number[] = [];
  const refused: number[] = [];
  let sent = 0;
  const count = (o: string): void => { outcomes[o] = (outcomes[o] ?? 0) + 1; };

  const wait = job.start - Date.now();
  if (wait > 0) await sleep(wait);
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const body = payloads[sent % payloads.length] ?? Buffer.from('{}');
      const t0 = performance.now();
      sent++;
      try {
        const res = await pool.request({ path: job.path, method: 'POST', headers, body, signal: stop.signal });
        const text = await res.body.text();
        const ms = performance.now() - t0;
        if (res.statusCode === 200) {
          ok.push(ms);
          count('200');
        } else {
          refused.push(ms);
          const code = errorCode(text);
          count(code === null ? String(res.statusCode) : `${res.statusCode} ${code}`);
        }
      } catch (err) {
        count(stop.signal.aborted ? 'cut (drain over)' : `error ${transportCode(err)}`);
        if (!stop.signal.aborted) await sleep(10); // a refused connection must not spin
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, loop));
  clearTimeout(cutTimer);
  await pool.destroy();
  return { sent, outcomes, okP50: quantile(ok, 0.5), okP99: quantile(ok, 0.99), refusedP50: quantile(refused, 0.5), cpuMs: cpuMs() };
}

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (arg === undefined || (mode !== 'legit' && mode !== 'attacker')) {
    process.stderr.write("usage: attack-load.js legit|attacker '<job JSON>'\n");
    process.exit(2);
  }
  const out = mode === 'legit' ? await legit(JSON.parse(arg) as LegitJob) : await attacker(JSON.parse(arg) as AttackerJob);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`attack-load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
