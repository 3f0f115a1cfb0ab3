// Slow readers cannot hold the GPU: a client that stops reading has at most a bounded amount
// buffered for it; after server.timeouts.send without accepting a byte it is disconnected, its
// GPU slot goes back, and what was generated for it is charged. Legitimate traffic meanwhile
// succeeds. (The latency comparison is a benchmark: bench/slow-readers.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startStack, post, bearer, chat, sleep, type Stack } from '../helpers.js';
import type { Admission } from '../../src/upstream/admission.js';

/** 4,096 generated pieces of 2 KB each (~8 MB a stream): far more than socket buffers take. */
const PIECE = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(27).slice(0, 2048);
const CHUNKS = Array.from({ length: 4096 }, () => PIECE);
const NON_READERS = 4;

let s: Stack;
before(async () => {
  s = await startStack({
    server: 'timeouts: { send: 1s }',
    upstream: '    maxConcurrent: 8',
    sim: { slots: 8, responseChunks: CHUNKS },
  });
});
after(async () => { await s.close(); });

/** Polls `cond` until true (an event the test waits for), failing after `what` takes too long. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 20) {
    if (waited > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface NonReader { sock: Socket; closed: Promise<string>; }

/** Sends a 4,096-token stream request on a raw socket and never reads (until resume()). */
function nonReader(url: string, key: string): NonReader {
  const u = new URL(url);
  const sock = connect(Number(u.port), u.hostname);
  const body = JSON.stringify(chat('tell me a very long story', { max_tokens: 4096, stream: true }));
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  sock.pause();
  let tail = '';
  let head = '';
  const closed = new Promise<string>((resolve) => {
    sock.on('data', (c: Buffer) => {
      if (head.length < 2048) head += c.toString('latin1');
      tail = (tail + c.toString('latin1')).slice(-200);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(`${head.slice(0, 2048)}\n...\n${tail}`));
  });
  return { sock, closed };
}

test('4 non-readers on 8 slots: cut after the send timeout, slots back, charged; legitimate requests all succeed', async () => {
  const adm = s.gw.admissions.get('llm') as Admission;
  const logStart = s.logs.length;
  const readers = Array.from({ length: NON_READERS }, () => nonReader(s.url, s.key));
  // Legitimate traffic while they hold on: streamed and not, 4 at a time.
  let ok = 0;
  let total = 0;
  const legit = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      const r = await post(s.url, '/v1/chat/completions', chat('hi', { max_tokens: 8, stream: i % 2 === 0 }), bearer(s.key));
      total++;
      if (r.status === 200 && (i % 2 === 1 || r.body.trimEnd().endsWith('data: [DONE]'))) ok++;
    }
  };
  await Promise.all([legit(), legit(), legit(), legit()]);
  assert.equal(ok, total, 'every legitimate request succeeded');

  // The gateway cuts each non-reader (it logs the cut), then its slot is back.
  const cuts = (): string[] => s.logs.slice(logStart).filter((l) => l.includes('client accepted no bytes'));
  await until(() => cuts().length === NON_READERS, 'the non-readers to be cut');
  await until(() => adm.slotsInUse === 0, 'every GPU slot to be released');
  assert.equal(adm.queueLength, 0);

  // Their sockets were closed by the gateway: reading what is left ends in a close, without [DONE].
  const ids = new Set<string>();
  for (const r of readers) {
    r.sock.resume();
    const seen = await r.closed;
    assert.match(seen, /^HTTP\/1\.1 200/);
    assert.ok(!seen.includes('[DONE]'), 'the stream did not complete');
    const id = /x-request-id: ([0-9a-f-]{36})/i.exec(seen)?.[1];
    assert.ok(id !== undefined);
    ids.add(id);
  }
  const cutIds = new Set(cuts().map((l) => (JSON.parse(l) as { reqId: string }).reqId));
  assert.deepEqual(cutIds, ids, 'exactly the non-readers were cut');

  // Charged: each has an access-log line with the generated text counted (well above the prompt).
  const accessOf = (id: string): { status: number; complete: boolean; cost?: { estimate: number; actual: number } } | undefined => {
    const line = s.logs.slice(logStart).find((l) => l.includes(`"reqId":"${id}"`) && l.includes('"msg":"request"'));
    return line === undefined ? undefined : JSON.parse(line) as { status: number; complete: boolean; cost?: { estimate: number; actual: number } };
  };
  await until(() => [...ids].every((id) => accessOf(id) !== undefined), 'the access-log lines');
  for (const id of ids) {
    const a = accessOf(id);
    assert.equal(a?.status, 200);
    assert.equal(a?.complete, false);
    assert.ok((a?.cost?.actual ?? 0) > 1000, `charged for what was generated: ${JSON.stringify(a?.cost)}`);
  }
});
