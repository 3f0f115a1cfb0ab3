/**
 * Pooled checks through a real gateway, for any kind of pooled request. `samePooledAsInline`:
 * every case gets the same answer from a gateway whose pool checks it as from one that checks it
 * inline, a refused one never reaches the model server. `busyThenCrash`: the pool's two failure
 * answers — with one
 * thread held and no queue, a second request is refused at once (503 MG_GATEWAY_BUSY,
 * Retry-After: 1), and a thread that dies mid-check fails closed (500 MG_POLICY_ERROR, nothing
 * internal said); neither reaches the model server, both are counted, and a new thread answers
 * the next request.
 */
import assert from 'node:assert/strict';
import { startStack, type RawResponse, type Stack, type StackOptions } from '../helpers.js';
import { waitFor } from '../wait.js';
import { Hold } from './hold-worker.js';
import { CRASH_WORKER } from './crash-worker.js';
import { gatewayPoolTasks } from './pool-telemetry.js';

/**
 * Two gateways with the same options: one whose pool checks what `pooledWorkers` sends to it (a
 * `workers:` mapping's inner keys, threads 1), one with no pool (threads 0), the pool open.
 */
export async function startPooledAndInline(opts: StackOptions, pooledWorkers: string): Promise<{ pooled: Stack; inline: Stack; close(): Promise<void> }> {
  const pooled = await startStack({ ...opts, extra: `workers: { threads: 1, ${pooledWorkers} }` });
  const inline = await startStack({ ...opts, extra: 'workers: { threads: 0 }' });
  await pooled.gw.scanPool?.whenOpen();
  return { pooled, inline, close: async () => { await Promise.all([pooled.close(), inline.close()]); } };
}

/** Status, error code, type and message: all a client sees of a refusal (the request id aside). */
export function seen(r: RawResponse): unknown {
  const e = (r.json as { error?: { code?: string; type?: string; message?: string } } | undefined)?.error;
  return { status: r.status, code: e?.code, type: e?.type, message: e?.message, retryAfter: r.headers['retry-after'] };
}

export interface Sent<U> { r: RawResponse; upstream: U | null }

/** Runs both; returns the held request's answer and the crashed one's, for the caller's own checks. */
export async function busyThenCrash<U>(s: Stack, hold: Hold, task: string, send: (which: 'first' | 'second' | 'crash') => Promise<Sent<U>>): Promise<{ done: Sent<U>; crashed: Sent<U> }> {
  const first = send('first');
  await waitFor(() => hold.started === 1, 'the first check is running (held)');
  const busy = await send('second');
  assert.deepEqual(seen(busy.r), { status: 503, code: 'MG_GATEWAY_BUSY', type: 'api_error', message: (busy.r.json as { error: { message: string } }).error.message, retryAfter: '1' });
  assert.equal(busy.upstream, null);
  hold.release();
  const done = await first;
  assert.equal(done.r.status, 200, done.r.body);
  assert.equal(await gatewayPoolTasks(s.gw.adminUrl, task, 'busy'), 1);

  const crashed = await send('crash');
  assert.equal(crashed.r.status, 500, crashed.r.body);
  assert.equal((crashed.r.json as { error: { code: string } }).error.code, 'MG_POLICY_ERROR');
  assert.doesNotMatch(crashed.r.body, /worker|exit|code: 1/i, 'nothing internal');
  assert.equal(crashed.upstream, null);
  assert.equal(await gatewayPoolTasks(s.gw.adminUrl, task, 'error'), 1);
  // The pool replaces the thread: the next large request is checked again.
  await waitFor(async () => (await send('first')).r.status === 200, 'a new thread answers');
  return { done, crashed };
}

/** A gateway whose pool has one thread that a test holds (and that dies on the model "crash"), and no queue. */
export async function withHeldPool(routes: string, workers: string, fn: (s: Stack, hold: Hold) => Promise<void>): Promise<void> {
  const hold = new Hold();
  const s = await startStack({ routes, extra: `workers: { threads: 1, ${workers}, queue: 0 }`, gateway: { scanWorker: { filename: CRASH_WORKER, workerData: hold.buffer } } });
  try {
    await s.gw.scanPool?.whenOpen();
    await fn(s, hold);
  } finally {
    hold.release();
    await s.close();
  }
}

/** A case: a request body, and the code both gateways must answer with ('OK': forwarded). */
export interface PoolCase { name: string; body: Buffer; code: string }

/**
 * Sends each case to the pooled gateway and to the inline one: the client sees the same status,
 * code, type and message; a valid case is forwarded by both (`forwarded` checks what the model
 * server got), a refused one by neither.
 */
export async function samePooledAsInline<C extends PoolCase, U>(cases: readonly C[], send: (where: 'pooled' | 'inline', c: C) => Promise<Sent<U>>, forwarded: (c: C, pooled: U, inline: U) => void): Promise<void> {
  for (const c of cases) {
    assert.ok(c.body.length > 1024, `${c.name}: above the threshold`);
    const p = await send('pooled', c);
    const i = await send('inline', c);
    assert.deepEqual(seen(p.r), seen(i.r), c.name);
    if (c.code === 'OK') {
      assert.equal(p.r.status, 200, `${c.name}: ${p.r.body}`);
      assert.ok(p.upstream !== null && i.upstream !== null, `${c.name}: forwarded`);
      forwarded(c, p.upstream, i.upstream);
    } else {
      assert.equal((p.r.json as { error: { code: string } }).error.code, c.code, c.name);
      assert.equal(p.upstream, null, `${c.name}: never forwarded`);
      assert.equal(i.upstream, null, `${c.name}: never forwarded (inline)`);
    }
  }
}
