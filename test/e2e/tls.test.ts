// TLS and mutual TLS on the public listener, with real certificates made by openssl and real
// clients: TLS 1.1 refused while 1.2 and 1.3 succeed, HSTS on by default, a client without a
// certificate refused where the route needs one, an unknown CA refused, a mapped certificate
// identifying a consumer whose limits then apply, and the official openai client over mTLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { CertDir, haveOpenssl, OPENSSL_MISSING, type Pem } from '../certs.js';
import { httpsCall, logLines, startTlsStack, type TlsStack } from '../tls-stack.js';
import { chat, codeOf } from '../helpers.js';

const ok = haveOpenssl();
let dir: CertDir;
let ca: Pem;
let otherCa: Pem;
let runner: Pem;
let byCn: Pem;
let byPrint: Pem;
let stranger: Pem;
let foreign: Pem;
let s: TlsStack;

const config = (certs: { server: Pem; ca: Pem; fingerprint: string }, extra = '') => (simUrl: string, hash: string): string => `
server:
  host: 127.0.0.1
  port: 0
  tls: { cert: ${certs.server.certFile}, key: ${certs.server.keyFile}, clientCA: ${certs.ca.certFile}${extra} }
admin: { host: 127.0.0.1, port: 0 }
auth:
  keys:
    - { id: test-key, hash: "${hash}", tier: pro }
  clients:
    - { id: batch-runner, san: "spiffe://cluster.local/ns/batch/sa/runner", tier: tight }
    - { id: by-cn, subject: "CN=reporting-job", tier: pro }
    - { id: by-print, fingerprint: "sha256:${certs.fingerprint}" }
tiers:
  tight: { requests: { rate: 2, per: 1h, burst: 2 } }
  pro: { requests: { rate: 1000, per: 1m } }
upstreams:
  llm: { targets: ["${simUrl}"], timeout: 5s }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, auth: mtls }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm }
  - { path: /v1/embeddings, protocol: openai-embeddings, upstream: llm, auth: any }
`;

before(async () => {
  if (!ok) return;
  dir = new CertDir();
  ca = dir.ca('ca');
  otherCa = dir.ca('other-ca');
  const server = dir.server('server', ca);
  runner = dir.leaf('runner', ca, { cn: 'runner', sans: ['URI:spiffe://cluster.local/ns/batch/sa/runner'] });
  byCn = dir.leaf('reporting', ca, { cn: 'reporting-job' });
  byPrint = dir.leaf('pinned', ca, { cn: 'pinned' });
  stranger = dir.leaf('stranger', ca, { cn: 'stranger', sans: ['URI:spiffe://cluster.local/ns/other/sa/x'] });
  foreign = dir.leaf('foreign', otherCa, { cn: 'reporting-job', sans: ['URI:spiffe://cluster.local/ns/batch/sa/runner'] });
  const fp = byPrint.fingerprint256.replace(/:/g, '').toLowerCase();
  s = await startTlsStack(config({ server, ca, fingerprint: fp }));
});
after(async () => {
  if (!ok) return;
  await s.close();
  dir.close();
});

/** Handshake with only this protocol version offered; resolves the negotiated version or the error code. */
function handshake(port: number, version: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({
      host: '127.0.0.1', port, ca: ca.cert, servername: 'localhost', minVersion: version, maxVersion: version,
      // OpenSSL 3 disables TLS 1.1 at its default security level: let the client offer it.
      ...(version === 'TLSv1.1' ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    }, () => {
      const v = sock.getProtocol() ?? '?';
      sock.end();
      resolve(v);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code ?? err.message}`));
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

test('TLS 1.1 is refused; TLS 1.2 and 1.3 succeed', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const port = portOf(s.url);
  assert.equal(await handshake(port, 'TLSv1.2'), 'TLSv1.2');
  assert.equal(await handshake(port, 'TLSv1.3'), 'TLSv1.3');
  // The same client does complete a TLS 1.1 handshake with a server that allows it: the refusal is the gateway's.
  const control = createTlsServer({ cert: readFileSync(`${dir.dir}/server.crt`), key: readFileSync(`${dir.dir}/server.key`), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (sock) => sock.end());
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  try {
    assert.equal(await handshake((control.address() as AddressInfo).port, 'TLSv1.1'), 'TLSv1.1');
  } finally {
    control.close();
  }
  const refused = await handshake(port, 'TLSv1.1');
  assert.match(refused, /^error:/);
  const metrics = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_tls_handshake_failures_total');
  assert.match(metrics, /reason="protocol-version"\} [1-9]/);
  return undefined;
});

test('HSTS is sent on TLS responses by default, refusals included', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const r = await httpsCall(s.url, '/v1/completions', { model: 'sim-llm', prompt: 'hi', max_tokens: 2 }, { ca: ca.cert, headers: { authorization: `Bearer ${s.key}` } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  const nf = await httpsCall(s.url, '/nope', {}, { ca: ca.cert });
  assert.equal(nf.status, 404);
  assert.equal(nf.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  return undefined;
});

test('an mtls route: no certificate → 401 MG_CLIENT_CERT_REQUIRED; unmapped → 403 MG_CLIENT_CERT_UNKNOWN; unknown CA → 401; never forwarded', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  s.sim.reset();
  const none = await httpsCall(s.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, headers: { authorization: `Bearer ${s.key}` } });
  assert.equal(none.status, 401);
  assert.equal(codeOf(none), 'MG_CLIENT_CERT_REQUIRED');
  const unmapped = await httpsCall(s.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, cert: stranger.cert, key: stranger.key });
  assert.equal(unmapped.status, 403);
  assert.equal(codeOf(unmapped), 'MG_CLIENT_CERT_UNKNOWN');
  // Same SAN and CN as mapped clients, but signed by a CA the gateway does not trust.
  const untrusted = await httpsCall(s.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, cert: foreign.cert, key: foreign.key });
  assert.equal(untrusted.status, 401);
  assert.equal(codeOf(untrusted), 'MG_CLIENT_CERT_REQUIRED');
  for (const r of [none, unmapped, untrusted]) {
    assert.doesNotMatch(r.body, /spiffe|CN=|\.crt|certs-|OpenSSL|ssl/i);
    assert.equal(typeof r.headers['x-request-id'], 'string');
  }
  assert.equal(s.sim.requests.length, 0, 'the model server never saw a refused request');
  return undefined;
});

test('certificates map by SAN URI, subject CN and fingerprint; the mapped id and tier flow to logs and limits', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  s.sim.reset();
  for (const pem of [byCn, byPrint]) {
    const r = await httpsCall(s.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, cert: pem.cert, key: pem.key });
    assert.equal(r.status, 200, r.body);
  }
  // batch-runner's tier allows 2 requests per hour: the third is refused as that consumer's limit.
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await httpsCall(s.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, cert: runner.cert, key: runner.key });
    codes.push(r.status === 200 ? 'ok' : codeOf(r));
  }
  assert.deepEqual(codes, ['ok', 'ok', 'MG_RATE_LIMITED_REQUESTS']);
  assert.equal(s.sim.requests.length, 4);
  await new Promise((r) => setImmediate(r));
  const ids = logLines(s.logs, 'request').filter((l) => l['route'] === '/v1/chat/completions' && l['status'] === 200).map((l) => l['keyId']);
  assert.deepEqual(ids.slice(-4).sort(), ['batch-runner', 'batch-runner', 'by-cn', 'by-print']);
  const cost = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_cost_units_total');
  assert.match(cost, /key="batch-runner"/);
  return undefined;
});

test('auth: key routes ignore certificates; auth: any takes a key or a mapped certificate', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const emb = { model: 'sim-llm', input: 'hello' };
  const noKey = await httpsCall(s.url, '/v1/completions', { model: 'sim-llm', prompt: 'hi' }, { ca: ca.cert, cert: byCn.cert, key: byCn.key });
  assert.equal(codeOf(noKey), 'MG_AUTH_MISSING', 'a certificate is no key on a key route');
  assert.equal((await httpsCall(s.url, '/v1/embeddings', emb, { ca: ca.cert, headers: { authorization: `Bearer ${s.key}` } })).status, 200);
  assert.equal((await httpsCall(s.url, '/v1/embeddings', emb, { ca: ca.cert, cert: byCn.cert, key: byCn.key })).status, 200);
  const wrongKey = await httpsCall(s.url, '/v1/embeddings', emb, { ca: ca.cert, cert: byCn.cert, key: byCn.key, headers: { authorization: 'Bearer mg_wrong_wrong_wrong_wrong' } });
  assert.equal(codeOf(wrongKey), 'MG_AUTH_INVALID', 'a key that is presented must be right');
  assert.equal(codeOf(await httpsCall(s.url, '/v1/embeddings', emb, { ca: ca.cert })), 'MG_AUTH_MISSING');
  assert.equal(codeOf(await httpsCall(s.url, '/v1/embeddings', emb, { ca: ca.cert, cert: stranger.cert, key: stranger.key })), 'MG_CLIENT_CERT_UNKNOWN');
  return undefined;
});

test('the official openai client over mutual TLS (JSON and a stream)', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const dispatcher = new Agent({ connect: { ca: ca.cert, cert: byCn.cert, key: byCn.key } });
  try {
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused-on-an-mtls-route', maxRetries: 0, timeout: 10_000, fetch: undiciFetch as unknown as typeof fetch, fetchOptions: { dispatcher } as Record<string, unknown> });
    const r = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 5 });
    assert.equal(r.usage?.completion_tokens, 5);
    const stream = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 5, stream: true });
    let n = 0;
    for await (const chunk of stream) if ((chunk.choices[0]?.delta.content ?? '') !== '') n++;
    assert.equal(n, 5);
  } finally {
    await dispatcher.close();
  }
  return undefined;
});

test('requireClientCert: true refuses the handshake without a certificate or with an unknown CA', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const server = dir.server('server2', ca);
  const strict = await startTlsStack(config({ server, ca, fingerprint: '0'.repeat(64) }, ', requireClientCert: true'));
  try {
    await assert.rejects(httpsCall(strict.url, '/v1/completions', {}, { ca: ca.cert, headers: { authorization: `Bearer ${strict.key}` } }));
    await assert.rejects(httpsCall(strict.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, cert: foreign.cert, key: foreign.key }));
    const good = await httpsCall(strict.url, '/v1/chat/completions', chat('hi'), { ca: ca.cert, cert: runner.cert, key: runner.key });
    assert.equal(good.status, 200);
    assert.equal(strict.sim.requests.length, 1);
    const m = await strict.gw.metrics.registry.getSingleMetricAsString('modelgate_tls_handshake_failures_total');
    assert.match(m, /modelgate_tls_handshake_failures_total\{reason="client-certificate"\} [1-9]/);
  } finally {
    await strict.close();
  }
  return undefined;
});

test('the served certificate is the configured one, and its expiry is exported', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const peer = await new Promise<string>((resolve, reject) => {
    const sock: TLSSocket = connect({ host: '127.0.0.1', port: portOf(s.url), ca: ca.cert, servername: 'localhost' }, () => {
      resolve(sock.getPeerCertificate().fingerprint256);
      sock.end();
    });
    sock.on('error', reject);
  });
  const served = new X509Certificate(readFileSync(`${dir.dir}/server.crt`));
  assert.equal(peer, served.fingerprint256);
  const m = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_tls_cert_expiry_timestamp_seconds');
  assert.match(m, new RegExp(`cert="server"\\} ${Math.floor(Date.parse(served.validTo) / 1000)}`));
  assert.match(m, /cert="client-ca"\} [0-9]+/);
  return undefined;
});
