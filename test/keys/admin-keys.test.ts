// The admin key API on a real gateway (memory store, key store file): create returns the key
// once, list never shows a key or a hash, rotate with a grace judged by an injected clock, revoke,
// update of the scope; each refusal with its own code, never reaching the model server; audit
// lines and metrics; the file survives a restart and is replaced atomically.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, post, bearer, chat, codeOf, type Stack } from '../helpers.js';
import { ManualClock } from '../manual-clock.js';

const TOKEN = 'admin-token-for-keys-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'mg-keystore-'));
const file = join(dir, 'keys.json');
const clock = new ManualClock(Date.UTC(2026, 0, 1));
let s: Stack;

const ROUTES = `
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm }
`;

function startKeysStack(): Promise<Stack> {
  return startStack({
    admin: `token: "${TOKEN}"`, auth: `  keyStore: ${file}`, routes: ROUTES, limits: 'tiers: { pro: { concurrency: 4 }, free: { concurrency: 1 } }',
    extraKeys: { 'cfg-scoped': null }, keyScopes: { 'cfg-scoped': 'routes: [/v1/completions], expiresAt: "2026-06-01T00:00:00Z"' },
    gateway: { keys: { clock } },
  });
}

async function admin(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${s.gw.adminUrl}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: await r.json() as Record<string, unknown> };
}

const chatWith = (key: string, extra: Record<string, unknown> = {}) => post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 2, ...extra }), bearer(key));

before(async () => { s = await startKeysStack(); });
after(async () => { await s.close(); });

test('create: the key once (201), it works at once; list shows ids and scope but never a key or hash', async () => {
  const made = await admin('POST', '/admin/keys', { id: 'team-a', tier: 'pro' });
  assert.equal(made.status, 201);
  const key = made.json.key as string;
  assert.match(key, /^mg_/);
  assert.equal((await chatWith(key)).status, 200);
  const listed = await admin('GET', '/admin/keys');
  const text = JSON.stringify(listed.json);
  const team = (listed.json.keys as Record<string, unknown>[]).find((k) => k.id === 'team-a');
  assert.equal(team?.tier, 'pro');
  assert.equal(team?.source, 'store');
  assert.ok(typeof team?.lastUsedAt === 'string');
  assert.ok((listed.json.keys as { id: string }[]).some((k) => k.id === 'test-key'), 'config keys are listed too');
  assert.ok(!text.includes(key) && !/[0-9a-f]{64}/.test(text), 'no key, no hash');
  assert.ok(!readFileSync(file, 'utf8').includes(key), 'the file holds hashes only');
  const logs = s.logs.join('');
  assert.ok(!logs.includes(key));
  assert.match(logs, /"audit":"keys","who":"admin:[0-9a-f]{8}","op":"create","keyId":"team-a"/);
});

test('rotate: old and new work during the grace (injected clock), only the new one after', async () => {
  const made = await admin('POST', '/admin/keys', { id: 'rot' });
  const old = made.json.key as string;
  const rot = await admin('POST', '/admin/keys/rot/rotate', { grace: '1h' });
  assert.equal(rot.status, 200);
  const fresh = rot.json.key as string;
  assert.notEqual(fresh, old);
  assert.equal(typeof rot.json.previousValidUntil, 'string');
  assert.equal((await chatWith(old)).status, 200);
  assert.equal((await chatWith(fresh)).status, 200);
  clock.advance(3_600_000);
  const refused = await chatWith(old);
  assert.equal(refused.status, 401);
  assert.equal(codeOf(refused), 'MG_AUTH_INVALID');
  assert.equal((await chatWith(fresh)).status, 200);
  // Default grace: 24 h.
  const again = await admin('POST', '/admin/keys/rot/rotate', {});
  assert.equal(Date.parse(again.json.previousValidUntil as string) - clock.now(), 24 * 3_600_000);
});

test('revoke: refused at once (401), 404 for a second revoke', async () => {
  const key = (await admin('POST', '/admin/keys', { id: 'gone' })).json.key as string;
  assert.equal((await chatWith(key)).status, 200);
  assert.equal((await admin('DELETE', '/admin/keys/gone')).status, 200);
  assert.equal(codeOf(await chatWith(key)), 'MG_AUTH_INVALID');
  const again = await admin('DELETE', '/admin/keys/gone');
  assert.equal(again.status, 404);
  assert.equal((again.json.error as { code: string }).code, 'MG_KEY_NOT_FOUND');
});

test('update: route, model, CIDR and expiry limits, each refused with its code; the model server never sees those', async () => {
  const key = (await admin('POST', '/admin/keys', { id: 'scoped', routes: ['/v1/completions'] })).json.key as string;
  const before = s.sim.requests.length;
  const r1 = await chatWith(key);
  assert.equal(r1.status, 403);
  assert.equal(codeOf(r1), 'MG_KEY_ROUTE_DENIED');
  assert.equal((await admin('PATCH', '/admin/keys/scoped', { routes: null, models: ['llama-3-8b'] })).status, 200);
  assert.equal(codeOf(await chatWith(key, { model: 'other-model' })), 'MG_KEY_MODEL_DENIED');
  assert.equal((await chatWith(key, { model: 'llama-3-8b' })).status, 200);
  assert.equal((await admin('PATCH', '/admin/keys/scoped', { models: null, allowedCidrs: ['10.0.0.0/8'] })).status, 200);
  const r3 = await chatWith(key);
  assert.equal(r3.status, 403);
  assert.equal(codeOf(r3), 'MG_KEY_IP_DENIED');
  assert.equal((await admin('PATCH', '/admin/keys/scoped', { allowedCidrs: ['127.0.0.0/8'], expiresAt: new Date(clock.now() + 60_000).toISOString() })).status, 200);
  assert.equal((await chatWith(key)).status, 200);
  clock.advance(60_000);
  const r4 = await chatWith(key);
  assert.equal(r4.status, 401);
  assert.equal(codeOf(r4), 'MG_KEY_EXPIRED');
  assert.equal(s.sim.requests.length, before + 2, 'only the two admitted requests reached the model server');
});

test('config keys: scope from the file enforced; the API refuses to change them (409) or reuse their id', async () => {
  const key = s.keys['cfg-scoped'] as string;
  assert.equal(codeOf(await chatWith(key)), 'MG_KEY_ROUTE_DENIED');
  assert.equal((await post(s.url, '/v1/completions', { model: 'm', prompt: 'hi', max_tokens: 2 }, bearer(key))).status, 200);
  for (const [method, path, body] of [['POST', '/admin/keys/cfg-scoped/rotate', {}], ['PATCH', '/admin/keys/cfg-scoped', { tier: 'pro' }], ['DELETE', '/admin/keys/cfg-scoped', undefined]] as const) {
    const r = await admin(method, path, body);
    assert.equal(r.status, 409, `${method} ${path}`);
    assert.equal((r.json.error as { code: string }).code, 'MG_KEY_CONFIG_MANAGED');
  }
  const dup = await admin('POST', '/admin/keys', { id: 'test-key' });
  assert.equal(dup.status, 409);
  assert.equal((dup.json.error as { code: string }).code, 'MG_KEY_EXISTS');
});

test('bad requests: 400 with every problem and its path; wrong token 401; unknown key 404', async () => {
  const bad = await admin('POST', '/admin/keys', { id: 'bad id', tier: 'gold', routes: ['/nope'], allowedCidrs: ['300.1.1.1/8'], expiresAt: 'tomorrow', extra: 1 });
  assert.equal(bad.status, 400);
  assert.deepEqual((bad.json.error as { problems: { path: string }[] }).problems.map((p) => p.path).sort(), ['allowedCidrs[0]', 'expiresAt', 'extra', 'id', 'routes[0]', 'tier']);
  assert.equal((await admin('POST', '/admin/keys/x/rotate', { grace: 'soon' })).status, 400);
  assert.equal((await admin('PATCH', '/admin/keys/nobody', { tier: 'pro' })).status, 404);
  assert.equal((await admin('GET', '/admin/keys', undefined, 'wrong-token-0123456789')).status, 401);
});

test('metrics: keys active by source and changes by op, never a key id beyond labels we chose', async () => {
  const text = await (await fetch(`${s.gw.adminUrl}/metrics`)).text();
  assert.match(text, /modelgate_keys_active\{source="config"\} 2/);
  assert.match(text, /modelgate_keys_active\{source="store"\} \d+/);
  assert.match(text, /modelgate_key_changes_total\{op="create"\} \d+/);
  assert.match(text, /modelgate_key_changes_total\{op="rotate"\} \d+/);
  assert.match(text, /modelgate_key_changes_total\{op="revoke"\} 1/);
  assert.match(text, /modelgate_key_changes_total\{op="update"\} \d+/);
});

test('the key store file survives a restart; it is replaced atomically (no temp file left)', async () => {
  const key = (await admin('POST', '/admin/keys', { id: 'durable' })).json.key as string;
  await s.close();
  s = await startKeysStack();
  assert.equal((await chatWith(key)).status, 200);
  assert.deepEqual(readdirSync(dir), ['keys.json']);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, unknown> };
  assert.ok('durable' in doc.keys && !('gone' in doc.keys));
});
