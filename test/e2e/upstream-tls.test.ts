// TLS and mutual TLS to the model server: the simulator serves HTTPS and demands a client
// certificate; the gateway reaches it with upstreams.*.tls. A server certificate that does not
// verify (another CA, another name), or a missing client certificate, fails with 502
// MG_UPSTREAM_ERROR — never a plain-HTTP retry, never another target, nothing internal leaked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CertDir, haveOpenssl, OPENSSL_MISSING, type Pem } from '../certs.js';
import { startTlsStack, type TlsStack } from '../tls-stack.js';
import { bearer, chat, codeOf, post } from '../helpers.js';

const ok = haveOpenssl();
let dir: CertDir;
let ca: Pem;
let otherCa: Pem;
let serverCert: Pem;
let gatewayCert: Pem;
let rogueCert: Pem;

before(() => {
  if (!ok) return;
  dir = new CertDir();
  ca = dir.ca('ca');
  otherCa = dir.ca('other-ca');
  serverCert = dir.leaf('vllm', ca, { cn: 'vllm', sans: ['DNS:vllm.inference.svc', 'IP:127.0.0.1'] });
  gatewayCert = dir.leaf('gateway', ca, { cn: 'modelgate', sans: ['URI:spiffe://cluster.local/ns/gw/sa/modelgate'] });
  rogueCert = dir.leaf('rogue', otherCa, { cn: 'vllm', sans: ['DNS:vllm.inference.svc', 'IP:127.0.0.1'] });
});
after(() => { if (ok) dir.close(); });

async function stack(serverPem: Pem, tls: string, targets = 1): Promise<TlsStack> {
  return startTlsStack((simUrl, hash) => `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
auth: { keys: [ { id: test-key, hash: "${hash}" } ] }
upstreams:
  llm:
    targets: [${Array.from({ length: targets }, () => `"${simUrl}"`).join(', ')}]
    timeout: 5s
    tls: { ${tls} }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
`, { tls: { cert: serverPem.cert, key: serverPem.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true } });
}

test('the gateway reaches a model server over mutual TLS', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const s = await stack(serverCert, `ca: ${ca.certFile}, cert: ${gatewayCert.certFile}, key: ${gatewayCert.keyFile}, serverName: vllm.inference.svc`);
  try {
    assert.match(s.sim.url, /^https:/);
    const r = await post(s.url, '/v1/chat/completions', chat('hello'), bearer(s.key));
    assert.equal(r.status, 200, r.body);
    assert.equal(s.sim.requests.length, 1);
    const m = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_tls_cert_expiry_timestamp_seconds');
    assert.match(m, /cert="upstream:llm"\} [0-9]+/);
  } finally {
    await s.close();
  }
  return undefined;
});

test('a server certificate from another CA: 502 MG_UPSTREAM_ERROR, nothing sent, no retry on another target', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const s = await stack(rogueCert, `ca: ${ca.certFile}, cert: ${gatewayCert.certFile}, key: ${gatewayCert.keyFile}, serverName: vllm.inference.svc`, 2);
  try {
    const r = await post(s.url, '/v1/chat/completions', chat('hello'), bearer(s.key));
    assert.equal(r.status, 502);
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
    assert.doesNotMatch(r.body, /certificate|CERT|ssl|tls|vllm|127\.0\.0\.1/i);
    assert.equal(s.sim.requests.length, 0, 'no request reached the impostor');
    const m = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_upstream_errors_total');
    assert.match(m, /kind="error"\} 1\b/, 'one attempt: a TLS failure is not retried on the next target');
  } finally {
    await s.close();
  }
  return undefined;
});

test('a wrong server name, or no client certificate where the server demands one: 502 MG_UPSTREAM_ERROR', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const wrongName = await stack(serverCert, `ca: ${ca.certFile}, cert: ${gatewayCert.certFile}, key: ${gatewayCert.keyFile}, serverName: other.inference.svc`);
  try {
    const r = await post(wrongName.url, '/v1/chat/completions', chat('hello'), bearer(wrongName.key));
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
    assert.equal(wrongName.sim.requests.length, 0);
  } finally {
    await wrongName.close();
  }
  const noClientCert = await stack(serverCert, `ca: ${ca.certFile}, serverName: vllm.inference.svc`);
  try {
    const r = await post(noClientCert.url, '/v1/chat/completions', chat('hello'), bearer(noClientCert.key));
    assert.equal(r.status, 502);
    assert.equal(codeOf(r), 'MG_UPSTREAM_ERROR');
    assert.equal(noClientCert.sim.requests.length, 0);
  } finally {
    await noClientCert.close();
  }
  return undefined;
});
