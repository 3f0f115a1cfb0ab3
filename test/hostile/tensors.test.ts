// Hostile tensor requests (KServe v2 / Triton): each refused with its own code, none reaches the
// model server; v2 admin endpoints and TorchServe's management API are never routed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, codeOf, post, rawRequest, type Stack } from '../helpers.js';
import { startInferenceStack, tensor, fill, watchMemory } from '../inference-stack.js';

let s: Stack;
let memory: ReturnType<typeof watchMemory>;
before(async () => {
  s = await startInferenceStack();
  memory = watchMemory();
});
after(async () => {
  memory.stop();
  await s.close();
});

const INFER = '/v2/models/resnet50/infer';

function binary(header: Record<string, unknown>, data: Buffer): { body: Buffer; headers: Record<string, string> } {
  const h = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([h, data]), headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(h.length) } };
}

const cases: Array<[string, string, unknown, string, number]> = [
  ['a [1,3,224,224] tensor with 10 values', INFER, tensor('input', 'FP32', [1, 3, 224, 224], fill(10, () => 0.5)), 'MG_TENSOR_DATA_LENGTH', 400],
  ['INT8 data containing 300', '/v2/models/tiny/infer', tensor('x', 'INT8', [1, 4], [1, 2, 300, 4]), 'MG_TENSOR_DATATYPE', 400],
  ['a fraction in an INT8 tensor', '/v2/models/tiny/infer', tensor('x', 'INT8', [1, 4], [1, 2, 3.5, 4]), 'MG_TENSOR_DATATYPE', 400],
  ['a batch above maxBatch', INFER, tensor('input', 'FP32', [17, 3, 224, 224], []), 'MG_BATCH_TOO_LARGE', 400],
  ['a value outside the declared range', '/v2/models/resnet50/infer', tensor('input', 'FP32', [1, 3, 224, 224], fill(150528, (i) => (i === 7 ? 1000 : 0))), 'MG_TENSOR_OUT_OF_RANGE', 400],
  ['a wrong fixed dimension', INFER, tensor('input', 'FP32', [1, 3, 225, 224], []), 'MG_TENSOR_SHAPE', 400],
  ['a wrong rank', INFER, tensor('input', 'FP32', [3, 224, 224], []), 'MG_TENSOR_SHAPE', 400],
  ['an undeclared input name', INFER, tensor('image', 'FP32', [1, 3, 224, 224], []), 'MG_TENSOR_INPUT_NAME', 400],
  ['the wrong datatype', INFER, tensor('input', 'FP64', [1, 3, 224, 224], []), 'MG_TENSOR_DATATYPE', 400],
  ['more elements than maxTensorElements', '/v2/models/vec/infer', tensor('v', 'FP32', [3_000_000], []), 'MG_TENSOR_TOO_LARGE', 413],
  ['a model that is not declared', '/v2/models/llama/infer', tensor('input', 'FP32', [1], [1]), 'MG_MODEL_NOT_FOUND', 404],
  ['shared-memory parameters on an input', '/v2/models/tiny/infer', { inputs: [{ name: 'x', shape: [1, 4], datatype: 'INT8', parameters: { shared_memory_region: 'r0' } }] }, 'MG_REQUEST_INVALID', 400],
  ['ragged nested data', '/v2/models/tiny/infer', tensor('x', 'INT8', [2, 4], [[1, 2, 3, 4], [1, 2, 3]]), 'MG_TENSOR_DATA_LENGTH', 400],
];

for (const [name, path, body, code, status] of cases) {
  test(`${name} → ${status} ${code}, not forwarded`, async () => {
    s.sim.reset();
    const r = await post(s.url, path, body, bearer(s.key));
    assert.equal(r.status, status, r.body.slice(0, 200));
    assert.equal(codeOf(r), code);
    assert.equal(s.sim.requests.length, 0);
  });
}

test('FP32 data containing 1e999 (Infinity once parsed) → MG_TENSOR_NOT_FINITE, not forwarded', async () => {
  s.sim.reset();
  const r = await post(s.url, '/v2/models/vec/infer', '{"inputs":[{"name":"v","shape":[3],"datatype":"FP32","data":[1.5,1e999,2]}]}', bearer(s.key));
  assert.equal(r.status, 400);
  assert.equal(codeOf(r), 'MG_TENSOR_NOT_FINITE');
  assert.equal(s.sim.requests.length, 0);
});

test('binary tensors: a buffer too short, trailing bytes, NaN → refused, not forwarded', async () => {
  s.sim.reset();
  const header = { inputs: [{ name: 'x', shape: [2, 4], datatype: 'INT8', parameters: { binary_data_size: 8 } }] };
  const short = binary(header, Buffer.alloc(5));
  let r = await rawRequest(s.url, { path: '/v2/models/tiny/infer', headers: { ...short.headers, ...bearer(s.key) }, body: short.body });
  assert.equal(codeOf(r), 'MG_TENSOR_DATA_LENGTH');
  const long = binary(header, Buffer.alloc(12));
  r = await rawRequest(s.url, { path: '/v2/models/tiny/infer', headers: { ...long.headers, ...bearer(s.key) }, body: long.body });
  assert.equal(codeOf(r), 'MG_TENSOR_DATA_LENGTH');
  const nan = Buffer.alloc(12);
  nan.writeFloatLE(Number.NaN, 4);
  const f = binary({ inputs: [{ name: 'v', shape: [3], datatype: 'FP32', parameters: { binary_data_size: 12 } }] }, nan);
  r = await rawRequest(s.url, { path: '/v2/models/vec/infer', headers: { ...f.headers, ...bearer(s.key) }, body: f.body });
  assert.equal(codeOf(r), 'MG_TENSOR_NOT_FINITE');
  const bad = binary(header, Buffer.alloc(8));
  r = await rawRequest(s.url, { path: '/v2/models/tiny/infer', headers: { ...bad.headers, 'inference-header-content-length': '9999', ...bearer(s.key) }, body: bad.body });
  assert.equal(r.status, 400);
  assert.equal(s.sim.requests.length, 0);
});

test('v2 admin endpoints (repository load/unload/index, shared memory, health) are 404 and never forwarded', async () => {
  s.sim.reset();
  const paths = [
    '/v2/repository/models/resnet50/load', '/v2/repository/models/resnet50/unload', '/v2/repository/index',
    '/v2/systemsharedmemory/region/r0/register', '/v2/cudasharedmemory/region/r0/register', '/v2/models/resnet50/ready',
    '/v2/models/resnet50/config', '/v2/trace/setting', '/v2/logging',
  ];
  for (const p of paths) {
    const r = await post(s.url, p, {}, bearer(s.key));
    assert.equal(r.status, 404, p);
    assert.equal(codeOf(r), 'MG_ROUTE_NOT_FOUND');
  }
  assert.equal(s.sim.requests.length, 0);
});

test("TorchServe's management API (/models, register, scale, delete) is 404 and never forwarded", async () => {
  s.sim.reset();
  for (const [method, path] of [['GET', '/models'], ['POST', '/models?url=evil.mar'], ['GET', '/models/resnet'], ['PUT', '/models/resnet?min_worker=100'], ['DELETE', '/models/resnet'], ['DELETE', '/models/resnet/1.0']] as const) {
    const r = await rawRequest(s.url, { method, path, headers: bearer(s.key) });
    assert.equal(r.status, 404, `${method} ${path}`);
  }
  const unknown = await rawRequest(s.url, { path: '/predictions/other', headers: { 'content-type': 'application/json', ...bearer(s.key) }, body: '{}' });
  assert.equal(codeOf(unknown), 'MG_MODEL_NOT_FOUND');
  assert.equal(s.sim.requests.length, 0);
});

test('a tensor request without a key or with a text content type is refused before its body is read', async () => {
  s.sim.reset();
  const r = await post(s.url, INFER, tensor('input', 'FP32', [1], [1]));
  assert.equal(codeOf(r), 'MG_AUTH_MISSING');
  const t = await rawRequest(s.url, { path: INFER, headers: { 'content-type': 'text/plain', ...bearer(s.key) }, body: 'x' });
  assert.equal(codeOf(t), 'MG_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(s.sim.requests.length, 0);
});

test('memory stayed within 100 MB of the baseline through every hostile request above', () => {
  const grew = memory.growth();
  assert.ok(grew < 100, `RSS grew ${grew.toFixed(1)} MB over the baseline`);
});
