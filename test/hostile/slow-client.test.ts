// Attack class: slow clients. A body that trickles in slower than server.timeouts.body is cut
// with 408 MG_BODY_TIMEOUT; a client that stops mid-body is never forwarded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startStack, sleep, type Stack } from '../helpers.js';

let s: Stack;
before(async () => { s = await startStack({ server: 'timeouts: { body: 300ms, headers: 500ms }' }); });
after(async () => { await s.close(); });

function rawSocket(url: string): ReturnType<typeof connect> {
  const u = new URL(url);
  return connect(Number(u.port), u.hostname);
}

test('a body trickling in past the body timeout → 408 MG_BODY_TIMEOUT, not forwarded', async () => {
  const sock = rawSocket(s.url);
  let answer = '';
  sock.on('data', (d) => { answer += String(d); });
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"mess`);
  for (let i = 0; i < 10 && !answer; i++) { sock.write('a'); await sleep(100); }
  await Promise.race([closed, sleep(2000)]);
  sock.destroy();
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.match(answer, /MG_BODY_TIMEOUT/);
  assert.equal(s.sim.requests.length, 0);
});

test('a client that closes mid-body is never forwarded', async () => {
  const sock = rawSocket(s.url);
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"messages":`);
  await sleep(50);
  sock.destroy();
  await sleep(100);
  assert.equal(s.sim.requests.length, 0);
});

test('request smuggling: Content-Length with Transfer-Encoding is refused by the parser', async () => {
  const sock = rawSocket(s.url);
  let answer = '';
  sock.on('data', (d) => { answer += String(d); });
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.key}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n`);
  await Promise.race([closed, sleep(1000)]);
  sock.destroy();
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.match(answer, /"code":"MG_BAD_REQUEST"/);
  assert.equal(s.sim.requests.length, 0);
});

test('headers over the cap → 431 MG_HEADERS_TOO_LARGE', async () => {
  const sock = rawSocket(s.url);
  let answer = '';
  sock.on('data', (d) => { answer += String(d); });
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
  await Promise.race([closed, sleep(1000)]);
  sock.destroy();
  assert.match(answer, /^HTTP\/1\.1 431/);
  assert.match(answer, /"code":"MG_HEADERS_TOO_LARGE"/);
  assert.equal(s.sim.requests.length, 0);
});

test('headers trickling in past the headers timeout → 408 MG_HEADERS_TIMEOUT (slowloris)', async () => {
  const sock = rawSocket(s.url);
  let answer = '';
  sock.on('data', (d) => { answer += String(d); });
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
  for (let i = 0; i < 30 && !answer; i++) { sock.write(`X-Slow-${i}: 1\r\n`); await sleep(100); }
  await Promise.race([closed, sleep(500)]);
  sock.destroy();
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.match(answer, /"code":"MG_HEADERS_TIMEOUT"/);
});
