// Routes that name more than the infer endpoints: an explicitly routed KServe admin endpoint
// (with and without models), a TorchServe route on a literal path, GET routes; and the body
// edge cases of the non-JSON protocols — each refusal with its code and never forwarded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { bearer, codeOf, rawRequest, type Stack, startStack } from '../helpers.js';
import * as F from '../image-files.js';

const TINY = `
      tiny:
        inputs:
          - { name: x, datatype: INT8, shape: [-1, 4] }`;

let s: Stack;
before(async () => {
  s = await startStack({
    server: 'timeouts: { body: 1s }',
    routes: `
  - path: /v2/repository/models/{model}/load
    protocol: kserve-v2
    upstream: llm
    models:${TINY}
  - { path: /v2/repository/index, protocol: kserve-v2, upstream: llm }
  - path: /v2/models/{model}
    protocol: kserve-v2
    upstream: llm
    methods: [GET]
    models:${TINY}
  - { path: /predictions/resnet, protocol: torchserve, upstream: llm, models: { resnet: {} }, limits: { types: [application/json, text/plain, image/png] } }
  - { path: /analyze, protocol: image-upload, upstream: llm }
`,
  });
});
after(async () => { await s.close(); });

const post = (path: string, headers: Record<string, string>, body?: Buffer | string) =>
  rawRequest(s.url, { path, headers: { ...bearer(s.key), ...headers }, ...(body === undefined ? {} : { body }) });

test('an explicitly routed v2 admin endpoint: declared models pass (empty body forwarded), others are 404', async () => {
  s.sim.reset();
  const ok = await post('/v2/repository/models/tiny/load', {});
  assert.equal(ok.status, 200, ok.body);
  assert.equal(s.sim.requests[0]?.path, '/v2/repository/models/tiny/load');
  const other = await post('/v2/repository/models/secret/load', {});
  assert.equal(codeOf(other), 'MG_MODEL_NOT_FOUND');
  const index = await post('/v2/repository/index', { 'content-type': 'application/json' }, '{}');
  assert.equal(index.status, 200, 'a server-wide endpoint names no model');
  assert.equal(s.sim.requests.length, 2);
});

test('a GET route refuses a request with a body, before reading it; without one it passes', async () => {
  s.sim.reset();
  const withBody = await rawRequest(s.url, { method: 'GET', path: '/v2/models/tiny', headers: { ...bearer(s.key), 'content-type': 'application/json', 'content-length': '2' }, body: '{}' });
  assert.equal(withBody.status, 400);
  assert.equal(codeOf(withBody), 'MG_BODY_NOT_ALLOWED');
  assert.equal(s.sim.requests.length, 0);
  const ok = await rawRequest(s.url, { method: 'GET', path: '/v2/models/tiny', headers: bearer(s.key) });
  assert.equal(ok.status, 200);
});

test('TorchServe on a literal path serves its one model; JSON, text and images are checked by type', async () => {
  s.sim.reset();
  assert.equal((await post('/predictions/resnet', { 'content-type': 'application/json' }, '{"a":1}')).status, 200);
  assert.equal((await post('/predictions/resnet', { 'content-type': 'text/plain' }, 'hello')).status, 200);
  const sent = s.sim.requests.length;
  assert.equal(codeOf(await post('/predictions/resnet', { 'content-type': 'application/json' }, '{"a":')), 'MG_JSON_INVALID');
  assert.equal(codeOf(await post('/predictions/resnet', { 'content-type': 'text/plain' }, Buffer.from([0x66, 0xff, 0xfe]))), 'MG_BODY_INVALID_UTF8');
  assert.equal(codeOf(await post('/predictions/resnet', { 'content-type': 'image/png' }, F.svgBytes())), 'MG_IMAGE_TYPE_MISMATCH');
  assert.equal(codeOf(await post('/predictions/resnet', { 'content-type': 'image/jpeg' }, await F.validJpeg())), 'MG_UNSUPPORTED_MEDIA_TYPE', 'jpeg is not listed on this route');
  assert.equal(s.sim.requests.length, sent, 'none of the refused ones was forwarded');
});

test('image upload: no content type → 415; a multipart body that stalls → 408 MG_BODY_TIMEOUT; neither forwarded', async () => {
  s.sim.reset();
  const none = await rawRequest(s.url, { path: '/analyze', headers: bearer(s.key), body: await F.validPng() });
  assert.equal(none.status, 415);
  assert.equal(codeOf(none), 'MG_UNSUPPORTED_MEDIA_TYPE');
  const m = F.multipartBody([{ name: 'file', filename: 'a.png', type: 'image/png', data: await F.validPng(64, 64) }]);
  const u = new URL(s.url);
  const stalled = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path: '/analyze', headers: { ...bearer(s.key), 'content-type': m.contentType, 'content-length': String(m.body.length) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += String(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(m.body.subarray(0, 200)); // then nothing more
  });
  assert.equal(stalled.status, 408);
  assert.equal((JSON.parse(stalled.body) as { error: { code: string } }).error.code, 'MG_BODY_TIMEOUT');
  assert.equal(s.sim.requests.length, 0);
});
