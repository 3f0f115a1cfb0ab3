// Attack class: decompression bombs and bad encodings. A 20 KB gzip of 20 MB must never be
// inflated in full: the decoded bytes are capped and the expansion ratio is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { startStack, rawRequest, codeOf, chat, type Stack } from '../helpers.js';

let s: Stack;
let noDecompress: Stack;
before(async () => {
  s = await startStack({
    routes: `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 10mb, maxCompressionRatio: 20, maxJsonStringChars: 20000000, maxMessageChars: 20000000, maxTotalChars: 20000000 }
  - path: /v1/small
    protocol: openai-chat
    upstream: llm
`,
  });
  noDecompress = await startStack({ routes: `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { decompress: [] }
` });
});
after(async () => { await s.close(); await noDecompress.close(); });

const h = (key: string, enc: string): Record<string, string> => ({ 'content-type': 'application/json', authorization: `Bearer ${key}`, 'content-encoding': enc });

test('gzip bomb (20 MB of zeros in ~20 KB) → 413, memory bounded, not forwarded', async () => {
  const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
  assert.ok(bomb.length < 40 * 1024, `bomb is ${bomb.length} bytes`);
  const before = process.memoryUsage().rss;
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: h(s.key, 'gzip'), body: bomb });
  assert.equal(r.status, 413);
  assert.equal(codeOf(r), 'MG_BODY_COMPRESSION_RATIO');
  assert.ok(process.memoryUsage().rss - before < 15 * 1024 * 1024, 'the bomb was not inflated in full');
  assert.equal(s.sim.requests.length, 0);
});

test('gzip bomb on a route with the default 100 KB cap → 413', async () => {
  const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
  const r = await rawRequest(s.url, { path: '/v1/small', headers: h(s.key, 'gzip'), body: bomb });
  assert.equal(r.status, 413);
  assert.ok(['MG_BODY_TOO_LARGE', 'MG_BODY_COMPRESSION_RATIO'].includes(codeOf(r) ?? ''));
  assert.equal(s.sim.requests.length, 0);
});

test('brotli bomb → 413', async () => {
  const bomb = brotliCompressSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: h(s.key, 'br'), body: bomb });
  assert.equal(r.status, 413);
  assert.equal(s.sim.requests.length, 0);
});

test('honest gzip, deflate and br bodies are decoded and forwarded uncompressed', async () => {
  const json = JSON.stringify(chat('hello there'));
  for (const [enc, data] of [['gzip', gzipSync(json)], ['deflate', deflateSync(json)], ['br', brotliCompressSync(json)]] as const) {
    const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: h(s.key, enc), body: data });
    assert.equal(r.status, 200, enc);
    const seen = s.sim.requests.at(-1);
    assert.equal(seen?.headers['content-encoding'], undefined);
    assert.deepEqual(JSON.parse(seen?.body ?? ''), JSON.parse(json));
  }
  s.sim.reset();
});

test('corrupt gzip → 400 MG_BODY_CORRUPT; unknown encoding → 415', async () => {
  const r = await rawRequest(s.url, { path: '/v1/chat/completions', headers: h(s.key, 'gzip'), body: Buffer.from('not gzip at all') });
  assert.equal(r.status, 400);
  assert.equal(codeOf(r), 'MG_BODY_CORRUPT');
  const u = await rawRequest(s.url, { path: '/v1/chat/completions', headers: h(s.key, 'zstd'), body: Buffer.from('x') });
  assert.equal(u.status, 415);
  assert.equal(codeOf(u), 'MG_UNSUPPORTED_ENCODING');
  assert.equal(s.sim.requests.length, 0);
});

test('a route with decompress: [] refuses compressed bodies with 415', async () => {
  const r = await rawRequest(noDecompress.url, { path: '/v1/chat/completions', headers: h(noDecompress.key, 'gzip'), body: gzipSync(JSON.stringify(chat('hi'))) });
  assert.equal(r.status, 415);
  assert.equal(codeOf(r), 'MG_UNSUPPORTED_ENCODING');
  assert.equal(noDecompress.sim.requests.length, 0);
});
