// Writes of a streamed answer (upstream/send-timeout.ts, ClientSink.coalesce): what the gateway
// writes to a client in one turn of the event loop goes out in one write, so a stream that
// arrives whole costs one system call, not three (headers, events, last chunk); and corking
// never holds the headers back until the first event when the upstream is slow to produce it.
// A raw TCP upstream answers in exactly the writes each test chooses; a raw TCP client sees
// how the gateway's bytes arrive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { jsonPost, openSocket, waitFor } from '../wire-client.js';

const EVENTS = 20;

/** Write-like system calls of this process so far (Linux: /proc/self/io "syscw"), or NaN. */
function writeCalls(): number {
  try {
    return Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return Number.NaN;
  }
}
const NO_SYSCW = Number.isNaN(writeCalls()) ? 'needs /proc/self/io (Linux) to count system calls' : false;
if (NO_SYSCW !== false) process.stdout.write(`# NOTICE: stream-writes: the write-count test is skipped: ${NO_SYSCW}\n`);

function sseBody(): string {
  let body = '';
  for (let i = 0; i < EVENTS; i++) {
    body += `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `tok${i} ` }, finish_reason: null }] })}\n\n`;
  }
  return `${body}data: [DONE]\n\n`;
}

const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
const chunked = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

/** Per request, the upstream either answers whole in one write, or sends its headers and waits for `release`. */
let mode: 'whole' | 'headers-first' = 'whole';
let release: (() => void) | null = null;
let upstream: Server;
let gw: Gateway;
let key: string;

function answer(socket: Socket): void {
  if (mode === 'whole') {
    socket.write(HEAD + chunked(sseBody()) + '0\r\n\r\n');
    return;
  }
  socket.write(HEAD);
  release = () => socket.write(chunked(sseBody()) + '0\r\n\r\n');
}

before(async () => {
  upstream = createServer((socket) => {
    let buf = '';
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        answer(socket);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  key = generateKey();
  const logs: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } });
  gw = createGateway(loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
auth:
  keys:
    - { id: k, hash: "${keyHashLine(key)}" }
upstreams:
  llm:
    targets: ["http://127.0.0.1:${(upstream.address() as AddressInfo).port}"]
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, injection: { action: block } }
`), { logger: createLogger('info', sink), defaultMetrics: false });
  await gw.start();
});

after(async () => {
  await gw.close();
  await new Promise<void>((r) => upstream.close(() => r()));
});

const request = (): string => jsonPost('/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'Count to twenty.' }], stream: true }), {
  authorization: `Bearer ${key}`,
});

test('a stream that arrives whole reaches the client in one write: headers, every event and the last chunk', { skip: NO_SYSCW }, async () => {
  mode = 'whole';
  const deltas: number[] = [];
  for (let i = 0; i < 10; i++) {
    const socket = await openSocket(gw.url);
    const w0 = writeCalls();
    const reads: string[] = [];
    socket.on('data', (c: Buffer) => reads.push(c.toString('latin1')));
    socket.write(request());
    await waitFor(socket, '\r\n0\r\n\r\n');
    deltas.push(writeCalls() - w0);
    socket.destroy();
    const text = reads.join('');
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.equal(text.split('data: {').length - 1, EVENTS, 'every event relayed');
    assert.ok(text.includes('data: [DONE]'));
  }
  // Every gateway, upstream and client of this test lives in this process, so a request costs at
  // least four writes: the client's request, the gateway's request upstream, the upstream's answer
  // (one write, by construction) and the gateway's answer. Before coalescing the gateway's answer
  // was two or three writes (headers; events; last chunk). The first request also opens
  // connections; anything else the process writes (a timer's wake-up) only adds, so the fewest
  // over the later requests is the count to check.
  assert.equal(Math.min(...deltas.slice(1)), 4, `write calls per request: ${deltas.join(', ')}`);
});

test('headers are not held back while the upstream has not sent its first event', async () => {
  mode = 'headers-first';
  release = null;
  const socket = await openSocket(gw.url);
  const seen = waitFor(socket, '\r\n\r\n');
  socket.write(request());
  // The client has the status line and headers while the upstream still holds every event.
  const head = await seen;
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.ok(!head.includes('data:'), 'no event was sent yet');
  const send = release as (() => void) | null;
  assert.ok(send !== null, 'the upstream is holding its events');
  const rest = waitFor(socket, '\r\n0\r\n\r\n');
  send();
  const text = await rest;
  assert.equal(text.split('data: {').length - 1, EVENTS);
  socket.destroy();
});
