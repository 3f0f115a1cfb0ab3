// The client IP: X-Forwarded-For is believed only from server.trustedProxies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, bearer, chat } from '../helpers.js';

function lastIp(logs: string[]): string | undefined {
  const line = logs.map((l) => l.trim()).filter((l) => l.includes('"msg":"request"')).at(-1);
  return line === undefined ? undefined : (JSON.parse(line) as { ip?: string }).ip;
}

test('X-Forwarded-For from an untrusted peer is ignored', async () => {
  const s = await startStack();
  try {
    await post(s.url, '/v1/chat/completions', chat('hi'), { ...bearer(s.key), 'x-forwarded-for': '203.0.113.9' });
    assert.equal(lastIp(s.logs), '127.0.0.1');
  } finally { await s.close(); }
});

test('X-Forwarded-For from a trusted proxy gives the client IP', async () => {
  const s = await startStack({ server: 'trustedProxies: [127.0.0.1/32]' });
  try {
    await post(s.url, '/v1/chat/completions', chat('hi'), { ...bearer(s.key), 'x-forwarded-for': '203.0.113.9' });
    assert.equal(lastIp(s.logs), '203.0.113.9');
  } finally { await s.close(); }
});
