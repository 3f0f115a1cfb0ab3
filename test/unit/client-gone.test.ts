// The per-request client-gone signal (ClientGone, src/server/lifecycle.ts) is a plain object in
// place of an AbortController: for every sequence of adds, removes and aborts it calls the same
// listeners, in the same order, as an AbortSignal does; and it works where the pipeline hands it
// on (piscina takes it as its task signal; the GPU queue listens on it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClientGone } from '../../src/server/lifecycle.js';
import { Admission } from '../../src/upstream/admission.js';
import { DenialError } from '../../src/errors.js';

type Op = { kind: 'add'; fn: number; once: boolean } | { kind: 'remove'; fn: number } | { kind: 'abort' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), fn: fc.nat(4), once: fc.boolean() }),
  fc.record({ kind: fc.constant('remove' as const), fn: fc.nat(4) }),
  fc.constant({ kind: 'abort' as const }),
);

test('ClientGone calls the listeners an AbortSignal would, in the same order', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
    const logs: number[][] = [[], []];
    const ac = new AbortController();
    const gone = new ClientGone();
    const fns = [0, 1].map((which) => [0, 1, 2, 3, 4].map((i) => () => { logs[which]?.push(i); }));
    for (const o of ops) {
      if (o.kind === 'add') {
        ac.signal.addEventListener('abort', fns[0]?.[o.fn] as () => void, { once: o.once });
        gone.addEventListener('abort', fns[1]?.[o.fn] as () => void, { once: o.once });
      } else if (o.kind === 'remove') {
        ac.signal.removeEventListener('abort', fns[0]?.[o.fn] as () => void);
        gone.removeEventListener('abort', fns[1]?.[o.fn] as () => void);
      } else {
        ac.abort();
        gone.abort();
      }
      assert.equal(gone.aborted, ac.signal.aborted);
    }
    assert.deepEqual(logs[1], logs[0]);
  }), { numRuns: 500, seed: 15 });
});

test('a GPU-queue wait ends when the client goes', async () => {
  const adm = new Admission({ maxConcurrent: 1, queueSize: 4, queueTimeoutMs: 60_000 });
  const release = await adm.acquire('a', 0);
  const gone = new ClientGone();
  const waiting = adm.acquire('b', 0, gone);
  gone.abort();
  await assert.rejects(waiting, (err: unknown) => err instanceof DenialError && err.denial.code === 'MG_QUEUE_TIMEOUT');
  release();
  assert.ok(new ClientGone().aborted === false);
});
