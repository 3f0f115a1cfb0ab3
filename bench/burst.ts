/**
 * Exact distributed decisions, measured (issue 10, "Done means" 1-3):
 *
 *   burst  3 gateway processes + one private redis-server, a key limited to 100 requests, 300
 *          concurrent requests; right after start (cold) and again on a fresh key (warm);
 *          REPS times (default 10). Counts admitted and MG_STORE_UNAVAILABLE.
 *   pause  one gateway, Redis frozen (SIGSTOP) PAUSE_MS (default 3 s) under load, per onError
 *          mode: what every request during the pause got, the slowest request (store timeout +
 *          how much), and after SIGCONT how much of the bucket the refused requests consumed.
 *   lease  CLIENT KILL of the gateway's Redis connection while leases are held and an acquire
 *          is in flight: time until the key's full concurrency is obtainable again.
 *
 *   node dist/bench/burst.js [burst|pause|lease ...]     (all three by default)
 *   STRESS=1 runs `stress-ng --cpu 2` beside it (spawned and stopped by the bench).
 *   REPS, PAUSE_MS, STORE_TIMEOUT (e.g. "250ms"; default: the gateway's default) tune it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../test/redis-server.js';
import { startSimulator } from '../src/simulator/index.js';
import { burst, count, startReplicas } from '../test/gateway-replicas.js';
import { createRedisStore, DEFAULT_STORE_TIMEOUT_MS } from '../src/limits/stores/redis.js';
import { Limiter } from '../src/limits/limiter.js';
import { loadConfigText } from '../src/config/load.js';
import { envNum } from './procs.js';
import { NO_EVENTS } from '../src/observability/events.js';

const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const STORE_TIMEOUT = process.env.STORE_TIMEOUT;
const storeYaml = (onError: string): string => `onError: ${onError}${STORE_TIMEOUT === undefined ? '' : `, timeout: ${STORE_TIMEOUT}`}`;

async function burstBench(redis: RedisServer, reps: number): Promise<void> {
  say(`\n### burst: 3 replicas, limit 100, 300 concurrent requests, ${reps} repetitions`);
  say('| rep | cold admitted | cold 503 store | warm admitted | warm 503 store | other statuses | slowest request ms |');
  say('|---|---|---|---|---|---|---|');
  let exact = 0;
  for (let rep = 1; rep <= reps; rep++) {
    const sim = await startSimulator();
    const r = await startReplicas({
      redisUrl: redis.url, simUrl: sim.url, n: 3, keyIds: [`cold${rep}`, `warm${rep}`],
      tier: '{ requests: { rate: 100, per: 1h, burst: 100 } }', store: storeYaml('fail-closed'), logs: true,
    });
    try {
      const cold = await burst(r.urls, r.keys[`cold${rep}`] as string, 300);
      const warm = await burst(r.urls, r.keys[`warm${rep}`] as string, 300);
      const other = [...cold.statuses, ...warm.statuses].filter((s) => s !== 200 && s !== 429 && s !== 503);
      const slowest = Math.max(...cold.ms, ...warm.ms);
      const row = [count(cold.statuses, 200), count(cold.codes, 'MG_STORE_UNAVAILABLE'), count(warm.statuses, 200), count(warm.codes, 'MG_STORE_UNAVAILABLE')];
      if (row[0] === 100 && row[2] === 100 && row[1] === 0 && row[3] === 0) exact++;
      for (const l of r.logs.filter((x) => x.includes('store'))) say(`    store failure: ${l.slice(0, 300)}`);
      r.logs.length = 0;
      say(`| ${rep} | ${row[0]} | ${row[1]} | ${row[2]} | ${row[3]} | ${other.length === 0 ? '—' : other.join(',')} | ${slowest.toFixed(0)} |`);
    } finally {
      await r.close();
      await sim.close();
    }
  }
  say(`exactly 100 admitted and zero MG_STORE_UNAVAILABLE, cold and warm: ${exact} of ${reps}`);
}

async function pauseBench(redis: RedisServer, pauseMs: number): Promise<void> {
  say(`\n### pause: Redis frozen ${pauseMs} ms under load (one gateway, limit 1000 per day, waves of 20 concurrent requests)`);
  say('| onError | requests during pause | answers during pause | slowest ms during pause | slowest ms, same waves, Redis healthy | bucket consumed by requests during the pause |');
  say('|---|---|---|---|---|---|');
  for (const mode of ['fail-closed', 'fail-open', 'local']) {
    const id = `p${mode.replace('-', '')}${Date.now()}`; // a fresh bucket per mode
    const sim = await startSimulator();
    const r = await startReplicas({
      redisUrl: redis.url, simUrl: sim.url, n: 1, keyIds: [id, `healthy${id}`],
      tier: '{ requests: { rate: 1000, per: 1d, burst: 1000 } }', store: `${storeYaml(mode)}, replicas: 2`,
    });
    try {
      const key = r.keys[id] as string;
      const url = r.urls[0] as string;
      // The same waves with Redis healthy (another key): what a request costs without the pause.
      const healthyMs: number[] = [];
      for (let i = 0; i < 5; i++) healthyMs.push(...(await burst([url], r.keys[`healthy${id}`] as string, 20)).ms);
      const before = await burst([url], key, 10);
      redis.pause();
      const t0 = performance.now();
      const during = { statuses: [] as number[], codes: [] as (string | undefined)[], ms: [] as number[] };
      while (performance.now() - t0 < pauseMs) {
        const b = await burst([url], key, 20);
        during.statuses.push(...b.statuses); during.codes.push(...b.codes); during.ms.push(...b.ms);
      }
      redis.resume();
      // What Redis holds now: remaining of the key's bucket, read with a cost-0 decision.
      const probe = createRedisStore({ url: redis.url, commandTimeoutMs: 5000 });
      await probe.waitReady(5000);
      const peek = await probe.consume([{ key: `key:${id}:req`, limit: { kind: 'gcra', rate: 1000, periodMs: 86_400_000, burst: 1000 }, cost: 0 }], []);
      await probe.close();
      const admittedDuring = count(during.statuses, 200);
      const redisCharged = 1000 - count(before.statuses, 200) - (peek.buckets[0]?.remaining ?? NaN);
      const kinds = [...new Set(during.statuses.map((s, i) => `${s} ${during.codes[i] ?? ''}`.trim()))].map((k) => `${k}: ${count(during.statuses.map((s, i) => `${s} ${during.codes[i] ?? ''}`.trim()), k)}`);
      say(`| ${mode} | ${during.statuses.length} | ${kinds.join('; ')} | ${Math.max(...during.ms).toFixed(0)} | ${Math.max(...healthyMs).toFixed(0)} | ${redisCharged} (admitted during pause, decided without Redis: ${admittedDuring}) |`);
    } catch (err) {
      say(`pause bench failed (${mode}): ${String(err)}; ${r.exits.join('; ')}`);
    } finally {
      redis.resume();
      await r.close();
      await sim.close();
    }
  }
}

/** The store alone, Redis frozen: how long each decision waits before it is given up on. */
async function storeWaitBench(redis: RedisServer, pauseMs: number): Promise<void> {
  const store = createRedisStore({ url: redis.url });
  await store.waitReady(5000);
  const limit = { kind: 'gcra', rate: 1000, periodMs: 86_400_000, burst: 1000 } as const;
  const key = `key:wait${Date.now()}:req`;
  const waits: number[] = [];
  try {
    redis.pause();
    const t0 = performance.now();
    while (performance.now() - t0 < pauseMs) {
      await Promise.all(Array.from({ length: 20 }, async () => {
        const s = performance.now();
        await store.consume([{ key, limit, cost: 1 }], []).catch(() => undefined);
        waits.push(performance.now() - s);
      }));
    }
  } finally {
    redis.resume();
  }
  const left = (await store.consume([{ key, limit, cost: 0 }], [])).buckets[0]?.remaining;
  await store.close();
  waits.sort((a, b) => a - b);
  const q = (p: number): string => (waits[Math.min(waits.length - 1, Math.floor(p * waits.length))] ?? NaN).toFixed(1);
  say(`store alone, Redis frozen ${pauseMs} ms, waves of 20 decisions (store timeout ${DEFAULT_STORE_TIMEOUT_MS} ms): ${waits.length} decisions, wait p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms; units consumed afterwards: ${1000 - (left ?? NaN)}`);
}

async function leaseBench(redis: RedisServer): Promise<void> {
  say('\n### lease: CLIENT KILL while 3 of 4 leases are held and one acquire is in flight');
  const config = loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
store: { kind: redis, url: "${redis.url}", onError: fail-closed }
auth: { keys: [] }
tiers: { t: { concurrency: 4 } }
upstreams: { llm: { targets: ["http://127.0.0.1:9"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`, {});
  const admin = new Redis(redis.url);
  const times: number[] = [];
  for (let rep = 1; rep <= 5; rep++) {
    const store = createRedisStore({ url: redis.url, commandTimeoutMs: config.store.timeoutMs });
    await store.waitReady(5000);
    const limiter = new Limiter(config, store, NO_EVENTS);
    const tier = limiter.tierOf('t');
    const releases: (() => Promise<void>)[] = [];
    for (let i = 0; i < 3; i++) {
      const rel = await limiter.lease(`b${rep}`, tier, `held-${i}`);
      if (typeof rel === 'function') releases.push(rel);
    }
    const inFlight = limiter.lease(`b${rep}`, tier, 'in-flight');
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    const t0 = performance.now();
    const last = await inFlight;
    if (typeof last === 'function') releases.push(last);
    await Promise.all(releases.map((r) => r()));
    const probe = createRedisStore({ url: redis.url, keyPrefix: 'mg' });
    await probe.waitReady(5000);
    for (;;) {
      let got = 0;
      for (let i = 0; i < 4; i++) if ((await probe.acquire(`key:b${rep}:conc`, `probe-${i}`, 4, 1000).catch(() => ({ acquired: false }))).acquired) got++;
      for (let i = 0; i < 4; i++) await probe.release(`key:b${rep}:conc`, `probe-${i}`).catch(() => undefined);
      if (got === 4) break;
      await sleep(20);
    }
    times.push(performance.now() - t0);
    limiter.leases.close();
    await probe.close();
    await store.close();
  }
  await admin.quit();
  say(`full concurrency back after: ${times.map((t) => t.toFixed(0)).join(', ')} ms (max ${Math.max(...times).toFixed(0)} ms)`);
}

async function main(): Promise<void> {
  const which = process.argv.slice(2);
  const all = which.length === 0;
  let stress: ChildProcess | null = null;
  if (process.env.STRESS === '1') {
    stress = spawn('stress-ng', ['--cpu', '2', '--quiet'], { stdio: 'ignore' });
    await sleep(500);
  }
  const redis = await startRedisServer();
  if (redis === null) throw new Error('redis-server not found on PATH');
  say(`## bench/burst — ${cpus().length} CPU(s), node ${process.version}, stress-ng --cpu 2: ${stress === null ? 'no' : 'yes'}, store timeout: ${STORE_TIMEOUT ?? 'default'}`);
  try {
    if (all || which.includes('burst')) await burstBench(redis, envNum('REPS', 10, true));
    if (all || which.includes('pause')) {
      await pauseBench(redis, envNum('PAUSE_MS', 3000, true));
      await storeWaitBench(redis, envNum('PAUSE_MS', 3000, true));
    }
    if (all || which.includes('lease')) await leaseBench(redis);
  } finally {
    await redis.stop();
    stress?.kill('SIGKILL');
  }
}

await main();
