// Tensor, TorchServe, image-upload and vision-chat requests that pass: what reaches the model
// server is exactly what was checked (re-serialised JSON, the checked binary tensor, the image
// bytes, a rebuilt multipart body), and pixels and tensor elements are charged like tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, codeOf, post, rawRequest, type Stack } from '../helpers.js';
import { startInferenceStack, tensor, fill } from '../inference-stack.js';
import * as F from '../image-files.js';

let s: Stack;
before(async () => { s = await startInferenceStack(); });
after(async () => { await s.close(); });

const last = (): { path: string; headers: Record<string, string | string[] | undefined>; body: string; bytes: Buffer } => {
  const r = s.sim.requests[s.sim.requests.length - 1];
  assert.ok(r, 'the model server got the request');
  return r;
};

test('a valid [1,3,224,224] FP32 tensor reaches the model server as the checked JSON, nested or flat', async () => {
  s.sim.reset();
  const body = tensor('input', 'FP32', [1, 3, 224, 224], fill(150528, (i) => (i % 200) - 100));
  const r = await post(s.url, '/v2/models/resnet50/infer', body, bearer(s.key));
  assert.equal(r.status, 200, r.body.slice(0, 200));
  assert.deepEqual((r.json as { outputs: Array<{ shape: number[] }> }).outputs[0]?.shape, [1, 10]);
  assert.equal(last().body, JSON.stringify(body));
  const nested = tensor('x', 'INT8', [2, 4], [[1, -2, 3, 127], [-128, 0, 5, 6]]);
  const v = await post(s.url, '/v2/models/tiny/versions/3/infer', nested, bearer(s.key));
  assert.equal(v.status, 200);
  assert.equal(last().path, '/v2/models/tiny/versions/3/infer');
});

test('a JSON tensor without duplicate keys is forwarded as sent; one with duplicate keys is forwarded re-serialised (no parser differential)', async () => {
  s.sim.reset();
  const spaced = '{ "inputs" : [ { "name" : "x", "shape" : [1, 4], "datatype" : "INT8", "data" : [1, 2, 3, 4] } ] }';
  let r = await post(s.url, '/v2/models/tiny/infer', spaced, bearer(s.key));
  assert.equal(r.status, 200);
  assert.equal(last().body, spaced);
  // JSON.parse keeps the last "data", Triton's parser the first: the server must see one only.
  const dup = '{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT8","data":[1,2,3,4],"data":[5,6,7,8]}]}';
  r = await post(s.url, '/v2/models/tiny/infer', dup, bearer(s.key));
  assert.equal(r.status, 200);
  assert.equal(last().body, '{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT8","data":[5,6,7,8]}]}');
});

test('a binary tensor request reaches the model server with the checked bytes and a recomputed header length', async () => {
  s.sim.reset();
  const data = Buffer.alloc(12);
  [0.5, -1.25, 3].forEach((x, i) => data.writeFloatLE(x, i * 4));
  // Spacing and key order the gateway normalises: what is forwarded is the re-serialised header.
  const header = Buffer.from('{ "inputs" : [ { "name":"v", "shape":[3], "datatype":"FP32", "parameters":{"binary_data_size":12} } ] }');
  const r = await rawRequest(s.url, { path: '/v2/models/vec/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length), ...bearer(s.key) }, body: Buffer.concat([header, data]) });
  assert.equal(r.status, 200, r.body);
  const got = last();
  const h = Number(got.headers['inference-header-content-length']);
  assert.deepEqual(JSON.parse(got.bytes.subarray(0, h).toString('utf8')), JSON.parse(header.toString('utf8')));
  assert.ok(got.bytes.subarray(h).equals(data));
});

test('GET model metadata, on a route that names it, serves declared models only', async () => {
  const ok = await rawRequest(s.url, { method: 'GET', path: '/v2/models/resnet50', headers: bearer(s.key) });
  assert.equal(ok.status, 200);
  const unknown = await rawRequest(s.url, { method: 'GET', path: '/v2/models/secret-model', headers: bearer(s.key) });
  assert.equal(codeOf(unknown), 'MG_MODEL_NOT_FOUND');
});

test('each image format passes, raw and multipart; the model server gets the checked bytes', async () => {
  for (const [make, type] of [[F.validPng, 'image/png'], [F.validJpeg, 'image/jpeg'], [F.validGif, 'image/gif'], [F.validWebp, 'image/webp']] as const) {
    const img = await make(32, 24);
    s.sim.reset();
    const raw = await rawRequest(s.url, { path: '/analyze', headers: { 'content-type': type, ...bearer(s.key) }, body: img });
    assert.equal(raw.status, 200, `${type}: ${raw.body}`);
    assert.ok(last().bytes.equals(img), `${type} raw bytes`);
    assert.equal(last().headers['content-type'], type);
    const m = F.multipartBody([{ name: 'file', filename: 'cat.img', type: 'application/octet-stream', data: img }, { name: 'note', data: 'hello' }]);
    const mp = await rawRequest(s.url, { path: '/analyze', headers: { 'content-type': m.contentType, ...bearer(s.key) }, body: m.body });
    assert.equal(mp.status, 200, `${type} multipart: ${mp.body}`);
    const fwd = last();
    assert.match(String(fwd.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.ok(!String(fwd.headers['content-type']).includes('test-boundary'), 'a fresh body, not the client\'s');
    assert.ok(fwd.bytes.includes(img), 'the image is in the rebuilt body');
    assert.ok(fwd.bytes.toString('latin1').includes(`Content-Type: ${type}`), 'with its detected type');
  }
});

test('TorchServe: an image and a JSON body pass to /predictions/{model}', async () => {
  const img = await F.validJpeg(64, 64);
  const r = await rawRequest(s.url, { path: '/predictions/resnet', headers: { 'content-type': 'image/jpeg', ...bearer(s.key) }, body: img });
  assert.equal(r.status, 200);
  assert.ok(last().bytes.equals(img));
  const j = await rawRequest(s.url, { path: '/predictions/resnet', headers: { 'content-type': 'application/json', ...bearer(s.key) }, body: '{ "data" : [1, 2] }' });
  assert.equal(j.status, 200);
  assert.equal(last().body, '{"data":[1,2]}');
});

test('chat with a data-URL image passes and is forwarded as sent', async () => {
  const url = F.dataUrl(await F.validPng(100, 100), 'image/png');
  const r = await post(s.url, '/v1/chat/completions', { model: 'sim-llm', max_tokens: 4, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url, detail: 'low' } }] }] }, bearer(s.key));
  assert.equal(r.status, 200, r.body.slice(0, 200));
  assert.ok(last().body.includes(url), 'the image is forwarded');
});

test('tensor elements and image pixels count against the tier cost limit', async () => {
  const t = await startInferenceStack({ tier: 't', limits: 'tiers: { t: { cost: { rate: 400, per: 1h, burst: 400 } } }' });
  try {
    const body = tensor('input', 'FP32', [1, 3, 224, 224], fill(150528, () => 0));
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 3; i++) codes.push(codeOf(await post(t.url, '/v2/models/resnet50/infer', body, bearer(t.key))));
    // ⌈150,528 / 1,000⌉ = 151 units each: the third goes over 400.
    assert.deepEqual(codes, [undefined, undefined, 'MG_RATE_LIMITED_COST']);
    const big = await F.validJpeg(1000, 1000); // 1,000 units
    const img = await rawRequest(t.url, { path: '/analyze', headers: { 'content-type': 'image/jpeg', ...bearer(t.key) }, body: big });
    assert.equal(codeOf(img), 'MG_COST_OVER_LIMIT', 'a 1-megapixel image can never fit a 400-unit burst');
    const chat = await post(t.url, '/v1/chat/completions', { model: 'sim-llm', max_tokens: 4, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: F.dataUrl(big, 'image/jpeg') } }] }] }, bearer(t.key));
    assert.equal(codeOf(chat), 'MG_COST_OVER_LIMIT', 'the same image in a chat message costs the same');
    const small = await post(t.url, '/v1/chat/completions', { model: 'sim-llm', max_tokens: 4, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: F.dataUrl(await F.validJpeg(100, 100), 'image/jpeg') } }] }] }, bearer(t.key));
    assert.equal(small.status, 200, small.body.slice(0, 200));
  } finally {
    await t.close();
  }
});
