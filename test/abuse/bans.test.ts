// Bans end to end on one gateway (memory store): 20 wrong keys from one address ban it before any
// other work (403 MG_TEMPORARILY_BLOCKED + Retry-After, CORS headers kept, nothing forwarded,
// nothing charged); other addresses unaffected; the ban lifts after its duration (injected clock)
// or through the admin API; manual key bans; X-Forwarded-For spoofing neither escapes a ban nor
// frames someone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chat, bearer, type Stack } from '../helpers.js';
import { ManualClock } from '../manual-clock.js';
import { from, nextBan, nextLift, WRONG } from './client.js';
import type { Abuse } from '../../src/abuse/abuse.js';

const ADMIN = 'admin-token-for-the-ban-tests-0123456789';
const admin = (s: Stack, method: string, path: string, body?: unknown): Promise<Response> =>
  fetch(s.gw.adminUrl + path, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function stack(clock: ManualClock, extra = '', server = ''): Promise<Stack> {
  return startStack({
    admin: `token: ${ADMIN}`,
    server,
    extra: `abuse: { authFailures: { threshold: 20, window: 1m, action: ban, banFor: 15m } }\n${extra}`,
    gateway: { clock },
    tier: 'pro',
    limits: 'tiers: { pro: { requests: { rate: 1000, per: 1m } } }',
  });
}

async function scan(url: string, ip: string, n: number, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await from(ip, url, '/v1/chat/completions', { ...WRONG, ...headers }, chat('hi'));
    assert.equal(r.status, 401);
  }
}

const abuseOf = (s: Stack): Abuse => s.gw.abuse as Abuse;

test('20 wrong keys from one address: banned before any other work; others unaffected; lifted after banFor', async () => {
  const clock = new ManualClock(Date.now());
  const s = await stack(clock, '', 'cors: { origins: ["https://app.example.com"] }');
  try {
    const banned = nextBan(abuseOf(s));
    await scan(s.url, '127.0.0.2', 19);
    assert.equal(abuseOf(s).bans.size, 0, '19 failures do not ban');
    await scan(s.url, '127.0.0.2', 1);
    const ban = await banned;
    assert.deepEqual([ban.kind, ban.value, ban.rule], ['ip', '127.0.0.2', 'authFailures']);
    const seen = s.sim.requests.length;
    // The right key from the banned address: refused, with Retry-After and the CORS headers.
    const r = await from('127.0.0.2', s.url, '/v1/chat/completions', { ...bearer(s.key), origin: 'https://app.example.com' }, chat('hi'));
    assert.equal(r.status, 403);
    assert.equal(r.code, 'MG_TEMPORARILY_BLOCKED');
    assert.equal(r.headers['retry-after'], '900');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(s.sim.requests.length, seen, 'the model server never saw it');
    // Another address is served.
    assert.equal((await from('127.0.0.3', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200);
    // The refusal charged nothing: only the one served request reached the meter.
    const metrics = await (await fetch(`${s.gw.adminUrl}/metrics`)).text();
    assert.match(metrics, /modelgate_abuse_detected_total\{rule="authFailures",action="ban"\} 1/);
    assert.match(metrics, /modelgate_bans_active\{kind="ip"\} 1/);
    assert.match(metrics, /modelgate_ban_refusals_total\{kind="ip"\} 1/);
    assert.equal(s.logs.filter((l) => l.includes('abuse: banned')).length, 1);
    assert.ok(!s.logs.some((l) => l.includes(s.key)), 'the key never reaches the log');
    // 15 minutes later (injected clock) the address is served again.
    clock.advance(15 * 60_000);
    assert.equal((await from('127.0.0.2', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200);
  } finally { await s.close(); }
});

test('admin API: list, manual key ban (key id, never the key), lift; behind the admin token; audit-logged', async () => {
  const clock = new ManualClock(Date.now());
  const s = await stack(clock);
  try {
    assert.equal((await fetch(`${s.gw.adminUrl}/admin/bans`)).status, 401, 'no token: 401');
    assert.equal((await admin(s, 'POST', '/admin/bans', { key: 'test-key' })).status, 400, 'duration required');
    assert.equal((await admin(s, 'POST', '/admin/bans', { ip: 'nope', duration: '1h' })).status, 400);
    assert.equal((await admin(s, 'POST', '/admin/bans', { ip: '127.0.0.2', key: 'test-key', duration: '1h' })).status, 400, 'one target only');
    const made = await admin(s, 'POST', '/admin/bans', { key: 'test-key', duration: '1h', reason: 'leaked in a repo' });
    assert.equal(made.status, 201);
    const ban = await made.json() as { id: string; kind: string; value: string };
    assert.deepEqual([ban.kind, ban.value], ['key', 'test-key']);
    const r = await from('127.0.0.4', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'));
    assert.equal(r.status, 403);
    assert.equal(r.code, 'MG_TEMPORARILY_BLOCKED');
    assert.equal(r.headers['retry-after'], '3600');
    const list = await (await admin(s, 'GET', '/admin/bans')).json() as { bans: { id: string }[] };
    assert.deepEqual(list.bans.map((b) => b.id), [ban.id]);
    // A CIDR ban covers every address in it, IPv4-mapped spellings included.
    const cidr = await (await admin(s, 'POST', '/admin/bans', { cidr: '127.0.0.128/25', duration: 60_000 })).json() as { id: string; value: string };
    assert.equal(cidr.value, '127.0.0.128/25');
    assert.equal(abuseOf(s).ipBan('::ffff:127.0.0.200')?.id, cidr.id);
    assert.equal(abuseOf(s).ipBan('127.0.0.5'), null);
    // Lift.
    const lifted = nextLift(abuseOf(s), ban.id);
    assert.equal((await admin(s, 'DELETE', `/admin/bans/${ban.id}`)).status, 200);
    await lifted;
    assert.equal((await admin(s, 'DELETE', `/admin/bans/${ban.id}`)).status, 404);
    assert.equal((await from('127.0.0.4', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200);
    const audit = s.logs.filter((l) => l.includes('"audit":"ban.'));
    assert.equal(audit.length, 3);
    assert.ok(audit.every((l) => !l.includes(s.key)));
  } finally { await s.close(); }
});

test('X-Forwarded-For from an untrusted peer: rotating it neither escapes the ban nor frames the forged address', async () => {
  const s = await stack(new ManualClock(Date.now()));
  try {
    const banned = nextBan(abuseOf(s));
    for (let i = 0; i < 20; i++) {
      const r = await from('127.0.0.6', s.url, '/v1/chat/completions', { ...WRONG, 'x-forwarded-for': `127.0.0.7, 198.51.100.${i}` }, chat('hi'));
      assert.equal(r.status, 401);
    }
    const ban = await banned;
    assert.equal(ban.value, '127.0.0.6', 'the real peer is banned');
    assert.equal((await from('127.0.0.6', s.url, '/v1/chat/completions', { ...bearer(s.key), 'x-forwarded-for': '127.0.0.8' }, chat('hi'))).status, 403, 'a forged header does not escape');
    assert.equal((await from('127.0.0.7', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200, 'the forged address was not framed');
  } finally { await s.close(); }
});

test('behind a trusted proxy: the client address from X-Forwarded-For, IPv6 in any spelling is one address', async () => {
  const s = await stack(new ManualClock(Date.now()), '', 'trustedProxies: [127.0.0.1/32]');
  try {
    const banned = nextBan(abuseOf(s));
    const spellings = ['2001:db8::7', '2001:DB8:0:0::7', '2001:0db8:0000::0007', '[2001:db8::7]'.slice(1, -1), '2001:db8:0:0:0:0:0:7'];
    for (let i = 0; i < 20; i++) {
      const r = await from('127.0.0.1', s.url, '/v1/chat/completions', { ...WRONG, 'x-forwarded-for': spellings[i % spellings.length] as string }, chat('hi'));
      assert.equal(r.status, 401);
    }
    assert.equal((await banned).value, '2001:db8::7');
    assert.equal((await from('127.0.0.1', s.url, '/v1/chat/completions', { ...bearer(s.key), 'x-forwarded-for': '2001:DB8::0:7' }, chat('hi'))).status, 403);
    assert.equal((await from('127.0.0.1', s.url, '/v1/chat/completions', { ...bearer(s.key), 'x-forwarded-for': '2001:db8::8' }, chat('hi'))).status, 200);
    // The proxy itself (no header) is not banned.
    assert.equal((await from('127.0.0.1', s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200);
  } finally { await s.close(); }
});

test('an exempt tier is never banned: its key is neither suspended nor refusable by the admin API', async () => {
  const s = await startStack({
    admin: `token: ${ADMIN}`,
    extra: 'abuse: { keySpread: { ips: 3, window: 1m, action: suspend }, regularIntervals: false }',
    tier: 'internal',
    limits: 'tiers: { internal: { exempt: true } }',
    gateway: { clock: new ManualClock(Date.now()) },
  });
  try {
    for (const ip of ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13']) {
      assert.equal((await from(ip, s.url, '/v1/chat/completions', bearer(s.key), chat('hi'))).status, 200);
    }
    assert.equal((await admin(s, 'POST', '/admin/bans', { key: 'test-key', duration: '1h' })).status, 400);
    assert.equal(abuseOf(s).bans.size, 0);
  } finally { await s.close(); }
});
