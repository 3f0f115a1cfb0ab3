// The policy contract: a throw or a timeout denies (fail-closed) unless the policy is fail-open,
// which passes but is reported; a DenialError thrown from deep inside is that denial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPolicies, type Policy } from '../../src/pipeline/policy.js';
import { deny, DenialError } from '../../src/errors.js';
import type { AbortLike, RequestContext } from '../../src/pipeline/context.js';
import type { Emitter } from '../../src/observability/events.js';

const ctx = { clientGone: new AbortController().signal as AbortLike } as RequestContext;
const failures: string[] = [];
const sink: Emitter = { emit: (e) => { if (e.type === 'policy.failed') failures.push(`${e.policy}:${e.failOpen ? 'open' : 'closed'}`); } };
const mk = (name: string, run: Policy['run'], extra: Partial<Policy> = {}): Policy => ({ name, phase: 'inspect', onError: 'fail-closed', run, ...extra });

test('passes run in order and the first denial stops the chain', async () => {
  const seen: string[] = [];
  const r = await runPolicies([
    mk('a', () => { seen.push('a'); }),
    mk('b', async () => { seen.push('b'); return undefined; }),
    mk('c', () => { seen.push('c'); return deny('MG_TOO_MANY_MESSAGES'); }),
    mk('d', () => { seen.push('d'); }),
  ], ctx, sink);
  assert.equal(r?.code, 'MG_TOO_MANY_MESSAGES');
  assert.deepEqual(seen, ['a', 'b', 'c']);
});

test('a throwing fail-closed policy denies with MG_POLICY_ERROR', async () => {
  failures.length = 0;
  const r = await runPolicies([mk('boom', () => { throw new Error('x'); })], ctx, sink);
  assert.equal(r?.code, 'MG_POLICY_ERROR');
  assert.deepEqual(failures, ['boom:closed']);
});

test('a rejecting async policy denies too', async () => {
  const r = await runPolicies([mk('boom', async () => { throw new Error('x'); })], ctx, sink);
  assert.equal(r?.code, 'MG_POLICY_ERROR');
});

test('a fail-open policy that throws passes, and is reported', async () => {
  failures.length = 0;
  const r = await runPolicies([mk('soft', () => { throw new Error('x'); }, { onError: 'fail-open' }), mk('next', () => undefined)], ctx, sink);
  assert.equal(r, undefined);
  assert.deepEqual(failures, ['soft:open']);
});

test('an async policy over its timeout fails (closed by default)', async () => {
  failures.length = 0;
  const slow = mk('slow', () => new Promise<undefined>((res) => setTimeout(() => res(undefined), 500)), { timeoutMs: 20 });
  const r = await runPolicies([slow], ctx, sink);
  assert.equal(r?.code, 'MG_POLICY_ERROR');
  assert.deepEqual(failures, ['slow:closed']);
});

test('a DenialError thrown inside a policy is that denial, not a failure', async () => {
  failures.length = 0;
  const r = await runPolicies([mk('reader', async () => { throw new DenialError(deny('MG_BODY_TIMEOUT')); })], ctx, sink);
  assert.equal(r?.code, 'MG_BODY_TIMEOUT');
  assert.deepEqual(failures, []);
});
