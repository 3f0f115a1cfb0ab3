// The error table and docs/errors.md list exactly the same codes, with the same status, type
// and message; codes follow the MG_ naming rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS, errorBody, type ErrorCode } from '../../src/errors.js';

const doc = readFileSync('docs/errors.md', 'utf8');
const rows = [...doc.matchAll(/^\| `(MG_[A-Z0-9_]+)` \| (\d{3}) \| (\w+) \| ([^|]+) \|/gm)].map((m) => ({
  code: m[1] as string, status: Number(m[2]), type: m[3] as string, message: (m[4] as string).trim(),
}));

test('every code in the table is documented with its status, type and message', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = rows.find((r) => r.code === code);
    assert.ok(row, `${code} is missing from docs/errors.md`);
    assert.equal(row.status, spec.status, code);
    assert.equal(row.type, spec.type, code);
    assert.equal(row.message, spec.message, code);
  }
});

test('nothing documented is missing from the table, and nothing twice', () => {
  const codes = rows.map((r) => r.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.ok(c in ERRORS, `${c} is documented but not in src/errors.ts`);
  assert.equal(codes.length, Object.keys(ERRORS).length);
});

test('error bodies have the OpenAI shape and the request id', () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const body = JSON.parse(errorBody(code, 'rid-1')) as { error: Record<string, unknown>; request_id: string };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, code);
    assert.equal(body.request_id, 'rid-1');
    assert.ok(ERRORS[code].status >= 400 && ERRORS[code].status < 600);
  }
});
