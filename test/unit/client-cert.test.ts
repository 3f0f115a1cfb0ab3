// The route auth modes over a verified (or unverified) peer certificate, without sockets: which
// code each combination of key and certificate gets, and whose identity the request carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeAuthPolicy } from '../../src/policies/client-cert.js';
import { apiKeyAuth, hashKey } from '../../src/policies/api-key.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import type { ClientIdentityEntry } from '../../src/config/types.js';
import type { Denial } from '../../src/errors.js';

const KEY = 'mg_unit_test_key_0123456789abcdef';
const keyPolicy = apiKeyAuth([{ id: 'the-key', hash: hashKey(KEY), tier: 'pro' }], ['X-API-Key', 'Authorization']);
const clients: ClientIdentityEntry[] = [
  { id: 'runner', tier: 'internal', match: { kind: 'san', uri: 'spiffe://c/ns/b/sa/runner' } },
  { id: 'job', tier: null, match: { kind: 'subject', attrs: [['CN', 'job'], ['O', 'acme']] } },
];

interface Peer { authorized: boolean; san?: string; subject?: Record<string, string>; fp?: string }

function ctx(peer: Peer | null, key?: string): RequestContext {
  const socket = peer === null ? { encrypted: undefined } : {
    encrypted: true,
    authorized: peer.authorized,
    getPeerCertificate: () => ({ fingerprint256: peer.fp ?? 'AA:BB', subject: peer.subject ?? {}, subjectaltname: peer.san }),
  };
  return { raw: { socket }, headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, identity: null } as unknown as RequestContext;
}

function run(mode: 'mtls' | 'any' | 'key+mtls', c: RequestContext): string {
  const r = routeAuthPolicy(mode, keyPolicy, clients, ['X-API-Key', 'Authorization']).run(c) as Denial | undefined;
  return r === undefined ? `ok:${c.identity?.keyId}:${c.identity?.tier}` : r.code;
}

const runner: Peer = { authorized: true, san: 'DNS:x, URI:spiffe://c/ns/b/sa/runner' };
const job: Peer = { authorized: true, subject: { CN: 'job', O: 'acme', OU: 'ml' } };
const stranger: Peer = { authorized: true, subject: { CN: 'job' } };
const unverified: Peer = { ...runner, authorized: false };

test('auth: key is the key policy itself', () => {
  assert.equal(routeAuthPolicy('key', keyPolicy, clients, ['X-API-Key']), keyPolicy);
});

test('auth: mtls', () => {
  assert.equal(run('mtls', ctx(runner)), 'ok:runner:internal');
  assert.equal(run('mtls', ctx(job)), 'ok:job:null');
  assert.equal(run('mtls', ctx(stranger)), 'MG_CLIENT_CERT_UNKNOWN', 'every subject attribute must match');
  assert.equal(run('mtls', ctx(unverified)), 'MG_CLIENT_CERT_REQUIRED');
  assert.equal(run('mtls', ctx(null, KEY)), 'MG_CLIENT_CERT_REQUIRED', 'plain HTTP or no certificate; a key does not help');
});

test('auth: any', () => {
  assert.equal(run('any', ctx(null, KEY)), 'ok:the-key:pro');
  assert.equal(run('any', ctx(runner)), 'ok:runner:internal');
  assert.equal(run('any', ctx(runner, KEY)), 'ok:the-key:pro', 'a presented key decides');
  assert.equal(run('any', ctx(runner, 'mg_wrong_key_wrong_key_wrong_key')), 'MG_AUTH_INVALID');
  assert.equal(run('any', ctx(stranger)), 'MG_CLIENT_CERT_UNKNOWN');
  assert.equal(run('any', ctx(unverified)), 'MG_AUTH_MISSING');
});

test('auth: key+mtls — the certificate must be mapped, the key names the identity', () => {
  assert.equal(run('key+mtls', ctx(runner, KEY)), 'ok:the-key:pro');
  assert.equal(run('key+mtls', ctx(runner)), 'MG_AUTH_MISSING');
  assert.equal(run('key+mtls', ctx(runner, 'mg_wrong_key_wrong_key_wrong_key')), 'MG_AUTH_INVALID');
  assert.equal(run('key+mtls', ctx(stranger, KEY)), 'MG_CLIENT_CERT_UNKNOWN');
  assert.equal(run('key+mtls', ctx(null, KEY)), 'MG_CLIENT_CERT_REQUIRED');
});
