/**
 * Key lifecycle, measured (issue 12):
 *
 *   propagation  3 gateways on one real Redis (a private redis-server on a free port). ROUNDS
 *                times: a key is created through replica A and used on every replica; then it is
 *                revoked through A, and B and C are asked in a tight loop (one request after the
 *                other, each) until they refuse it. Time from the start of the DELETE call to the
 *                first refusal, per replica. Two variants: pub/sub (3 real CLI processes, the
 *                deployment) and the version poll alone (3 gateways in this process with pub/sub
 *                off, poll every 1 s: what happens when a message is lost).
 *   hotpath      the auth policy (hash the presented key, one map lookup, scope checks) with 1 config
 *                key, then with 10k and 100k key-store keys; and what a full resync of 100k keys
 *                costs (Redis HGETALL + rebuilding the map).
 *
 *   node dist/bench/keys.js [propagation|hotpath ...]   (both by default); ROUNDS (default 20)
 */
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { startRedisServer } from '../test/redis-server.js';
import { startSimulator } from '../src/simulator/index.js';
import { adminCall, startKeyReplicas, tryKey, ADMIN_TOKEN } from '../test/key-replicas.js';
import { loadConfigText } from '../src/config/load.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { apiKeyAuth, hashKey } from '../src/policies/api-key.js';
import { KeyRegistry } from '../src/keys/registry.js';
import { generateKey } from '../src/cli/keys.js';
import { parseRecord } from '../src/keys/records.js';
import type { StoredKey } from '../src/keys/types.js';
import type { RequestContext } from '../src/pipeline/context.js';

const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
};
const fmt = (xs: number[]): string => `p50 ${q(xs, 0.5).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

/** Revoke through `admin`, then ask each of `others` until it refuses; ms per replica. */
async function revokeAndWait(admin: string, others: string[], key: string, id: string): Promise<number[]> {
  const t0 = performance.now();
  const del = adminCall(admin, 'DELETE', `/admin/keys/${id}`);
  const times = await Promise.all(others.map(async (u) => {
    for (;;) {
      if ((await tryKey(u, key)).status === 401) return performance.now() - t0;
    }
  }));
  await del;
  return times;
}

async function rounds(adminUrl: string, urls: string[], label: string): Promise<void> {
  const all: number[] = [];
  const worst: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const id = `bench-${label.split(" ")[0] ?? "x"}-${i}`;
    const key = (await adminCall(adminUrl, 'POST', '/admin/keys', { id })).json.key as string;
    for (const u of urls) while ((await tryKey(u, key)).status !== 200) { /* until the replica knows it */ }
    const times = await revokeAndWait(adminUrl, urls.slice(1), key, id);
    all.push(...times);
    worst.push(Math.max(...times));
  }
  say(`  ${label}: revoked through A, refused by B and C after: ${fmt(all)}`);
  say(`  ${label}: slower of B and C per round: ${fmt(worst)}`);
}

async function propagation(): Promise<void> {
  const redis = await startRedisServer();
  if (redis === null) { say('propagation: SKIPPED (redis-server not installed)'); return; }
  const sim = await startSimulator({});
  try {
    say(`propagation: 3 replicas, one Redis, ${ROUNDS} rounds`);
    const r = await startKeyReplicas(redis.url, sim.url, 3);
    try {
      await rounds(r.adminUrls[0] as string, r.urls, 'pubsub (3 CLI processes)');
    } finally {
      await r.close();
    }
    const gws: Gateway[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: "${ADMIN_TOKEN}" }
store: { kind: redis, url: "${redis.url}", timeout: 250ms }
auth: { keys: [] }
upstreams: { llm: { targets: ["${sim.url}"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`);
        const gw = createGateway(c, { logger: createLogger('error', new Writable({ write(_c, _e, cb) { cb(); } })), defaultMetrics: false, keys: { pubsub: false, pollMs: 1000 } });
        await gw.start();
        gws.push(gw);
      }
      await rounds(gws[0]?.adminUrl as string, gws.map((g) => g.url), 'poll only (3 in-process gateways, poll 1 s)');
    } finally {
      await Promise.all(gws.map((g) => g.close()));
    }
  } finally {
    await sim.close();
    await redis.stop();
  }
}

function record(i: number): { rec: StoredKey; key: string } {
  const key = `bench-key-${i}-0123456789abcdef`;
  return { key, rec: { id: `k${i}`, tier: null, createdAt: 0, expiresAt: null, routes: null, models: null, allowedCidrs: null, hashes: [{ hash: hashKey(key).toString('hex'), until: null }] } };
}

function nsPerAuth(reg: KeyRegistry, keys: string[]): number {
  const auth = apiKeyAuth(reg, ['Authorization']);
  const ctxs = keys.map((k) => ({ headers: { authorization: `Bearer ${k}` }, route: { path: '/v1/chat/completions' }, ip: '127.0.0.1', identity: null }) as unknown as RequestContext);
  const N = 300_000;
  for (let i = 0; i < 20_000; i++) auth.run(ctxs[i % ctxs.length] as RequestContext);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (auth.run(ctxs[i % ctxs.length] as RequestContext) !== undefined) throw new Error('refused');
  return Number(process.hrtime.bigint() - t0) / N;
}

async function hotpath(): Promise<void> {
  say('hotpath: auth policy per request (SHA-256 of the key + map lookup + scope checks), 300k calls');
  const cfgKey = generateKey();
  const base = nsPerAuth(new KeyRegistry([{ id: 'cfg', hash: hashKey(cfgKey), tier: null }]), [cfgKey]);
  say(`  1 config key: ${(base / 1000).toFixed(2)} µs`);
  for (const n of [10_000, 100_000]) {
    const made = Array.from({ length: n }, (_, i) => record(i));
    const reg = new KeyRegistry([]);
    const t0 = performance.now();
    reg.replaceStore(new Map(made.map((m) => [m.rec.id, m.rec])));
    const rebuild = performance.now() - t0;
    const sample = Array.from({ length: 1000 }, (_, i) => (made[(i * 7919) % n] as { key: string }).key);
    const heap0 = process.memoryUsage().heapUsed;
    const ns = nsPerAuth(reg, sample);
    say(`  ${n} store keys: ${(ns / 1000).toFixed(2)} µs per request (1,000 distinct keys presented); map rebuild ${rebuild.toFixed(0)} ms; heap now ${(heap0 / 1e6).toFixed(0)} MB`);
  }
  const redis = await startRedisServer();
  if (redis === null) return;
  try {
    const c = new Redis(redis.url);
    const n = 100_000;
    for (let i = 0; i < n; i += 5000) {
      const m = c.multi();
      for (let j = i; j < Math.min(n, i + 5000); j++) m.hset('mg:{keys}:records', `k${j}`, JSON.stringify(record(j).rec));
      await m.exec();
    }
    const t0 = performance.now();
    const all = await c.hgetall('mg:{keys}:records');
    const t1 = performance.now();
    const recs = new Map<string, StoredKey>();
    for (const [id, json] of Object.entries(all)) { const r = parseRecord(json); if (r !== null) recs.set(id, r); }
    new KeyRegistry([]).replaceStore(recs);
    const t2 = performance.now();
    say(`  full resync of ${n} keys from Redis: HGETALL ${(t1 - t0).toFixed(0)} ms + parse and rebuild ${(t2 - t1).toFixed(0)} ms (a replica does this at start, on a gap or reconnect, and every 5 min)`);
    c.disconnect();
  } finally {
    await redis.stop();
  }
}

say(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);
const which = process.argv.slice(2);
if (which.length === 0 || which.includes('hotpath')) await hotpath();
if (which.length === 0 || which.includes('propagation')) await propagation();
process.exit(0);
