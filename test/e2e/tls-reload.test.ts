// Certificate hot reload the way Kubernetes updates a Secret volume (a `..data` symlink swapped
// atomically), during 10 active streams: every stream finishes, a keep-alive connection opened
// before the swap goes on serving, new handshakes present the new certificate; a broken pair
// keeps the old one (logged once, counted); the poll alone (no watching) picks a change up
// within one poll interval of an injected clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { once } from 'node:events';
import OpenAI from 'openai';
import { Agent, Client, fetch as undiciFetch } from 'undici';
import { CertDir, haveOpenssl, OPENSSL_MISSING, type Pem } from '../certs.js';
import { logLines, startTlsStack, type TlsStack } from '../tls-stack.js';
import { TlsReloader, servingSet } from '../../src/server/tls-reload.js';
import { tlsMetrics } from '../../src/server/tls-metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { ManualClock } from '../manual-clock.js';
import { Registry } from 'prom-client';
import type { ServingSet } from '../../src/server/tls-reload.js';

const ok = haveOpenssl();
let dir: CertDir;
let ca: Pem;
let certA: Pem;
let certB: Pem;
let vol: string;
let gen = 0;
let s: TlsStack;

/** Writes a new timestamped directory and swaps `..data` to it, as the kubelet does. */
function swap(cert: Buffer, key: Buffer): void {
  const name = `..2026_12_05_${++gen}`;
  mkdirSync(join(vol, name));
  writeFileSync(join(vol, name, 'tls.crt'), cert);
  writeFileSync(join(vol, name, 'tls.key'), key);
  copyFileSync(ca.certFile, join(vol, name, 'ca.crt'));
  symlinkSync(name, join(vol, '..data_tmp'));
  renameSync(join(vol, '..data_tmp'), join(vol, '..data'));
  if (gen > 1) rmSync(join(vol, `..2026_12_05_${gen - 1}`), { recursive: true, force: true });
}

function servedFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: Number(new URL(s.url).port), ca: ca.cert, servername: 'localhost' }, () => {
      resolve(sock.getPeerCertificate().fingerprint256);
      sock.end();
    });
    sock.on('error', reject);
  });
}

before(async () => {
  if (!ok) return;
  dir = new CertDir();
  ca = dir.ca('ca');
  certA = dir.server('a', ca);
  certB = dir.server('b', ca);
  vol = join(dir.dir, 'secret');
  mkdirSync(vol);
  swap(certA.cert, certA.key);
  for (const f of ['tls.crt', 'tls.key', 'ca.crt']) symlinkSync(join('..data', f), join(vol, f));
  s = await startTlsStack((simUrl, hash) => `
server:
  host: 127.0.0.1
  port: 0
  tls: { cert: ${vol}/tls.crt, key: ${vol}/tls.key, clientCA: ${vol}/ca.crt }
admin: { host: 127.0.0.1, port: 0 }
auth: { keys: [ { id: test-key, hash: "${hash}" } ] }
upstreams: { llm: { targets: ["${simUrl}"], timeout: 30s } }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, limits: { maxTokens: 4096 } }
`, { msPerToken: 5, slots: 16 });
});
after(async () => {
  if (!ok) return;
  await s.close();
  dir.close();
});

test('a Secret-volume swap during 10 streams: all finish, keep-alive survives, new handshakes see the new certificate', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const reloader = s.gw.tls?.reloader;
  assert.ok(reloader);
  assert.equal(await servedFingerprint(), certA.fingerprint256);
  const agent = new Agent({ connect: { ca: ca.cert }, connections: 20 });
  const keepAlive = new Client(s.url, { connect: { ca: ca.cert } });
  let connects = 0;
  keepAlive.on('connect', () => { connects++; });
  const ask = async (): Promise<number> => {
    const r = await keepAlive.request({ method: 'POST', path: '/v1/chat/completions', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
    await r.body.text();
    return r.statusCode;
  };
  try {
    assert.equal(await ask(), 200);
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: s.key, maxRetries: 0, timeout: 60_000, fetch: undiciFetch as unknown as typeof fetch, fetchOptions: { dispatcher: agent } as Record<string, unknown> });
    const TOKENS = 600;
    const started: Promise<void>[] = [];
    const finished: Promise<{ tokens: number; finish: string | null; endedAt: number }>[] = [];
    for (let i = 0; i < 10; i++) {
      let first!: () => void;
      started.push(new Promise<void>((r) => { first = r; }));
      finished.push((async () => {
        const stream = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: `stream ${i}` }], max_tokens: TOKENS, stream: true });
        let tokens = 0;
        let finish: string | null = null;
        for await (const chunk of stream) {
          if ((chunk.choices[0]?.delta.content ?? '') !== '') { tokens++; first(); }
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        return { tokens, finish, endedAt: Date.now() };
      })());
    }
    await Promise.all(started); // every stream is flowing
    const reloaded = once(reloader, 'reloaded') as Promise<[ServingSet]>;
    const swappedAt = Date.now();
    swap(certB.cert, certB.key);
    const [set] = await reloaded;
    const reloadedAt = Date.now();
    t.diagnostic(`swap → new certificate in use: ${reloadedAt - swappedAt} ms`);
    assert.equal(set.fingerprint256, certB.fingerprint256);
    assert.equal(await servedFingerprint(), certB.fingerprint256, 'a new handshake presents the new certificate');
    assert.equal(await ask(), 200, 'the keep-alive connection opened before the swap still serves');
    assert.equal(connects, 1, 'on the same connection');
    const results = await Promise.all(finished);
    for (const r of results) {
      assert.equal(r.tokens, TOKENS);
      assert.equal(r.finish, 'length');
      assert.ok(r.endedAt >= reloadedAt, 'the stream was still open when the certificate changed');
    }
    const m = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_tls_reloads_total');
    assert.match(m, /modelgate_tls_reloads_total 1\b/);
  } finally {
    await keepAlive.close();
    await agent.close();
  }
  return undefined;
});

test('a broken pair keeps the previous certificate, is logged once and counted; a good one is taken again', async (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const reloader = s.gw.tls?.reloader;
  assert.ok(reloader);
  const before = await servedFingerprint();
  const failed = once(reloader, 'failed');
  swap(certA.cert, certB.key); // A's certificate with B's key
  await failed;
  assert.equal(await servedFingerprint(), before, 'still the previous certificate');
  assert.equal(reloader.check(), 'unchanged', 'the same broken files are not retried, logged or counted again');
  const m = await s.gw.metrics.registry.getSingleMetricAsString('modelgate_tls_reload_failures_total');
  assert.match(m, /modelgate_tls_reload_failures_total 1\b/);
  const errors = logLines(s.logs, 'tls: the changed certificate files cannot be used; still serving the previous certificate');
  assert.equal(errors.length, 1);
  assert.doesNotMatch(JSON.stringify(errors[0]), /BEGIN|PRIVATE/);
  const reloaded = once(reloader, 'reloaded');
  swap(certA.cert, certA.key);
  await reloaded;
  assert.equal(await servedFingerprint(), certA.fingerprint256);
  return undefined;
});

test('without watching, the poll applies a change within one interval of the (injected) clock', (t) => {
  if (!ok) return t.skip(OPENSSL_MISSING);
  const d = join(dir.dir, 'plain');
  mkdirSync(d);
  copyFileSync(certA.certFile, join(d, 'tls.crt'));
  copyFileSync(certA.keyFile, join(d, 'tls.key'));
  const cfg = { certFile: join(d, 'tls.crt'), keyFile: join(d, 'tls.key'), clientCAFile: null, minVersion: 'TLSv1.2' as const, ciphers: null, requireClientCert: false };
  const applied: string[] = [];
  const clock = new ManualClock();
  const registry = new Registry();
  const r = new TlsReloader(cfg, { setSecureContext: () => { applied.push('ctx'); } }, servingSet(cfg), { logger: createLogger('silent'), metrics: tlsMetrics(registry), clock, watch: false, pollMs: 1000 });
  r.start();
  try {
    clock.advance(1000);
    assert.deepEqual(applied, [], 'nothing changed, nothing applied');
    copyFileSync(certB.certFile, join(d, 'tls.crt'));
    copyFileSync(certB.keyFile, join(d, 'tls.key'));
    clock.advance(999);
    assert.deepEqual(applied, []);
    clock.advance(1);
    assert.deepEqual(applied, ['ctx']);
  } finally {
    r.stop();
  }
  return undefined;
});
