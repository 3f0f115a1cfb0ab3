// Hostile images, generated here (never downloaded): decompression-bomb headers, truncated files,
// frame bombs, type confusion and polyglots, oversized uploads, data-URL bombs and SSRF image URLs
// in chat. Each is refused with its code, the model server sees none, and the gateway's memory
// stays within 100 MB of its baseline throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, codeOf, post, rawRequest, type RawResponse, type Stack } from '../helpers.js';
import { startInferenceStack, watchMemory } from '../inference-stack.js';
import * as F from '../image-files.js';

let s: Stack;
let memory: ReturnType<typeof watchMemory>;
before(async () => {
  s = await startInferenceStack();
  // Warm up once (sharp, file-type, busboy loaded) before taking the baseline.
  await upload(await F.validPng(), 'image/png');
  memory = watchMemory();
});
after(async () => {
  memory.stop();
  await s.close();
});

function upload(body: Buffer, type: string, path = '/analyze'): Promise<RawResponse> {
  return rawRequest(s.url, { path, headers: { 'content-type': type, 'content-length': body.length, ...bearer(s.key) }, body });
}

function multipart(file: Buffer, type: string): Promise<RawResponse> {
  const m = F.multipartBody([{ name: 'file', filename: 'x', type, data: file }]);
  return rawRequest(s.url, { path: '/analyze', headers: { 'content-type': m.contentType, 'content-length': m.body.length, ...bearer(s.key) }, body: m.body });
}

async function refused(r: Promise<RawResponse>, status: number, code: string): Promise<void> {
  s.sim.reset();
  const res = await r;
  assert.equal(res.status, status, res.body.slice(0, 200));
  assert.equal(codeOf(res), code);
  assert.equal(s.sim.requests.length, 0, 'the model server saw it');
}

const BOMBS: Array<[string, () => Buffer, string]> = [
  ['PNG', () => F.pngDimensionBomb(), 'image/png'],
  ['JPEG', () => F.jpegDimensionBomb(), 'image/jpeg'],
  ['GIF', () => F.gifDimensionBomb(), 'image/gif'],
  ['WebP', () => F.webpDimensionBomb(), 'image/webp'],
];

for (const [fmt, make, type] of BOMBS) {
  test(`a ${fmt} header claiming 50,000 × 50,000 with a tiny body → 422 MG_IMAGE_TOO_MANY_PIXELS (raw and multipart)`, async () => {
    await refused(upload(make(), type), 422, 'MG_IMAGE_TOO_MANY_PIXELS');
    await refused(multipart(make(), type), 422, 'MG_IMAGE_TOO_MANY_PIXELS');
  });
}

test('truncated PNG, JPEG, GIF and WebP files → 422 MG_IMAGE_CORRUPT', async () => {
  for (const [make, type] of [[F.validPng, 'image/png'], [F.validJpeg, 'image/jpeg'], [F.validGif, 'image/gif'], [F.validWebp, 'image/webp']] as const) {
    await refused(upload(F.truncate(await make(64, 64)), type), 422, 'MG_IMAGE_CORRUPT');
  }
});

test('a GIF with 5,000 frames → 422 MG_IMAGE_TOO_MANY_FRAMES', async () => {
  await refused(upload(F.gifFrameBomb(5000), 'image/gif'), 422, 'MG_IMAGE_TOO_MANY_FRAMES');
});

test('type confusion: SVG and HTML declared as PNG, ZIP declared as JPEG, PNG declared as JPEG, a PNG+ZIP polyglot → 415 MG_IMAGE_TYPE_MISMATCH', async () => {
  await refused(upload(F.svgBytes(), 'image/png'), 415, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(upload(F.htmlBytes(), 'image/png'), 415, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(upload(F.zipBytes(), 'image/jpeg'), 415, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(upload(await F.validPng(), 'image/jpeg'), 415, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(upload(await F.pngZipPolyglot(), 'image/png'), 415, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(multipart(F.svgBytes(), 'image/png'), 415, 'MG_IMAGE_TYPE_MISMATCH');
});

test('a type not on the allowlist → 415 MG_IMAGE_TYPE_NOT_ALLOWED before the body is read', async () => {
  await refused(upload(F.svgBytes(), 'image/svg+xml'), 415, 'MG_IMAGE_TYPE_NOT_ALLOWED');
  await refused(upload(Buffer.from('BM'), 'image/bmp'), 415, 'MG_IMAGE_TYPE_NOT_ALLOWED');
});

test('oversized uploads → 413, cut off while streaming (raw chunked, declared length, multipart)', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
  // Chunked (no Content-Length): the cap counts the bytes that arrive.
  s.sim.reset();
  const chunked = await rawRequest(s.url, { path: '/analyze', headers: { 'content-type': 'image/png', 'transfer-encoding': 'chunked', ...bearer(s.key) }, body: [big.subarray(0, 1 << 20), big.subarray(1 << 20, 2 << 20), big.subarray(2 << 20)] });
  assert.equal(chunked.status, 413);
  assert.equal(codeOf(chunked), 'MG_IMAGE_TOO_LARGE');
  await refused(upload(big, 'image/png'), 413, 'MG_BODY_TOO_LARGE');
  await refused(multipart(big, 'image/png'), 413, 'MG_BODY_TOO_LARGE');
  // A multipart file over maxBytes inside a body under maxBodyBytes: stopped by the file cap.
  await refused(multipart(Buffer.alloc(2 * 1024 * 1024 + 10, 0x41), 'image/png'), 413, 'MG_IMAGE_TOO_LARGE');
});

test('multipart with two files → 400 MG_TOO_MANY_IMAGES', async () => {
  const png = await F.validPng();
  const m = F.multipartBody([{ name: 'a', filename: 'a.png', type: 'image/png', data: png }, { name: 'b', filename: 'b.png', type: 'image/png', data: png }]);
  await refused(rawRequest(s.url, { path: '/analyze', headers: { 'content-type': m.contentType, ...bearer(s.key) }, body: m.body }), 400, 'MG_TOO_MANY_IMAGES');
});

test('TorchServe: a decompression-bomb header and a truncated image are refused by content type', async () => {
  await refused(upload(F.pngDimensionBomb(), 'image/png', '/predictions/resnet'), 422, 'MG_IMAGE_TOO_MANY_PIXELS');
  await refused(upload(F.truncate(await F.validJpeg(64, 64)), 'image/jpeg', '/predictions/resnet'), 422, 'MG_IMAGE_CORRUPT');
  await refused(upload(Buffer.from('MZ\x90\x00'), 'application/x-msdownload', '/predictions/resnet'), 415, 'MG_UNSUPPORTED_MEDIA_TYPE');
});

function vision(urls: string[]): Promise<RawResponse> {
  return post(s.url, '/v1/chat/completions', {
    model: 'sim-llm',
    max_tokens: 8,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, ...urls.map((url) => ({ type: 'image_url', image_url: { url } }))] }],
  }, bearer(s.key));
}

test('chat: a data-URL bomb, a dimension bomb and a mismatched data URL are refused', async () => {
  await refused(vision([F.dataUrlBomb(3)]), 413, 'MG_IMAGE_TOO_LARGE');
  await refused(vision([F.dataUrl(F.pngDimensionBomb(), 'image/png')]), 422, 'MG_IMAGE_TOO_MANY_PIXELS');
  await refused(vision([F.dataUrl(F.svgBytes(), 'image/png')]), 415, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(vision([F.dataUrl(F.svgBytes(), 'image/svg+xml')]), 415, 'MG_IMAGE_TYPE_NOT_ALLOWED');
});

test('chat: image URLs pointing at the metadata service, loopback, a private range or an unlisted host → MG_IMAGE_URL_FORBIDDEN', async () => {
  for (const url of [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://[::1]/x.png', 'http://127.0.0.1:8080/x.png', 'http://10.0.0.7/x.png', 'http://2852039166/x.png',
    'http://metadata.google.internal/computeMetadata/v1/', 'https://evil.example.net/x.png', 'file:///etc/passwd',
    'https://unresolvable.invalid/x.png', // listed, but its name does not resolve: refused
  ]) {
    await refused(vision([url]), 400, 'MG_IMAGE_URL_FORBIDDEN');
  }
});

test('chat: more images than maxImages → MG_TOO_MANY_IMAGES', async () => {
  const png = F.dataUrl(await F.validPng(), 'image/png');
  await refused(vision([png, png, png]), 400, 'MG_TOO_MANY_IMAGES');
});

test('memory stayed within 100 MB of the baseline through every hostile request above', () => {
  const grew = memory.growth();
  assert.ok(grew < 100, `RSS grew ${grew.toFixed(1)} MB over the baseline`);
});
