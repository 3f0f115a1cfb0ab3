// Graceful shutdown of the real CLI process: SIGTERM while 20 streams are in flight. Readiness
// turns 503 at once, new connections are still served during the delay (with Connection: close),
// a request arriving after the delay gets 503 MG_SHUTTING_DOWN, idle keep-alive connections are
// closed, every stream ends with [DONE], every request has its access-log line, exit code 0.
// And with a timeout shorter than the streams: the deadline ends them with a final error event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { sim } from '../simulator/started.js';
import { loadConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { cliConfig, isAccessLog, startCli, type CliGateway } from './cli-process.js';

const CHAT = '/v1/chat/completions';

interface StreamRun {
  /** Resolves when the first SSE event has arrived. */
  first: Promise<void>;
  /** The whole body, once the stream has ended (or the connection was cut). */
  done: Promise<string>;
  ended: boolean;
}

function openStream(gw: CliGateway, maxTokens: number): StreamRun {
  let firstSeen!: () => void;
  const first = new Promise<void>((r) => { firstSeen = r; });
  const run: StreamRun = { first, done: Promise.resolve(''), ended: false };
  run.done = (async () => {
    const res = await fetch(gw.url + CHAT, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, max_tokens: maxTokens, messages: [{ role: 'user', content: 'tell me a story' }] }),
    });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let text = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
        if (text.includes('data:')) firstSeen();
      }
    } catch (err) {
      text += `\n<cut: ${(err as Error).message}>`;
    }
    run.ended = true;
    return text;
  })();
  return run;
}

/** A raw keep-alive connection: write requests, read one response at a time. */
class RawConn {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  private buf = '';
  private wake: (() => void) | null = null;

  constructor(url: string) {
    const u = new URL(url);
    this.socket = connect(Number(u.port), u.hostname);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => { this.buf += d; this.wake?.(); });
    this.closed = new Promise((r) => this.socket.on('close', () => { this.wake?.(); r(); }));
    this.socket.on('error', () => undefined);
  }

  /** The next response: status, lower-cased headers, body (Content-Length framed). */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...rest] = this.buf.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const h of rest) { const i = h.indexOf(':'); headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim(); }
        const len = Number(headers['content-length'] ?? 0);
        if (this.buf.length >= end + 4 + len) {
          const body = this.buf.slice(end + 4, end + 4 + len);
          this.buf = this.buf.slice(end + 4 + len);
          return { status: Number((statusLine as string).split(' ')[1]), headers, body };
        }
      }
      if (this.socket.destroyed) throw new Error(`connection closed; got: ${this.buf}`);
      await new Promise<void>((r) => { this.wake = r; });
    }
  }
}

function chatRequest(key: string, head = true, rest = true): string {
  const body = JSON.stringify({ max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });
  const first = `POST ${CHAT} HTTP/1.1\r\nHost: gw\r\n`;
  const more = `Authorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return (head ? first : '') + (rest ? more : '');
}

async function readyz(gw: CliGateway): Promise<number> {
  return (await fetch(`${gw.adminUrl}/readyz`)).status;
}

test('SIGTERM during 20 streams: readiness 503 at once, new connections served during the delay, every stream ends with [DONE], every line logged, exit 0', async () => {
  // 40 events 100 ms apart: each stream runs ~4 s, so all 20 are in flight when SIGTERM comes.
  const s = await sim({ slots: 32, eventDelayMs: 100 });
  const gw = await startCli(cliConfig(s.url, { server: 'shutdown: { delay: 3s, timeout: 60s }' }));
  try {
    assert.equal(await readyz(gw), 200);
    // An idle keep-alive connection (closed by the gateway once the listener closes), and one that
    // has begun its next request (answered 503 MG_SHUTTING_DOWN when the rest comes after the delay).
    const idle = new RawConn(gw.url);
    idle.socket.write(chatRequest(gw.key));
    assert.equal((await idle.response()).status, 200);
    const late = new RawConn(gw.url);
    late.socket.write(chatRequest(gw.key));
    const before = await late.response();
    assert.equal(before.status, 200);
    assert.notEqual(before.headers.connection, 'close');
    late.socket.write(chatRequest(gw.key, true, false));

    const streams = Array.from({ length: 20 }, () => openStream(gw, 40));
    await Promise.all(streams.map((r) => r.first));
    gw.child.kill('SIGTERM');

    // Readiness: 503 while the streams are still running (the figure "within 100 ms" is a bench number).
    let status = await readyz(gw);
    while (status === 200) status = await readyz(gw);
    assert.equal(status, 503);
    assert.equal(streams.filter((r) => r.ended).length, 0, 'readiness turned 503 before any stream ended');
    assert.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200, 'healthz stays 200 while the process lives');

    // A new connection during the delay is answered, with Connection: close.
    await gw.waitLine((l) => l.msg.startsWith('shutdown: draining'), 'draining line');
    const fresh = new RawConn(gw.url);
    fresh.socket.write(chatRequest(gw.key));
    const during = await fresh.response();
    assert.equal(during.status, 200, during.body);
    assert.equal(during.headers.connection, 'close');
    await fresh.closed;

    // After the delay: the idle connection is closed, the late request refused in shape.
    await gw.waitLine((l) => l.msg.startsWith('shutdown: listener closed'), 'listener closed line');
    await idle.closed;
    late.socket.write(chatRequest(gw.key, false, true));
    const refused = await late.response();
    assert.equal(refused.status, 503);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'MG_SHUTTING_DOWN');
    assert.equal(refused.headers.connection, 'close');
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(refused.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    await late.closed;

    const bodies = await Promise.all(streams.map((r) => r.done));
    for (const b of bodies) assert.match(b, /data: \[DONE\]\n\n$/, b.slice(-300));
    assert.equal(await gw.exited, 0, gw.stderr());

    const access = gw.lines.filter(isAccessLog);
    // 20 streams + idle + late's first + fresh + late's refused request.
    assert.equal(access.length, 24);
    assert.equal(access.filter((l) => l.status === 200 && l.complete === true).length, 23);
    assert.equal(access.filter((l) => l.code === 'MG_SHUTTING_DOWN').length, 1);
    for (const msg of ['shutdown: signal received', 'shutdown: draining', 'shutdown: listener closed', 'shutdown: complete']) {
      assert.ok(gw.lines.some((l) => l.msg.startsWith(msg)), msg);
    }
    assert.ok(!gw.lines.some((l) => l.msg.startsWith('shutdown: deadline')), 'nothing was cut');
  } finally {
    gw.child.kill('SIGKILL');
  }
});

test('a shutdown timeout shorter than the streams: each stream ends with an MG_SHUTTING_DOWN error event, a queued request gets 503, exit 0', async () => {
  // 200 events 100 ms apart (~20 s) against a 1 s timeout.
  const s = await sim({ slots: 32, eventDelayMs: 100 });
  const gw = await startCli(cliConfig(s.url, {
    server: 'shutdown: { delay: 0s, timeout: 1s }',
    upstream: '    maxConcurrent: 4\n    queue: { size: 4, timeout: 60s }',
  }));
  try {
    const streams = Array.from({ length: 4 }, () => openStream(gw, 200));
    await Promise.all(streams.map((r) => r.first));
    // A fifth request waits in the admission queue (4 slots) until the deadline.
    const queued = new RawConn(gw.url);
    queued.socket.write(chatRequest(gw.key));
    const queueLength = async (): Promise<string | undefined> => /modelgate_admission_queue_length\{upstream="llm"\} (\d+)/.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1];
    while (await queueLength() !== '1') { /* until the request waits for a slot */ }
    gw.child.kill('SIGTERM');
    const refused = await queued.response();
    assert.equal(refused.status, 503);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'MG_SHUTTING_DOWN');
    assert.equal(refused.headers.connection, 'close');

    const bodies = await Promise.all(streams.map((r) => r.done));
    assert.equal(await gw.exited, 0, gw.stderr());
    assert.ok(gw.lines.some((l) => l.msg.startsWith('shutdown: deadline')));
    assert.equal(gw.lines.filter(isAccessLog).length, 5);
    // The final event is written by the SSE relay when ctx.stop aborts (src/upstream/).
    for (const b of bodies) {
      assert.ok(!b.includes('[DONE]'), b.slice(-300));
      assert.ok(/data: \{"error":\{[^\n]*"code":"MG_SHUTTING_DOWN"[^\n]*\}\n\n$/.test(b), `no final MG_SHUTTING_DOWN event: …${b.slice(-200)}`);
    }
  } finally {
    gw.child.kill('SIGKILL');
  }
});

test('readiness is 503 until start-up is complete (here: waiting for an unreachable Redis), healthz 200 throughout', async () => {
  const s = await sim();
  // A port nothing listens on: the store never connects, start() gives up after its wait (store.onError).
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const deadPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  const yaml = cliConfig(s.url).replace('KEY_HASH', `sha256:${'a'.repeat(64)}`)
    + `store: { kind: redis, url: "redis://127.0.0.1:${deadPort}", onError: fail-open }\n`;
  const gw = createGateway(loadConfigText(yaml), { logger: createLogger('silent', { write: () => true }), defaultMetrics: false });
  try {
    const starting = gw.start();
    while (gw.adminUrl === '') await new Promise((r) => setImmediate(r));
    assert.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 503);
    assert.equal(gw.url, '', 'the public listener is not bound yet');
    await starting;
    assert.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 200);
  } finally {
    await gw.close();
  }
});
