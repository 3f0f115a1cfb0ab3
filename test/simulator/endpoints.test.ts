import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '../../src/simulator/index.js';
import { sim } from './started.js';


function send(s: Simulator, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(s.url + path, { method, headers, body: body ?? null });
}

async function json<T = unknown>(res: Response): Promise<T> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as T;
}

interface V2Answer {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0x00, 0xfe]);

/** A v2 binary-extension body: JSON header, then the raw tensor bytes. */
function binaryV2(header: unknown, tensor: Buffer): { body: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([head, tensor]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) },
  };
}

describe('simulator: KServe v2 / Triton', () => {
  test('JSON infer: batch from the first input, version default "1", id echoed', async () => {
    const s = await sim();
    const req = { id: 'req-7', inputs: [{ name: 'input0', shape: [3, 4], datatype: 'FP32', data: new Array(12).fill(0.5) }] };
    const res = await send(s, 'POST', '/v2/models/resnet/infer', JSON.stringify(req), { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    const j = await json<V2Answer>(res);
    assert.equal(j.model_name, 'resnet');
    assert.equal(j.model_version, '1');
    assert.equal(j.id, 'req-7');
    assert.equal(j.outputs.length, 1);
    const out = j.outputs[0]!;
    assert.deepEqual([out.name, out.datatype, out.shape], ['output0', 'FP32', [3, 10]]);
    assert.equal(out.data.length, 30);
    assert.ok(out.data.every((v) => typeof v === 'number' && v >= 0 && v < 1));
    // Deterministic per model.
    const again = await json<V2Answer>(await send(s, 'POST', '/v2/models/resnet/infer', JSON.stringify(req)));
    assert.deepEqual(again.outputs, j.outputs);
  });

  test('versioned infer, no inputs = batch 1, no id field, model name decoded, query string', async () => {
    const s = await sim();
    const j = await json<V2Answer>(await send(s, 'POST', '/v2/models/my%20model/versions/3/infer?trace=1', '{}'));
    assert.equal(j.model_name, 'my model');
    assert.equal(j.model_version, '3');
    assert.equal('id' in j, false);
    assert.deepEqual(j.outputs[0]?.shape, [1, 10]);
    assert.equal(j.outputs[0]?.data.length, 10);
  });

  test('binary tensor extension: header parsed, batch from shape, bytes recorded exactly', async () => {
    const s = await sim();
    const tensor = Buffer.alloc(2 * 3 * 4);
    for (let i = 0; i < tensor.length; i++) tensor[i] = (i * 37 + 0x80) & 0xff; // not valid UTF-8
    const { body, headers } = binaryV2(
      { inputs: [{ name: 'input0', shape: [2, 3], datatype: 'FP32', parameters: { binary_data_size: tensor.length } }] },
      tensor,
    );
    const res = await send(s, 'POST', '/v2/models/bin/infer', body, headers);
    assert.equal(res.status, 200);
    const j = await json<V2Answer>(res);
    assert.deepEqual(j.outputs[0]?.shape, [2, 10]);
    assert.equal(j.outputs[0]?.data.length, 20);
    const rec = s.requests.at(-1)!;
    assert.equal(rec.path, '/v2/models/bin/infer');
    assert.ok(Buffer.isBuffer(rec.bytes));
    assert.ok(rec.bytes.equals(body));
    assert.equal(rec.body, body.toString('utf8'));
  });

  test('refusals: malformed JSON, bad header, binary size mismatch → 400 { error }', async () => {
    const s = await sim();
    const bad = await send(s, 'POST', '/v2/models/m/infer', '{"inputs": [', { 'content-type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.equal(typeof (await json<{ error: string }>(bad)).error, 'string');

    const notObject = await send(s, 'POST', '/v2/models/m/infer', '[1,2]');
    assert.equal(notObject.status, 400);

    const hdr = await send(s, 'POST', '/v2/models/m/infer', '{}', { 'inference-header-content-length': '99' });
    assert.equal(hdr.status, 400);
    assert.match((await json<{ error: string }>(hdr)).error, /exceeds/);

    const { body, headers } = binaryV2({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] }, Buffer.alloc(12));
    const mismatch = await send(s, 'POST', '/v2/models/m/infer', body, headers);
    assert.equal(mismatch.status, 400);
    assert.match((await json<{ error: string }>(mismatch)).error, /16 bytes.*12/);
    assert.equal(s.requests.length, 4); // refused requests are recorded too
  });

  test('metadata, health, server metadata', async () => {
    const s = await sim();
    const meta = await json<{ name: string; versions: string[]; platform: string; inputs: unknown[]; outputs: unknown[] }>(
      await send(s, 'GET', '/v2/models/resnet'),
    );
    assert.equal(meta.name, 'resnet');
    assert.deepEqual(meta.versions, ['1']);
    assert.equal(typeof meta.platform, 'string');
    assert.ok(meta.inputs.length > 0 && meta.outputs.length > 0);
    for (const p of ['/v2/health/ready', '/v2/health/live', '/v2/models/resnet/ready']) {
      const r = await send(s, 'GET', p);
      assert.equal(r.status, 200, p);
      assert.equal(await r.text(), '', p);
    }
    const server = await json<{ name: string; extensions: string[] }>(await send(s, 'GET', '/v2'));
    assert.ok(server.extensions.includes('binary_tensor_data'));
  });

  test('admin endpoints answer 200 at once (no slot) and are recorded', async () => {
    const s = await sim({ slots: 1, msPerRequest: 5000 });
    // Hold the only slot: admin answers must not wait behind it.
    const ctl = new AbortController();
    const held = fetch(s.url + '/v2/models/m/infer', { method: 'POST', body: '{}', signal: ctl.signal }).catch(() => undefined);
    while (s.maxInFlightSeen < 1) await new Promise((r) => setTimeout(r, 5));
    const admin: Array<[string, string, unknown]> = [
      ['POST', '/v2/repository/index', []],
      ['POST', '/v2/repository/models/resnet/load', {}],
      ['POST', '/v2/repository/models/resnet/unload', {}],
      ['POST', '/v2/systemsharedmemory/region/shm0/register', {}],
      ['POST', '/v2/cudasharedmemory/region/cuda0/register', {}],
    ];
    for (const [method, path, expected] of admin) {
      const res = await send(s, method, path, '{"key":"/dev/shm/x","offset":0,"byte_size":64}', { 'content-type': 'application/json' });
      assert.equal(res.status, 200, path);
      assert.deepEqual(await json(res), expected, path);
    }
    const config = await json<{ name: string }>(await send(s, 'GET', '/v2/models/resnet/config'));
    assert.equal(config.name, 'resnet');
    const stats = await json<{ model_stats: unknown[] }>(await send(s, 'GET', '/v2/models/stats'));
    assert.equal(stats.model_stats.length, 1);
    const paths = s.requests.map((r) => `${r.method} ${r.path}`);
    for (const [method, path] of admin) assert.ok(paths.includes(`${method} ${path}`), path);
    const shm = s.requests.find((r) => r.path === '/v2/systemsharedmemory/region/shm0/register')!;
    assert.equal(shm.body, '{"key":"/dev/shm/x","offset":0,"byte_size":64}');
    ctl.abort();
    await held;
  });

  test('wrong method → 405 with allow; unknown paths → 404', async () => {
    const s = await sim();
    const r = await send(s, 'GET', '/v2/models/m/infer');
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST');
    await r.body?.cancel();
    for (const p of ['/v2/models/m/explain', '/v2/models//infer', '/v2/nope', '/predictions', '/nope']) {
      const nf = await send(s, 'POST', p, '{}');
      assert.equal(nf.status, 404, p);
      await nf.body?.cancel();
    }
    assert.equal(s.requests.length, 6);
  });

  test('failure modes apply to the new routes', async () => {
    const s = await sim({ mode: 'error-500' });
    const e500 = await send(s, 'POST', '/v2/models/m/infer', '{}');
    assert.equal(e500.status, 500);
    assert.match(await e500.text(), /Traceback/);
    const p500 = await send(s, 'POST', '/predictions/resnet', PNG, { 'content-type': 'image/png' });
    assert.equal(p500.status, 500);
    await p500.body?.cancel();
    s.options.mode = 'error-503';
    const e503 = await send(s, 'POST', '/v2/models/m/versions/2/infer', '{}');
    assert.equal(e503.status, 503);
    await e503.body?.cancel();
    s.options.mode = 'reset';
    await assert.rejects(send(s, 'POST', '/analyze', PNG, { 'content-type': 'image/png' }));
    s.options.mode = 'hang';
    const ctl = new AbortController();
    const hanging = fetch(s.url + '/v2/models/m/infer', { method: 'POST', body: '{}', signal: ctl.signal });
    while (s.inFlight < 1) await new Promise((r) => setTimeout(r, 5)); // received (the test's cap ends a hang)
    assert.equal(s.inFlight, 1);
    ctl.abort();
    await assert.rejects(hanging);
    s.options.mode = 'normal';
    assert.equal((await send(s, 'POST', '/v2/models/m/infer', '{}')).status, 200);
    assert.equal(s.requests.length, 6);
  });

  test('msPerRequest holds a slot; slots queue FIFO', async () => {
    const s = await sim({ slots: 1, msPerRequest: 40 });
    const t0 = performance.now();
    const all = await Promise.all([0, 1, 2].map(() => send(s, 'POST', '/v2/models/m/infer', '{}')));
    const elapsed = performance.now() - t0;
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(s.maxInFlightSeen, 1);
    assert.ok(elapsed >= 110, `3 requests × 40 ms on one slot took ${elapsed} ms`);
  });
});

describe('simulator: TorchServe', () => {
  test('predictions: image (by content type or magic bytes), JSON and text bodies', async () => {
    const s = await sim();
    const img = await json<{ predictions: Array<{ label: string; score: number }>; bytes: number }>(
      await send(s, 'POST', '/predictions/resnet', PNG, { 'content-type': 'application/octet-stream' }),
    );
    assert.deepEqual(img, { predictions: [{ label: 'tabby', score: 0.87 }], bytes: PNG.length });
    const jpegType = await json<{ predictions: unknown[] }>(await send(s, 'POST', '/predictions/resnet/2.0', 'abc', { 'content-type': 'image/jpeg' }));
    assert.deepEqual(jpegType.predictions, [{ label: 'tabby', score: 0.87 }]);
    const j = await json(await send(s, 'POST', '/predictions/bert', '{"text":"héllo"}', { 'content-type': 'application/json' }));
    assert.deepEqual(j, { predictions: [{ text: 'héllo' }], bytes: Buffer.byteLength('{"text":"héllo"}') });
    const t = await json(await send(s, 'POST', '/predictions/bert', 'plain words', { 'content-type': 'text/plain' }));
    assert.deepEqual(t, { predictions: ['plain words'], bytes: 11 });
    assert.ok(s.requests[0]!.bytes.equals(PNG));
  });

  test('ping and management API answer 200 and are recorded', async () => {
    const s = await sim();
    assert.deepEqual(await json(await send(s, 'GET', '/ping')), { status: 'Healthy' });
    const list = await json<{ models: Array<{ modelName: string }> }>(await send(s, 'GET', '/models'));
    assert.ok(list.models.length > 0);
    const reg = await json<{ status: string }>(await send(s, 'POST', '/models?url=https://x.example/evil.mar&initial_workers=2'));
    assert.match(reg.status, /"evil".*registered with 2 initial workers/);
    const desc = await json<Array<{ modelName: string; modelVersion: string }>>(await send(s, 'GET', '/models/resnet/2.0'));
    assert.deepEqual([desc[0]?.modelName, desc[0]?.modelVersion], ['resnet', '2.0']);
    for (const [method, path] of [
      ['GET', '/models/resnet'],
      ['PUT', '/models/resnet?min_worker=3'],
      ['PUT', '/models/resnet/2.0'],
      ['DELETE', '/models/resnet'],
      ['DELETE', '/models/resnet/2.0'],
      ['PUT', '/models/resnet/2.0/set-default'],
    ] as const) {
      const res = await send(s, method, path);
      assert.equal(res.status, 200, `${method} ${path}`);
      const body = await json(res);
      if (method !== 'GET') assert.equal(typeof (body as { status: unknown }).status, 'string');
    }
    const wrong = await send(s, 'PATCH', '/models/resnet');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, PUT, DELETE');
    await wrong.body?.cancel();
    assert.deepEqual(
      s.requests.map((r) => `${r.method} ${r.path}`),
      [
        'GET /ping', 'GET /models', 'POST /models?url=https://x.example/evil.mar&initial_workers=2', 'GET /models/resnet/2.0',
        'GET /models/resnet', 'PUT /models/resnet?min_worker=3', 'PUT /models/resnet/2.0', 'DELETE /models/resnet',
        'DELETE /models/resnet/2.0', 'PUT /models/resnet/2.0/set-default', 'PATCH /models/resnet',
      ],
    );
  });
});

describe('simulator: image endpoint', () => {
  test('raw image and multipart bodies to /analyze: bytes counted, content type echoed', async () => {
    const s = await sim();
    const raw = await json(await send(s, 'POST', '/analyze', PNG, { 'content-type': 'image/png' }));
    assert.deepEqual(raw, { ok: true, bytes: PNG.length, contentType: 'image/png' });

    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'cat.png');
    form.append('note', 'hello');
    const res = await fetch(s.url + '/analyze?v=1', { method: 'POST', body: form });
    const mp = await json<{ ok: boolean; bytes: number; contentType: string }>(res);
    const rec = s.requests.at(-1)!;
    assert.equal(mp.ok, true);
    assert.match(mp.contentType, /^multipart\/form-data; boundary=/);
    assert.equal(mp.bytes, rec.bytes.length);
    assert.ok(rec.bytes.includes(PNG));
    assert.equal(s.requests[0]!.bytes.equals(PNG), true);

    const get = await send(s, 'GET', '/analyze');
    assert.equal(get.status, 405);
    await get.body?.cancel();
  });

  test('imagePaths option replaces the default path', async () => {
    const s = await sim({ imagePaths: ['/v1/vision/detect', '/upload'] });
    for (const p of ['/v1/vision/detect', '/upload']) {
      const j = await json<{ bytes: number }>(await send(s, 'POST', p, Buffer.alloc(1000), { 'content-type': 'image/jpeg' }));
      assert.equal(j.bytes, 1000);
    }
    const old = await send(s, 'POST', '/analyze', PNG);
    assert.equal(old.status, 404);
    await old.body?.cancel();
    // The default list is not shared between simulators.
    const other = await sim();
    other.options.imagePaths.push('/extra');
    assert.deepEqual((await sim()).options.imagePaths, ['/analyze']);
  });

  test('OpenAI routes unchanged, and record bytes too', async () => {
    const s = await sim();
    const body = JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: 'hi' }] });
    const res = await send(s, 'POST', '/v1/chat/completions', body, { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    await res.json();
    assert.equal(s.requests[0]!.body, body);
    assert.ok(s.requests[0]!.bytes.equals(Buffer.from(body)));
    const get = await send(s, 'GET', '/health');
    assert.deepEqual(await get.json(), { status: 'ok' });
  });
});
