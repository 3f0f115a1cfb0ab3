// Attack class: early refusals and the unread rest of a body. After a `Connection: close` refusal
// the gateway keeps reading and discarding the body (so the client reads the refusal, not a reset),
// within bounds (bytes, idle time, total time) an attacker cannot stretch, and never parses what
// it discards. The bound tests run the public listener's own server (wire.ts) with small bounds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { startStack, type Stack } from '../helpers.js';
import { collect, head, openSocket } from '../wire-client.js';
import { wireOptions } from '../../src/server/wire.js';
import { loadConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import type { LingerBounds } from '../../src/server/linger.js';

let s: Stack;
before(async () => { s = await startStack({ logLevel: 'warn' }); });
after(async () => { await s.close(); });

test('a client that sends all of a 20 MB body after an early 401 reads the 401, no reset', async () => {
  s.sim.reset();
  const socket = await openSocket(s.url);
  const done = collect(socket);
  const body = Buffer.alloc(20 * 1024 * 1024, 'a');
  const sent = new Promise<Error | null | undefined>((resolve) => {
    socket.write(head('POST', '/v1/chat/completions', { authorization: 'Bearer wrong', 'content-type': 'application/json', 'content-length': body.length }));
    socket.write(body, resolve);
  });
  const written = await sent;
  assert.ok(written === null || written === undefined, `the whole body was accepted: ${String(written)}`);
  socket.end();
  const r = await done;
  assert.equal(r.error, null, 'closed cleanly');
  assert.equal(r.responses.length, 1);
  assert.equal(r.responses[0]?.status, 401);
  assert.equal(r.responses[0]?.headers.connection, 'close');
  assert.equal(s.sim.requests.length, 0);
});

// --- the bounds, on the listener's own server with a handler that refuses at once --------------

const serverConfig = loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
auth: { keys: [] }
upstreams: { llm: { targets: ["http://127.0.0.1:9"] } }
routes: [{ path: /v1/chat/completions, protocol: openai-chat, upstream: llm }]
`).server;

async function refusingServer(bounds: LingerBounds): Promise<{ url: string; server: Server; handled: () => number; closed: Promise<void> }> {
  let n = 0;
  let onClose: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { onClose = resolve; });
  const wire = wireOptions({ server: serverConfig, logger: createLogger('silent'), onRefused: () => undefined, linger: bounds });
  const server = wire.serverFactory((req, res) => {
    n++;
    res.writeHead(401, { connection: 'close', 'content-length': '2' });
    res.end('no');
  });
  server.on('connection', (socket: Socket) => socket.once('close', onClose));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, server, handled: () => n, closed };
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

test('discarded bytes are never parsed as a request', async () => {
  const srv = await refusingServer({ timeMs: 30_000, idleMs: 5_000, maxBytes: 1 << 20 });
  try {
    const socket = await openSocket(srv.url);
    const done = collect(socket);
    socket.write(head('POST', '/x', { 'content-length': 10 }) + '0123');
    const first = await new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
    assert.match(first, /^HTTP\/1\.1 401/);
    socket.end('456789' + head('POST', '/smuggled', { 'content-length': 0 }) + head('GET', '/again', {}));
    const r = await done;
    await srv.closed;
    assert.equal(r.responses.length, 1);
    assert.equal(srv.handled(), 1, 'only the first request reached the handler');
  } finally { await stop(srv.server); }
});

test('lingering stops after maxBytes: the socket is closed while the client still sends', async () => {
  const srv = await refusingServer({ timeMs: 30_000, idleMs: 5_000, maxBytes: 256 * 1024 });
  try {
    const socket = await openSocket(srv.url, true);
    const done = collect(socket);
    socket.write(head('POST', '/x', { 'content-length': 64 * 1024 * 1024 }));
    // Keep sending until the server is gone (its close is the event this test waits for).
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = (): void => { while (!socket.destroyed && socket.write(chunk)); };
    socket.on('drain', pump);
    pump();
    await srv.closed;
    const r = await done;
    assert.equal(r.responses[0]?.status, 401, 'the refusal arrived first');
    assert.equal(srv.handled(), 1);
  } finally { await stop(srv.server); }
});

test('lingering stops after idleMs without bytes', async () => {
  const srv = await refusingServer({ timeMs: 30_000, idleMs: 200, maxBytes: 1 << 20 });
  try {
    const socket = await openSocket(srv.url, true);
    const done = collect(socket);
    socket.write(head('POST', '/x', { 'content-length': 1_000_000 }) + 'partial');
    await srv.closed;
    assert.ok(!socket.writableEnded, 'the client never finished: the server closed on its idle bound');
    socket.end();
    const r = await done;
    assert.equal(r.responses[0]?.status, 401);
  } finally { await stop(srv.server); }
});

test('lingering stops after timeMs even if bytes keep trickling in', async () => {
  const srv = await refusingServer({ timeMs: 300, idleMs: 10_000, maxBytes: 1 << 20 });
  try {
    const socket = await openSocket(srv.url, true);
    const done = collect(socket);
    socket.write(head('POST', '/x', { 'content-length': 1_000_000 }));
    // One byte whenever the previous one was flushed: never idle, never near maxBytes.
    const drip = (): void => { if (!socket.destroyed) socket.write('a', () => setImmediate(drip)); };
    drip();
    await srv.closed;
    assert.ok(!socket.writableEnded, 'the client never finished: the server closed on its time bound');
    socket.destroy();
    const r = await done;
    assert.equal(r.responses[0]?.status, 401);
  } finally { await stop(srv.server); }
});
