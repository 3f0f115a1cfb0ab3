// Bounded response memory: answers stream through the gateway; only what the output filter and
// usage accounting need is held (a non-streamed OpenAI JSON answer, up to maxResponseBytes).
// The gateway runs in its own process so that only its memory is measured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { gatewayYaml, startGatewayProcess, type GatewayProcess } from '../gateway-proc.js';
import { post, bearer, codeOf } from '../helpers.js';

const MB = 1024 * 1024;
const SIZE = 60 * MB;
const CONCURRENT = 8;

let sim: Simulator;
let gw: GatewayProcess;
const key = generateKey();

before(async () => {
  sim = await startSimulator({ responseBytes: SIZE, slots: 16 });
  gw = await startGatewayProcess(gatewayYaml(keyHashLine(key), sim.url, `
  - path: /predictions/{model}
    protocol: torchserve
    upstream: llm
    models: { resnet: {} }`));
});
after(async () => {
  await gw?.close();
  await sim?.close();
});

/** POSTs and reads the answer to the end, counting bytes (never holding them). */
function download(path: string, body: string): Promise<{ status: number; bytes: number; tail: string; length: string | undefined }> {
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path, agent: false, headers: { ...bearer(key), 'content-type': 'application/json' } }, (res) => {
      let bytes = 0;
      let tail = '';
      res.on('data', (c: Buffer) => { bytes += c.length; tail = (tail + c.toString('latin1')).slice(-16); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, tail, length: res.headers['content-length'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test(`${CONCURRENT} concurrent ${SIZE / MB} MB upstream answers: RSS stays under 400 MB and comes back within 100 MB`, async () => {
  const start = await gw.rss();
  await gw.peak(); // reset the peak to now
  const got = await Promise.all(Array.from({ length: CONCURRENT }, () => download('/predictions/resnet', '{"a":1}')));
  for (const g of got) {
    assert.equal(g.status, 200);
    assert.equal(g.bytes, SIZE, 'every byte arrived');
    assert.equal(g.length, String(SIZE), "the upstream's Content-Length is kept");
    assert.ok(g.tail.endsWith('"]}]}'), 'the body ends as the upstream sent it');
  }
  const peak = await gw.peak();
  const end = await gw.rss();
  const report = `start ${(start / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB, after ${(end / MB).toFixed(0)} MB`;
  console.log(`# response memory: ${report}`);
  assert.ok(peak < 400 * MB, report);
  assert.ok(end - start < 100 * MB, report);
});

test(`a JSON chat answer over maxResponseBytes (16 MB default) is 502 MG_UPSTREAM_TOO_LARGE, never held`, async () => {
  const start = await gw.rss();
  await gw.peak();
  const body = { model: 'sim-llm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 };
  const rs = await Promise.all(Array.from({ length: CONCURRENT }, () => post(gw.url, '/v1/chat/completions', body, bearer(key))));
  for (const r of rs) {
    assert.equal(r.status, 502);
    assert.equal(codeOf(r), 'MG_UPSTREAM_TOO_LARGE');
    assert.equal((r.json as { request_id?: string }).request_id, r.headers['x-request-id']);
  }
  const peak = await gw.peak();
  const report = `start ${(start / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB`;
  console.log(`# too large: ${report}`);
  assert.ok(peak - start < 60 * MB, `held less than one answer in all: ${report}`);
});
