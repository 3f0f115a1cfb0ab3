// The Redis ban store's full read against changes announced meanwhile, with a real Redis. A read
// whose MULTI ran before a change, but whose reply is handled after that change's pub/sub message,
// must not put the local set back: a fresh ban dropped, or a lifted ban back in force (found under
// `stress-ng`, where the two sockets' data are handled in one loop turn in any order). The reply is
// held back by a relay (test/hold-proxy.ts) so the ordering is made, not waited for. A full read
// asked for while another is in flight runs after it, never answered by the older one (a ban
// announced only by a gap would wait for the next poll). And a Redis restarted empty (the version
// starts again from 0) is still taken.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedisServer, REDIS_MISSING, type RedisServer } from '../redis-server.js';
import { startHoldProxy } from '../hold-proxy.js';
import { ManualClock } from '../manual-clock.js';
import { waitFor } from '../wait.js';
import { createRedisBanStore, type RedisBanStore } from '../../src/abuse/ban-store-redis.js';
import { makeBan, type Ban } from '../../src/abuse/bans.js';
import type { BanChange } from '../../src/abuse/ban-store.js';

let redis: RedisServer | null = null;
before(async () => { redis = await startRedisServer(); if (redis === null) console.warn(`SKIPPED: ${REDIS_MISSING}`); });
after(async () => { await redis?.stop(); });

const HOUR = 3_600_000;

/** A store's changes applied to a set of ban ids, as the abuse module applies them. */
function follow(store: RedisBanStore): { ids: Set<string>; reloads: Set<string>[] } {
  const ids = new Set<string>();
  const reloads: Set<string>[] = [];
  store.watch((c: BanChange) => {
    if (c.op === 'add') ids.add(c.ban.id);
    else if (c.op === 'remove') ids.delete(c.id);
    else {
      ids.clear();
      for (const b of c.bans) ids.add(b.id);
      reloads.push(new Set(ids));
    }
  });
  return { ids, reloads };
}

/** Resolves once the victim's subscriber is subscribed (so no announcement can miss it). */
async function subscribed(raw: Redis, prefix: string): Promise<void> {
  const channel = `{${prefix}:abuse}:bans:events`;
  await waitFor(async () => Number(((await raw.pubsub('NUMSUB', channel)) as unknown[])[1]) >= 1, 'the victim subscribed');
}

async function race(t: TestContext, change: 'add' | 'remove'): Promise<void> {
  if (redis === null) return t.skip(REDIS_MISSING);
  const prefix = `race-${change}`;
  const clock = new ManualClock(Date.now());
  const proxy = await startHoldProxy(redis.port);
  // Polling far away (the clock never moves): only pub/sub and the reads it triggers act.
  const victim = createRedisBanStore({ url: proxy.url, clock, keyPrefix: prefix, pollIntervalMs: 24 * HOUR });
  const writer = createRedisBanStore({ url: redis.url, clock, keyPrefix: prefix, pollIntervalMs: 24 * HOUR, pubsub: false });
  const raw = new Redis(redis.url);
  try {
    assert.equal(await victim.waitReady(30_000), true);
    assert.equal(await writer.waitReady(30_000), true);
    await subscribed(raw, prefix);
    const seen = follow(victim);
    const ban: Ban = makeBan('ip', '192.0.2.7', 'manual', clock.now(), HOUR);
    if (change === 'remove') {
      await writer.addBan(ban);
      await waitFor(() => seen.ids.has(ban.id), 'the ban applied on the victim');
    }
    const before = await writer.version();
    // A message from the future (a gap) makes the victim read everything; its reply is held.
    proxy.hold();
    await raw.publish(`{${prefix}:abuse}:bans:events`, JSON.stringify({ op: 'add', v: before + 1000 }));
    const tail = before === 0 ? '$-1\r\n' : `$${String(before).length}\r\n${before}\r\n`;
    await waitFor(() => proxy.heldText().includes('*2\r\n') && proxy.heldText().endsWith(tail), 'the full read answered by Redis and held');
    // The change lands after that read ran in Redis; its message reaches the victim first.
    if (change === 'add') await writer.addBan(ban);
    else assert.notEqual(await writer.removeBan(ban.id), null);
    await waitFor(() => seen.ids.has(ban.id) === (change === 'add'), `the ${change} message applied on the victim`);
    assert.equal(victim.knownVersion(), before + 1);
    const reloadsBefore = seen.reloads.length;
    proxy.release();
    await waitFor(() => seen.reloads.length > reloadsBefore, 'a full read applied after the held reply');
    const first = seen.reloads[reloadsBefore] as Set<string>;
    assert.equal(first.has(ban.id), change === 'add', `the first full read applied after the change ${change === 'add' ? 'keeps the new ban' : 'does not bring the lifted ban back'}`);
    assert.equal(seen.ids.has(ban.id), change === 'add');
    assert.equal(victim.knownVersion(), before + 1, 'the known version never steps back');
  } finally {
    proxy.release();
    await victim.close();
    await writer.close();
    raw.disconnect();
    await proxy.close();
  }
}

test('a full read that ran before a new ban does not drop it when its reply comes after the ban\'s message', (t) => race(t, 'add'));
test('a full read that ran before a lift does not bring the ban back when its reply comes after the lift\'s message', (t) => race(t, 'remove'));

test('Redis restarted empty: the version starting again from 0 is taken, and the next ban applies', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const own = await startRedisServer();
  if (own === null) return t.skip(REDIS_MISSING);
  const clock = new ManualClock(Date.now());
  const victim = createRedisBanStore({ url: own.url, clock, pollIntervalMs: 1000 });
  const writer = createRedisBanStore({ url: own.url, clock, pollIntervalMs: 1000, pubsub: false });
  try {
    assert.equal(await victim.waitReady(30_000), true);
    assert.equal(await writer.waitReady(30_000), true);
    const seen = follow(victim);
    const old = makeBan('ip', '192.0.2.8', 'manual', clock.now(), HOUR);
    for (const b of [old, makeBan('ip', '192.0.2.9', 'manual', clock.now(), HOUR)]) await writer.addBan(b);
    await waitFor(() => victim.knownVersion() === 2 && seen.ids.has(old.id), 'two bans applied');
    await own.kill();
    await own.restart();
    // Reconnecting reads everything; the poll (on the test's clock) does too.
    await waitFor(() => { clock.advance(1000); return victim.knownVersion() === 0 && seen.ids.size === 0; }, 'the empty store taken (version 0)');
    const fresh = makeBan('ip', '192.0.2.10', 'manual', clock.now(), HOUR);
    await waitFor(async () => { try { await writer.addBan(fresh); return true; } catch { return false; } }, 'the writer reconnected');
    await waitFor(() => seen.ids.has(fresh.id), 'the first ban after the restart applied');
    assert.equal(victim.knownVersion(), 1);
  } finally {
    await victim.close();
    await writer.close();
    await own.stop();
  }
});

/**
 * Every `message` event of every ioredis connection, seen after the connection's own listeners ran
 * (EventEmitter calls them in order inside emit): how the test knows the victim's subscriber has
 * handled a message, which the store does not show. Restored by the returned function.
 */
function observeMessages(): { texts: string[]; restore(): void } {
  const texts: string[] = [];
  const proto = Redis.prototype as unknown as { emit(this: unknown, ev: string | symbol, ...a: unknown[]): boolean };
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit');
  const original = proto.emit;
  proto.emit = function emit(this: unknown, ev: string | symbol, ...a: unknown[]): boolean {
    const r = original.call(this, ev, ...a);
    if (ev === 'message' && typeof a[1] === 'string') texts.push(a[1]);
    return r;
  };
  return {
    texts,
    restore() {
      if (own) proto.emit = original;
      else delete (proto as { emit?: unknown }).emit;
    },
  };
}

test('a full read asked for while another is in flight runs after it: a ban written meanwhile, announced by nothing but a gap, is applied', async (t) => {
  if (redis === null) return t.skip(REDIS_MISSING);
  const prefix = 'race-again';
  const tag = `{${prefix}:abuse}`;
  const clock = new ManualClock(Date.now());
  const proxy = await startHoldProxy(redis.port);
  const observed = observeMessages();
  // Polling far away (the clock never moves): only the reads that pub/sub messages ask for act.
  const victim = createRedisBanStore({ url: proxy.url, clock, keyPrefix: prefix, pollIntervalMs: 24 * HOUR });
  const raw = new Redis(redis.url);
  try {
    assert.equal(await victim.waitReady(30_000), true);
    await subscribed(raw, prefix);
    const seen = follow(victim);
    const before = victim.knownVersion();
    // Read A: a gap asks for a full read; Redis answers it, and the answer is held.
    proxy.hold();
    const gap1 = JSON.stringify({ op: 'add', v: before + 1000 });
    await raw.publish(`${tag}:bans:events`, gap1);
    const tail = before === 0 ? '$-1\r\n' : `$${String(before).length}\r\n${before}\r\n`;
    await waitFor(() => proxy.heldText().includes('*2\r\n') && proxy.heldText().endsWith(tail), 'read A answered by Redis and held');
    // A ban lands after read A ran, and its own message is lost (written here without one): only
    // another gap tells the victim, which asks for a full read while read A is still in flight.
    const ban: Ban = makeBan('ip', '192.0.2.11', 'manual', clock.now(), HOUR);
    await raw.multi().hset(`${tag}:bans`, ban.id, JSON.stringify(ban)).incr(`${tag}:bans:version`).exec();
    const gap2 = JSON.stringify({ op: 'add', v: before + 2000 });
    await raw.publish(`${tag}:bans:events`, gap2);
    await waitFor(() => observed.texts.includes(gap2), 'the second gap handled by the victim');
    assert.equal(seen.ids.has(ban.id), false);
    const reloadsBefore = seen.reloads.length;
    proxy.release();
    // Read A's answer is older than the ban, and no message was applied while it was in flight,
    // so it is taken; the read asked for meanwhile must then run, not be answered by read A.
    await waitFor(() => victim.knownVersion() === before + 1, 'a full read after read A sees the ban\'s version');
    assert.equal(seen.ids.has(ban.id), true, 'the ban is in force');
    assert.equal(seen.reloads.length - reloadsBefore, 2, 'read A, then the read asked for while it was in flight');
    assert.equal((seen.reloads[reloadsBefore] as Set<string>).has(ban.id), false, 'read A predates the ban');
  } finally {
    proxy.release();
    observed.restore();
    await victim.close();
    raw.disconnect();
    await proxy.close();
  }
});
