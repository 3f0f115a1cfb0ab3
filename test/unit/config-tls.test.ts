// The TLS keys of the configuration: server.tls (versions, files, the key matching the
// certificate), auth.clients, route auth and upstreams.*.tls, each problem with its path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { CertDir, haveOpenssl, OPENSSL_MISSING, type Pem } from '../certs.js';
import { sanUris } from '../../src/policies/client-cert.js';

const ok = haveOpenssl();
let dir: CertDir;
let ca: Pem;
let a: Pem;
let b: Pem;

before(() => {
  if (!ok) return;
  dir = new CertDir();
  ca = dir.ca('ca');
  a = dir.server('a', ca);
  b = dir.server('b', ca);
});
after(() => { if (ok) dir.close(); });

const base = (server: string, extra = '', route = '', upstream = ''): string => `
server: { ${server} }
auth:
  keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ]
${extra}
upstreams: { llm: { targets: ["${upstream === '' ? 'http' : 'https'}://127.0.0.1:8000"]${upstream} } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm${route} } ]
`;

function problems(yaml: string): string[] {
  try {
    loadConfigText(yaml, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('server.tls resolves with defaults: TLS 1.2, HSTS on, client certificates not required', (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const c = loadConfigText(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile} }`), {});
  assert.deepEqual(c.server.tls, { certFile: a.certFile, keyFile: a.keyFile, clientCAFile: null, minVersion: 'TLSv1.2', ciphers: null, requireClientCert: false });
  assert.equal(c.server.hsts, true);
  assert.equal(loadConfigText(base(`hsts: false, tls: { cert: ${a.certFile}, key: ${a.keyFile} }`), {}).server.hsts, false);
  assert.equal(loadConfigText(base('port: 1'), {}).server.hsts, false);
  return undefined;
});

test('TLS 1.0 and 1.1 are refused at load; an unknown version is a schema error', (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  for (const v of ['TLSv1', 'TLSv1.1']) {
    assert.deepEqual(problems(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile}, minVersion: ${v} }`)), [`server.tls.minVersion: ${v} is refused (obsolete and insecure); use TLSv1.2 or TLSv1.3`]);
  }
  assert.equal(problems(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile}, minVersion: TLSv1.3 }`)).length, 0);
  assert.equal(problems(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile}, minVersion: SSLv3 }`)).length, 1);
  return undefined;
});

test('a key that does not match the certificate, an unreadable file, a CA file without a certificate, bad ciphers', (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  assert.deepEqual(problems(base(`tls: { cert: ${a.certFile}, key: ${b.keyFile} }`)), ['server.tls.key: the key does not match the server.tls.cert certificate']);
  assert.deepEqual(problems(base(`tls: { cert: /nonexistent/x.crt, key: ${a.keyFile} }`)), ['server.tls.cert: cannot read /nonexistent/x.crt (ENOENT)']);
  assert.deepEqual(problems(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile}, clientCA: ${a.keyFile} }`)), ['server.tls.clientCA: the clientCA file holds no PEM certificate']);
  assert.deepEqual(problems(base(`tls: { cert: ${a.keyFile}, key: ${a.keyFile} }`)), ['server.tls.key: server.tls.cert certificate holds no PEM certificate']);
  assert.deepEqual(problems(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile}, ciphers: "NOT-A-CIPHER" }`)).map((p) => p.split(':')[0]), ['server.tls.ciphers']);
  assert.deepEqual(problems(base(`tls: { cert: ${a.certFile}, key: ${a.keyFile}, requireClientCert: true }`)), ['server.tls.requireClientCert: needs clientCA (the CA client certificates must chain to)']);
  return undefined;
});

test('auth.clients and route auth need a client CA; exactly one matcher; ids shared with keys; tiers exist', (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const clients = 'clients: [ { id: c1, san: "spiffe://x/y" } ]';
  assert.deepEqual(problems(base('port: 1', `  ${clients}`)), ['auth.clients: client certificates need server.tls.clientCA']);
  assert.deepEqual(problems(base('port: 1', '', ', auth: mtls')), ['routes[0].auth: auth: mtls needs server.tls.clientCA']);
  const mtls = `tls: { cert: ${a.certFile}, key: ${a.keyFile}, clientCA: ${ca.certFile} }`;
  assert.deepEqual(problems(base(mtls, `  ${clients}`, ', auth: key+mtls')), []);
  assert.deepEqual(problems(base(mtls, `  clients: [ { id: c1, san: "spiffe://x/y", subject: "CN=x" }, { id: k, subject: "CN=y" }, { id: c3, fingerprint: "sha256:${'a'.repeat(70)}", tier: gold } ]`)), [
    'auth.clients[0]: exactly one of san, subject, fingerprint is required',
    'auth.clients[1].id: duplicate id "k" (key and client ids share one namespace: limits, logs and metrics use them)',
    'auth.clients[2].fingerprint: sha256: followed by 64 hex digits',
    'auth.clients[2].tier: no tier named "gold" under tiers',
  ]);
  const c = loadConfigText(base(mtls, `  clients: [ { id: p, fingerprint: "sha256:${a.fingerprint256}" }, { id: s, subject: "CN=job, O=acme" } ]`), {});
  assert.deepEqual(c.auth.clients.map((x) => x.match), [
    { kind: 'fingerprint', sha256: a.fingerprint256.replace(/:/g, '').toLowerCase() },
    { kind: 'subject', attrs: [['CN', 'job'], ['O', 'acme']] },
  ]);
  assert.equal(c.routes[0]?.auth, 'key');
  return undefined;
});

test('upstreams.*.tls: https targets only, cert with key, readable files; verification cannot be turned off', (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const up = `, tls: { ca: ${ca.certFile}, cert: ${a.certFile}, key: ${a.keyFile}, serverName: vllm.inference.svc }`;
  const c = loadConfigText(base('port: 1', '', '', up), {});
  assert.deepEqual(c.upstreams.get('llm')?.tls, { caFile: ca.certFile, certFile: a.certFile, keyFile: a.keyFile, serverName: 'vllm.inference.svc' });
  assert.deepEqual(problems(base('port: 1', '', '', up).replace('https://', 'http://')), ['upstreams.llm.targets[0]: with tls set, targets are https:// (never a silent plain connection)']);
  assert.deepEqual(problems(base('port: 1', '', '', `, tls: { cert: ${a.certFile} }`)), ['upstreams.llm.tls: cert and key go together (mutual TLS)']);
  assert.deepEqual(problems(base('port: 1', '', '', `, tls: { cert: ${a.certFile}, key: ${b.keyFile} }`)), ['upstreams.llm.tls.key: the key does not match the client certificate']);
  assert.deepEqual(problems(base('port: 1', '', '', ', tls: { rejectUnauthorized: false }')), ['upstreams.llm.tls.rejectUnauthorized: unknown key']);
  return undefined;
});

test('SAN URIs are read from Node\'s subjectaltname form, quoted values included', () => {
  assert.deepEqual(sanUris('DNS:localhost, URI:spiffe://cluster.local/ns/a/sa/b, IP Address:127.0.0.1'), ['spiffe://cluster.local/ns/a/sa/b']);
  assert.deepEqual(sanUris('URI:"spiffe://x/a, b", URI:spiffe://y'), ['spiffe://x/a, b', 'spiffe://y']);
  assert.deepEqual(sanUris(undefined), []);
  assert.deepEqual(sanUris('URI:"broken'), []);
});
