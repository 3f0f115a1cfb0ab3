// The key registry and the auth policy with an injected clock: rotation grace, expiry, route,
// CIDR and model allow-lists, config keys beside store keys (unique ids), the record parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyAuth, hashKey } from '../../src/policies/api-key.js';
import { keyModelPolicy } from '../../src/policies/key-model.js';
import { KeyRegistry } from '../../src/keys/registry.js';
import { compileScope, parseCidr, parseScope, type ScopeProblem } from '../../src/keys/scope.js';
import { parseRecord, rotated } from '../../src/keys/records.js';
import type { StoredKey } from '../../src/keys/types.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import type { Denial } from '../../src/errors.js';
import { ManualClock } from '../manual-clock.js';

const hex = (k: string): string => hashKey(k).toString('hex');

function ctx(key: string, extra: { path?: string; ip?: string; body?: unknown; params?: Record<string, string> } = {}): RequestContext {
  return {
    headers: { 'x-api-key': key }, route: { path: extra.path ?? '/v1/chat/completions' }, ip: extra.ip ?? '127.0.0.1',
    body: extra.body ?? null, params: extra.params ?? {}, identity: null,
  } as unknown as RequestContext;
}

function record(id: string, key: string, more: Partial<StoredKey> = {}): StoredKey {
  return { id, tier: null, createdAt: 0, expiresAt: null, routes: null, models: null, allowedCidrs: null, hashes: [{ hash: hex(key), until: null }], ...more };
}

const code = (r: unknown): string | undefined => (r as Denial | undefined)?.code;

test('a rotated key: both values work during the grace, only the new one after it', () => {
  const clock = new ManualClock(1_000_000);
  const reg = new KeyRegistry([], undefined, clock);
  const auth = apiKeyAuth(reg, ['X-API-Key']);
  reg.applyStore('k1', record('k1', 'old-value-0123456789'));
  assert.equal(code(auth.run(ctx('old-value-0123456789'))), undefined);
  reg.applyStore('k1', rotated(record('k1', 'old-value-0123456789'), hex('new-value-0123456789'), clock.now(), 60_000));
  assert.equal(code(auth.run(ctx('old-value-0123456789'))), undefined);
  assert.equal(code(auth.run(ctx('new-value-0123456789'))), undefined);
  clock.advance(59_999);
  assert.equal(code(auth.run(ctx('old-value-0123456789'))), undefined);
  clock.advance(1);
  assert.equal(code(auth.run(ctx('old-value-0123456789'))), 'MG_AUTH_INVALID');
  assert.equal(code(auth.run(ctx('new-value-0123456789'))), undefined);
});

test('rotation with no grace stops the old value at once; only the latest values are kept', () => {
  let rec = record('k', 'v0-aaaaaaaaaaaaaaaa');
  for (let i = 1; i <= 12; i++) rec = rotated(rec, hex(`v${i}-aaaaaaaaaaaaaaaa`), 0, 1000);
  assert.equal(rec.hashes.length, 8);
  assert.equal(rec.hashes.at(-1)?.until, null);
  assert.deepEqual(rotated(rec, hex('x-aaaaaaaaaaaaaaaaa'), 2000, 0).hashes.map((h) => h.until), [null]);
});

test('an expired key is refused with MG_KEY_EXPIRED from its expiry instant on', () => {
  const clock = new ManualClock(1000);
  const reg = new KeyRegistry([], undefined, clock);
  const auth = apiKeyAuth(reg, ['X-API-Key']);
  reg.applyStore('e', record('e', 'expiring-key-012345', { expiresAt: 5000 }));
  assert.equal(code(auth.run(ctx('expiring-key-012345'))), undefined);
  clock.advance(3999);
  assert.equal(code(auth.run(ctx('expiring-key-012345'))), undefined);
  clock.advance(1);
  assert.equal(code(auth.run(ctx('expiring-key-012345'))), 'MG_KEY_EXPIRED');
});

test('route, client-address and model allow-lists, each with its own code', () => {
  const reg = new KeyRegistry([]);
  const auth = apiKeyAuth(reg, ['X-API-Key']);
  const model = keyModelPolicy();
  reg.applyStore('r', record('r', 'route-key-0123456789', { routes: ['/v1/completions'] }));
  reg.applyStore('c', record('c', 'cidr-key-01234567890', { allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'] }));
  reg.applyStore('m', record('m', 'model-key-0123456789', { models: ['llama-3-8b'] }));
  assert.equal(code(auth.run(ctx('route-key-0123456789'))), 'MG_KEY_ROUTE_DENIED');
  assert.equal(code(auth.run(ctx('route-key-0123456789', { path: '/v1/completions' }))), undefined);
  assert.equal(code(auth.run(ctx('cidr-key-01234567890'))), 'MG_KEY_IP_DENIED');
  assert.equal(code(auth.run(ctx('cidr-key-01234567890', { ip: '203.0.113.77' }))), undefined);
  assert.equal(code(auth.run(ctx('cidr-key-01234567890', { ip: '::ffff:203.0.113.77' }))), undefined);
  assert.equal(code(auth.run(ctx('cidr-key-01234567890', { ip: '2001:db8::5' }))), undefined);
  assert.equal(code(auth.run(ctx('cidr-key-01234567890', { ip: '2001:db9::5' }))), 'MG_KEY_IP_DENIED');
  for (const [extra, want] of [
    [{ body: { model: 'llama-3-8b' } }, undefined],
    [{ body: { model: 'gpt-4' } }, 'MG_KEY_MODEL_DENIED'],
    [{ body: {} }, 'MG_KEY_MODEL_DENIED'],
    [{ params: { model: 'llama-3-8b' } }, undefined],
    [{ params: { model: 'resnet' } }, 'MG_KEY_MODEL_DENIED'],
  ] as const) {
    const c = ctx('model-key-0123456789', extra);
    assert.equal(code(auth.run(c)), undefined);
    assert.equal(code(model.run(c)), want, JSON.stringify(extra));
  }
  // A key without a models list is not checked.
  const open = ctx('route-key-0123456789', { path: '/v1/completions', body: { model: 'anything' } });
  auth.run(open);
  assert.equal(code(model.run(open)), undefined);
});

test('config keys and store keys: one map, config wins a clash of id or value, revocation removes', () => {
  const shadowed: string[] = [];
  const reg = new KeyRegistry([{ id: 'cfg', hash: hashKey('config-key-0123456789'), tier: 'pro' }], (id) => shadowed.push(id));
  reg.replaceStore(new Map([['cfg', record('cfg', 'another-value-0123456')], ['dup', record('dup', 'config-key-0123456789')], ['s', record('s', 'store-key-0123456789')]]));
  assert.deepEqual(shadowed.sort(), ['cfg', 'dup']);
  assert.equal(reg.lookup(hex('config-key-0123456789'))?.key.id, 'cfg');
  assert.equal(reg.lookup(hex('another-value-0123456')), undefined);
  assert.equal(reg.lookup(hex('store-key-0123456789'))?.key.source, 'store');
  reg.applyStore('s', null);
  assert.equal(reg.lookup(hex('store-key-0123456789')), undefined);
  // A reload that drops the config key frees its id for the store's record.
  reg.setConfigKeys([]);
  assert.equal(reg.lookup(hex('another-value-0123456'))?.key.id, 'cfg');
});

test('scope parsing: ISO instants with a zone, configured routes only, valid CIDRs; problems carry paths', () => {
  const problems: ScopeProblem[] = [];
  const s = parseScope({ expiresAt: '2027-06-30T00:00:00Z', routes: ['/v1/chat/completions'], allowedCidrs: ['10.0.0.0/8', '::1'] }, 'k', new Set(['/v1/chat/completions']), problems);
  assert.equal(problems.length, 0);
  assert.equal(s.expiresAt, Date.UTC(2027, 5, 30));
  parseScope({ expiresAt: '2027-06-30', routes: ['/nope'], allowedCidrs: ['10.0.0.0/33', 'x'], models: [] }, 'k', new Set(), problems);
  assert.deepEqual(problems.map((p: ScopeProblem) => p.path), ['k.expiresAt', 'k.routes[0]', 'k.models', 'k.allowedCidrs[0]', 'k.allowedCidrs[1]']);
  assert.equal(parseCidr('1.2.3.4')?.prefix, 32);
  assert.equal(compileScope({ expiresAt: null, routes: null, models: null, allowedCidrs: ['10.0.0.0/8'] }).allowed?.('not-an-ip'), false);
});

test('store records are parsed defensively: anything malformed is rejected, never trusted', () => {
  const good = record('ok', 'some-key-0123456789');
  assert.deepEqual(parseRecord(JSON.stringify(good)), good);
  for (const bad of ['not json', '{}', JSON.stringify({ ...good, id: 'bad id' }), JSON.stringify({ ...good, hashes: [{ hash: 'xyz', until: null }] })]) {
    assert.equal(parseRecord(bad), null, bad);
  }
});
