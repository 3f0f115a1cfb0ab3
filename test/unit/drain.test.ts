// The lifecycle state behind /readyz and the shutdown: phases, in-flight counting until settle,
// and connections ended once their last response is over after the listener closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Lifecycle } from '../../src/server/drain.js';

test('phases: ready only while serving; draining from SIGTERM on; refusing once the listener closes', () => {
  const life = new Lifecycle();
  const seen = (): [boolean, boolean, boolean] => [life.isReady(), life.draining(), life.refusing()];
  assert.deepEqual(seen(), [false, false, false]);
  life.phase = 'ready';
  assert.deepEqual(seen(), [true, false, false]);
  life.phase = 'draining';
  assert.deepEqual(seen(), [false, true, false]);
  life.phase = 'closing';
  assert.deepEqual(seen(), [false, true, true]);
  life.phase = 'stopped';
  assert.deepEqual(seen(), [false, true, true]);
});

test('whenIdle waits for every request to be settled, not merely answered; ends are idempotent', async () => {
  const life = new Lifecycle();
  await life.whenIdle();
  const a = life.begin(null);
  const b = life.begin(null);
  let idle = false;
  const waiting = life.whenIdle().then(() => { idle = true; });
  a.responded();
  b.responded();
  a.settled();
  a.settled();
  await Promise.resolve();
  assert.equal(idle, false);
  assert.equal(life.inFlight, 1);
  b.settled();
  await waiting;
  assert.equal(life.inFlight, 0);
});

test('after the listener closed, a connection is ended when its last in-flight response is over', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  const [socket] = (await once(server, 'connection')) as [Socket];
  try {
    const life = new Lifecycle();
    life.phase = 'ready';
    const early = life.begin(socket);
    early.responded(); // before shutdown: the connection stays open (keep-alive)
    assert.equal(socket.writableEnded, false);
    const first = life.begin(socket);
    const second = life.begin(socket); // pipelined on the same connection
    life.phase = 'closing';
    first.responded();
    assert.equal(socket.writableEnded, false, 'another request is still in flight on it');
    second.responded();
    assert.equal(socket.writableEnded, true);
    await once(client, 'end');
  } finally {
    client.destroy();
    server.close();
  }
});
