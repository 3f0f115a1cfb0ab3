// The shutdown deadline (RequestContext.stop): an answer not started becomes 503
// MG_SHUTTING_DOWN, a stream gets a final MG_SHUTTING_DOWN event and ends, and the upstream
// request is aborted. The gateway is built with its own `stop` signal, aborted by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { bearer, chat, codeOf, post, sleep } from '../helpers.js';
import { gatewayYaml } from '../gateway-proc.js';

interface Stopped { gw: Gateway; sim: Simulator; key: string; stop: AbortController; close(): Promise<void> }

async function start(sim: SimulatorOptions, target?: string): Promise<Stopped> {
  const s = await startSimulator(sim);
  const key = generateKey();
  const stop = new AbortController();
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const gw = createGateway(loadConfigText(gatewayYaml(keyHashLine(key), target ?? s.url)), { logger: createLogger('info', sink), defaultMetrics: false, stop: stop.signal });
  await gw.start();
  return { gw, sim: s, key, stop, async close() { await gw.close(); await s.close(); } };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !cond(); waited += 10) {
    if (waited > 10_000) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a stream at the deadline gets a final MG_SHUTTING_DOWN event and ends; the upstream request is aborted', async () => {
  const t = await start({ eventDelayMs: 20 });
  try {
    const res = await fetch(`${t.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(t.key) },
      body: JSON.stringify(chat('a long story', { max_tokens: 2000, stream: true })),
    });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let text = dec.decode((await reader.read()).value);
    assert.equal(t.sim.inFlight, 1);
    t.stop.abort();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    const last = JSON.parse((events.at(-1) as string).slice(6)) as { error?: { code?: string }; request_id?: string };
    assert.equal(last.error?.code, 'MG_SHUTTING_DOWN');
    assert.equal(last.request_id, res.headers.get('x-request-id'));
    assert.ok(!text.includes('[DONE]'));
    await until(() => t.sim.inFlight === 0, 'the upstream request to be aborted');
  } finally { await t.close(); }
});

test('an answer not started at the deadline is 503 MG_SHUTTING_DOWN; the upstream request is aborted', async () => {
  const t = await start({ mode: 'hang' });
  try {
    const pending = post(t.gw.url, '/v1/chat/completions', chat('hi'), bearer(t.key));
    await until(() => t.sim.inFlight === 1, 'the request to reach the upstream');
    t.stop.abort();
    const r = await pending;
    assert.equal(r.status, 503);
    assert.equal(codeOf(r), 'MG_SHUTTING_DOWN');
    assert.equal((r.json as { request_id?: string }).request_id, r.headers['x-request-id']);
    await until(() => t.sim.inFlight === 0, 'the upstream request to be aborted');
    // After the deadline nothing more is forwarded.
    const later = await post(t.gw.url, '/v1/chat/completions', chat('hi'), bearer(t.key));
    assert.equal(codeOf(later), 'MG_SHUTTING_DOWN');
    assert.equal(t.sim.requests.length, 1);
  } finally { await t.close(); }
});

test('a non-streamed answer being read at the deadline is 503 MG_SHUTTING_DOWN too', async () => {
  // An upstream that sends its status and part of a JSON body, then stalls.
  let upstreamClosed = false;
  let answering = 0;
  const stalled: Server = createServer((req, res) => {
    answering++;
    req.resume();
    res.on('close', () => { upstreamClosed = true; });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"choices":[');
  });
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
  const t = await start({}, `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`);
  try {
    const pending = post(t.gw.url, '/v1/chat/completions', chat('hi'), bearer(t.key));
    await until(() => answering === 1, 'the upstream to start answering');
    t.stop.abort();
    const r = await pending;
    assert.equal(r.status, 503);
    assert.equal(codeOf(r), 'MG_SHUTTING_DOWN');
    await until(() => upstreamClosed, 'the upstream request to be aborted');
  } finally {
    await t.close();
    stalled.closeAllConnections();
    await new Promise<void>((r) => stalled.close(() => r()));
  }
});
