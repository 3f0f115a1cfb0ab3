// Three real gateway processes on one real Redis: a key created, revoked, rotated or limited
// through one replica takes effect on the others (pub/sub); a change whose message is lost is
// caught by the version poll; while Redis is paused or killed, replicas keep the last key set they
// knew and refuse keys they never saw; admin changes answer 503. Every wait is for an event
// (polling the replicas), never a fixed sleep; the propagation time itself is in bench/keys.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { adminCall, startKeyReplicas, tryKey, type KeyReplicas } from '../key-replicas.js';
import { waitFor } from '../wait.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { loadConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_TOKEN } from '../key-replicas.js';

let redis: RedisServer | null = null;
let sim: Simulator;
let r: KeyReplicas;

before(async () => {
  redis = await startRedisServer();
  if (redis === null) return;
  sim = await startSimulator({});
  r = await startKeyReplicas(redis.url, sim.url, 3);
});
after(async () => {
  await r?.close();
  await sim?.close();
  await redis?.stop();
});

const skip = (t: { skip(m: string): void }): boolean => {
  if (redis !== null) return false;
  console.warn(`SKIPPED: ${REDIS_MISSING}`);
  t.skip(REDIS_MISSING);
  return true;
};

/** Waits until every replica answers `key` with `status` (and `code` when given). */
async function everywhere(key: string, status: number, what: string, path?: string, code?: string): Promise<void> {
  await waitFor(async () => (await Promise.all(r.urls.map((u) => tryKey(u, key, path)))).every((x) => x.status === status && (code === undefined || x.code === code)), what);
}

test('created through A: works on B and C; revoked through A: refused by B and C', async (t) => {
  if (skip(t)) return;
  const [a] = r.adminUrls as [string];
  const made = await adminCall(a, 'POST', '/admin/keys', { id: 'k-revoke' });
  assert.equal(made.status, 201);
  const key = made.json.key as string;
  await everywhere(key, 200, 'the new key works on every replica');
  assert.equal((await adminCall(a, 'DELETE', '/admin/keys/k-revoke')).status, 200);
  // A itself refuses before the admin call has answered (applied locally first).
  assert.equal((await tryKey(r.urls[0] as string, key)).code, 'MG_AUTH_INVALID');
  await everywhere(key, 401, 'the revoked key is refused on every replica', undefined, 'MG_AUTH_INVALID');
});

test('rotated through B with no grace: the old value refused everywhere, the new one works everywhere', async (t) => {
  if (skip(t)) return;
  const b = r.adminUrls[1] as string;
  const old = (await adminCall(b, 'POST', '/admin/keys', { id: 'k-rot' })).json.key as string;
  await everywhere(old, 200, 'created');
  const rot = await adminCall(b, 'POST', '/admin/keys/k-rot/rotate', { grace: '0s' });
  const fresh = rot.json.key as string;
  await everywhere(fresh, 200, 'the new value works everywhere');
  await everywhere(old, 401, 'the old value is refused everywhere');
  // With a grace, both work on every replica.
  const rot2 = await adminCall(b, 'POST', '/admin/keys/k-rot/rotate', { grace: '1h' });
  await everywhere(rot2.json.key as string, 200, 'the newest value works everywhere');
  await everywhere(fresh, 200, 'the previous value still works during its grace');
});

test('limited to one route through C: refused on the other route on A and B', async (t) => {
  if (skip(t)) return;
  const c = r.adminUrls[2] as string;
  const key = (await adminCall(c, 'POST', '/admin/keys', { id: 'k-route' })).json.key as string;
  await everywhere(key, 200, 'created');
  assert.equal((await adminCall(c, 'PATCH', '/admin/keys/k-route', { routes: ['/v1/completions'] })).status, 200);
  await everywhere(key, 403, 'refused on the chat route', '/v1/chat/completions', 'MG_KEY_ROUTE_DENIED');
  await everywhere(key, 200, 'allowed on its route', '/v1/completions');
});

test('a change whose pub/sub message never came is caught by the version poll', async (t) => {
  if (skip(t)) return;
  const a = r.adminUrls[0] as string;
  const key = (await adminCall(a, 'POST', '/admin/keys', { id: 'k-silent' })).json.key as string;
  await everywhere(key, 200, 'created');
  // Revoke behind the replicas' backs: the record and the version change, no message is published.
  const direct = new Redis((redis as RedisServer).url);
  await direct.multi().hdel('mg:{keys}:records', 'k-silent').incr('mg:{keys}:version').exec();
  direct.disconnect();
  await everywhere(key, 401, 'refused everywhere after the poll', undefined, 'MG_AUTH_INVALID');
});

test('Redis paused: known keys keep working, never-seen keys are refused, admin changes answer 503', async (t) => {
  if (skip(t)) return;
  const a = r.adminUrls[0] as string;
  const known = (await adminCall(a, 'POST', '/admin/keys', { id: 'k-known' })).json.key as string;
  await everywhere(known, 200, 'created');
  const srv = redis as RedisServer;
  srv.pause();
  try {
    const down = await adminCall(a, 'POST', '/admin/keys', { id: 'k-during' });
    assert.equal(down.status, 503);
    assert.equal((down.json.error as { code: string }).code, 'MG_KEY_STORE_UNAVAILABLE');
    for (const u of r.urls) {
      assert.equal((await tryKey(u, known)).status, 200);
      assert.equal((await tryKey(u, r.configKey)).status, 200);
      assert.equal((await tryKey(u, generateKey())).code, 'MG_AUTH_INVALID');
    }
    await waitFor(async () => /modelgate_key_store_connected 0/.test(await (await fetch(`${a}/metrics`)).text()), 'the replica reports the store down');
  } finally {
    srv.resume();
  }
  await waitFor(async () => /modelgate_key_store_connected 1/.test(await (await fetch(`${a}/metrics`)).text()), 'the replica reports the store back');
});

test('Redis killed and restarted empty: the last key set serves meanwhile; after the restart the store keys are gone everywhere', async (t) => {
  if (skip(t)) return;
  const a = r.adminUrls[0] as string;
  const key = (await adminCall(a, 'POST', '/admin/keys', { id: 'k-lost' })).json.key as string;
  await everywhere(key, 200, 'created');
  const srv = redis as RedisServer;
  await srv.kill();
  for (const u of r.urls) assert.equal((await tryKey(u, key)).status, 200, 'served from the last known set');
  await srv.restart();
  await everywhere(key, 401, 'the restarted (empty) store has no such key: refused everywhere');
  await everywhere(r.configKey, 200, 'config keys are not in the store');
});

test('a replica started while Redis is down starts, serves its config keys, and picks up the store once Redis answers', async (t) => {
  if (skip(t)) return;
  const srv = redis as RedisServer;
  await srv.kill();
  const cfgKey = generateKey();
  const gw = createGateway(loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: "${ADMIN_TOKEN}" }
store: { kind: redis, url: "${srv.url}", timeout: 250ms }
auth: { keys: [ { id: cfg, hash: "${keyHashLine(cfgKey)}" } ] }
upstreams: { llm: { targets: ["${sim.url}"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`), { logger: createLogger('fatal', new Writable({ write(_c, _e, cb) { cb(); } })), defaultMetrics: false });
  try {
    await gw.start();
    assert.equal((await tryKey(gw.url, cfgKey)).status, 200);
    assert.match(await (await fetch(`${gw.adminUrl}/metrics`)).text(), /modelgate_key_store_connected 0/);
    assert.equal((await adminCall(gw.adminUrl, 'POST', '/admin/keys', { id: 'k-early' })).status, 503);
    await srv.restart();
    let key = '';
    await waitFor(async () => {
      const made = await adminCall(gw.adminUrl, 'POST', '/admin/keys', { id: 'k-late' });
      key = made.json.key as string;
      return made.status === 201;
    }, 'the admin API works once Redis answers');
    await everywhere(key, 200, 'the other replicas pick the key up');
    assert.equal((await tryKey(gw.url, key)).status, 200);
  } finally {
    await gw.close();
  }
});
