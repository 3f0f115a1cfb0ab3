// Attack class (and plain usability): an early refusal of a large upload must reach the client as
// the refusal, not as a connection reset. 2 MB and 20 MB bodies to a 100 kb route, with fetch, the
// openai client, curl with and without `Expect: 100-continue` and Python requests: every one reads
// 413 MG_BODY_TOO_LARGE with a valid key and 401 MG_AUTH_INVALID with a wrong one, zero resets.
// Counts are kept affordable for `npm test`; bench/refusals.ts runs 50 of each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers.js';
import { hasCurl, hasPythonRequests, misses, repeat, viaCurl, viaFetch, viaOpenAI, viaPythonRequests, type Outcome, type RefusalTarget } from '../refusal-clients.js';

const MB = 1024 * 1024;
/** Runs per client for [2 MB, 20 MB] bodies, per expected refusal. */
const RUNS = { fetch: [50, 10], openai: [10, 3], curl: [20, 5], python: [5, 2] } as const;

let s: Stack;
let dir: string;
const files = new Map<number, string>();
before(async () => {
  s = await startStack({ logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'mg-refusals-'));
  for (const bytes of [2 * MB, 20 * MB]) {
    const file = join(dir, `body-${bytes}`);
    writeFileSync(file, Buffer.alloc(bytes, 'a'));
    files.set(bytes, file);
  }
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await s.close();
});

const CASES = [
  { what: '413 MG_BODY_TOO_LARGE', status: 413, code: 'MG_BODY_TOO_LARGE', key: (): string => s.key },
  { what: '401 MG_AUTH_INVALID (wrong key)', status: 401, code: 'MG_AUTH_INVALID', key: (): string => 'mg_wrong_key_0000000000000000' },
];

function targetFor(bytes: number, key: string): RefusalTarget {
  return { url: s.url, path: '/v1/chat/completions', key, file: files.get(bytes) as string, bytes };
}

function check(out: Outcome[], n: number, status: number, code: string): void {
  assert.equal(out.length, n);
  assert.deepEqual(misses(out, status, code), [], 'every client read the refusal; no reset');
  assert.equal(s.sim.requests.length, 0, 'nothing reached the model server');
}

for (const c of CASES) {
  for (const [i, bytes] of [2 * MB, 20 * MB].entries()) {
    const size = `${bytes / MB} MB`;
    test(`fetch, ${size} → ${c.what}, ${RUNS.fetch[i]}×`, async () => {
      const n = RUNS.fetch[i] as number;
      check(await repeat(n, () => viaFetch(targetFor(bytes, c.key()))), n, c.status, c.code);
    });
    test(`openai client (maxRetries 0), ${size} → ${c.what}, ${RUNS.openai[i]}×`, async () => {
      const n = RUNS.openai[i] as number;
      check(await repeat(n, () => viaOpenAI(targetFor(bytes, c.key()))), n, c.status, c.code);
    });
    for (const expect of [true, false]) {
      test(`curl ${expect ? 'with' : 'without'} Expect: 100-continue, ${size} → ${c.what}, ${RUNS.curl[i]}×`, async (t) => {
        if (!hasCurl()) return t.skip('curl not installed');
        const n = RUNS.curl[i] as number;
        check(await repeat(n, () => viaCurl(targetFor(bytes, c.key()), expect)), n, c.status, c.code);
      });
    }
    test(`python requests, ${size} → ${c.what}, ${RUNS.python[i]}×`, async (t) => {
      if (!hasPythonRequests()) return t.skip('python3 requests not installed');
      const n = RUNS.python[i] as number;
      check(await viaPythonRequests(targetFor(bytes, c.key()), n), n, c.status, c.code);
    });
  }
}
