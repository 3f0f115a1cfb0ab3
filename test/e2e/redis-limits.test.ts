// Limits shared through a real Redis (started by the test on a free port): three gateway
// processes enforce one limit exactly, and a Redis outage does what store.onError says —
// without making any request wait longer than the store timeout — and exact limiting resumes
// when Redis returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { startStack, post, bearer, chat, codeOf, sleep } from '../helpers.js';

let redis: RedisServer | null = null;
before(async () => { redis = await startRedisServer(); if (redis === null) console.warn(`SKIPPED: ${REDIS_MISSING}`); });
after(async () => { await redis?.stop(); });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitReady(adminPort: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status === 200) return; } catch { /* not yet */ }
    await sleep(50);
  }
  throw new Error('gateway did not become ready');
}

test('three gateway processes sharing one Redis: 300 concurrent requests for a key limited to 100 → 100 ± 1 admitted', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const sim: Simulator = await startSimulator();
  const key = generateKey();
  const dir = mkdtempSync(join(tmpdir(), 'mg-multi-'));
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const [port, adminPort] = [await freePort(), await freePort()];
      const file = join(dir, `gw${i}.yaml`);
      writeFileSync(file, `
server: { host: 127.0.0.1, port: ${port} }
admin: { host: 127.0.0.1, port: ${adminPort} }
store: { kind: redis, url: "${redis.url}", onError: fail-closed, timeout: 500ms }
auth: { keys: [ { id: shared, hash: "${keyHashLine(key)}", tier: limited } ] }
tiers: { limited: { requests: { rate: 100, per: 1h, burst: 100 } } }
upstreams: { llm: { targets: ["${sim.url}"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
logging: { level: warn }
`);
      procs.push(spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--config', file], { stdio: 'ignore' }));
      await waitReady(adminPort);
      urls.push(`http://127.0.0.1:${port}`);
    }
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) =>
      post(urls[i % 3] as string, '/v1/chat/completions', chat('hi', { max_tokens: 2 }), bearer(key)).then((r) => r.status)));
    const admitted = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 429).length;
    assert.ok(Math.abs(admitted - 100) <= 1, `admitted ${admitted}`);
    assert.equal(admitted + limited, 300, `other statuses: ${statuses.filter((s) => s !== 200 && s !== 429).join(',')}`);
    assert.equal(sim.requests.length, admitted);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await sim.close();
  }
});

const REDIS_TIER = (url: string, onError: string): string => `
store: { kind: redis, url: "${url}", onError: ${onError}, replicas: 2, timeout: 50ms }
tiers: { t: { requests: { rate: 10, per: 1h, burst: 10 } } }
`;

async function burst(url: string, key: string, n: number): Promise<{ statuses: number[]; codes: (string | undefined)[]; maxMs: number }> {
  const statuses: number[] = [];
  const codes: (string | undefined)[] = [];
  let maxMs = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    const t0 = performance.now();
    const r = await post(url, '/v1/chat/completions', chat('hi', { max_tokens: 2 }), bearer(key));
    maxMs = Math.max(maxMs, performance.now() - t0);
    statuses.push(r.status);
    codes.push(codeOf(r));
  }));
  return { statuses, codes, maxMs };
}

const count = (xs: number[], v: number): number => xs.filter((x) => x === v).length;

for (const mode of ['fail-closed', 'fail-open', 'local'] as const) {
  test(`Redis killed under load, onError: ${mode}`, async (t) => {
    if (redis === null) return t.skip(REDIS_MISSING);
    await redis.restart().catch(() => undefined);
    const s = await startStack({ tier: 't', limits: REDIS_TIER(redis.url, mode) });
    try {
      // Shared limiting works: 4 of the key's 10.
      const warm = await burst(s.url, s.key, 4);
      assert.equal(count(warm.statuses, 200), 4);
      await redis.kill();
      const down = await burst(s.url, s.key, 20);
      // No request waits for Redis longer than its 50 ms timeout (+ the request's own work).
      assert.ok(down.maxMs < 50 + 400, `slowest request ${down.maxMs.toFixed(0)} ms`);
      if (mode === 'fail-closed') {
        assert.equal(count(down.statuses, 503), 20);
        assert.ok(down.codes.every((c) => c === 'MG_STORE_UNAVAILABLE'));
      } else if (mode === 'fail-open') {
        assert.equal(count(down.statuses, 200), 20);
        assert.match(await s.gw.metrics.registry.getSingleMetricAsString('modelgate_store_failures_total'), /mode="fail-open"\} [1-9]/);
      } else {
        // local: each replica enforces 10 ÷ 2 = 5 in memory.
        assert.equal(count(down.statuses, 200), 5, down.codes.join(','));
        assert.equal(count(down.statuses, 429), 15);
      }
      await redis.restart();
      const store = s.gw.store as unknown as { waitReady(ms: number): Promise<boolean> };
      assert.equal(await store.waitReady(5000), true, 'the store reconnected by itself');
      // Exact limiting resumes from Redis' own state: the restarted (empty) Redis allows 10 again.
      const back = await burst(s.url, s.key, 15);
      assert.ok(count(back.statuses, 200) <= 10, `after recovery: ${count(back.statuses, 200)} admitted`);
      assert.ok(count(back.statuses, 429) >= 5);
    } finally { await s.close(); }
  });
}

test('the gateway starts while Redis is down and applies onError', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  await redis.kill();
  const t0 = Date.now();
  const s = await startStack({ tier: 't', limits: REDIS_TIER(redis.url, 'fail-closed') });
  try {
    assert.ok(Date.now() - t0 < 3000, 'start did not wait for Redis');
    const r = await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key));
    assert.equal(r.status, 503);
    assert.equal(codeOf(r), 'MG_STORE_UNAVAILABLE');
    assert.equal(s.sim.requests.length, 0);
    await redis.restart();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await post(s.url, '/v1/chat/completions', chat('hi'), bearer(s.key))).status;
      if (status !== 200) await sleep(50);
    }
    assert.equal(status, 200, 'recovered without a restart');
  } finally { await s.close(); }
});
