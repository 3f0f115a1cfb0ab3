/**
 * The key store shared by every replica (store.kind: redis). Its own two connections, apart from
 * the limit store's: one for commands, one subscribed to the change channel.
 *
 * Redis keys (one hash tag, so a Cluster keeps them in one slot and a script may touch them all):
 *   `${prefix}:{keys}:records`  hash  id → record JSON (hashes only, never a key)
 *   `${prefix}:{keys}:version`  the change counter, INCRed by every change
 *   `${prefix}:{keys}:used`     hash  id → last-used instant (ms), approximate
 * Every change is one script: compare-and-set the record, INCR the version, PUBLISH "<id> <version>"
 * on `${prefix}:keys:changes`. A replica that sees version v+1 after v applies the one record; a gap
 * (a lost message) or a re-established subscription makes it reload everything; the version poll
 * (src/keys/sync.ts) catches a message that never came.
 */
import { Redis } from 'ioredis';
import type { CasResult, KeyBackend } from './types.js';

const CAS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if cur then return -1 end
elseif ARGV[2] == '*' then
  if not cur then return -2 end
elseif cur ~= ARGV[2] then
  return -2
end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], ARGV[1] .. ' ' .. v)
return v
`;

const USED_MAX = `
for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > cur then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
`;

type Scripted = Redis & {
  mgKeyCas(records: string, version: string, id: string, expect: string, next: string, channel: string): Promise<number>;
  mgKeyUsed(used: string, ...args: string[]): Promise<number>;
};

export interface RedisKeyStoreOptions {
  url: string;
  /** Deadline of a command (ms); also the connect timeout. */
  timeoutMs: number;
  prefix?: string;
  /** Subscribe to the change channel (default true; the benchmark measures the poll alone). */
  pubsub?: boolean;
}

export function createRedisKeyStore(o: RedisKeyStoreOptions): KeyBackend {
  const prefix = o.prefix ?? 'mg';
  const records = `${prefix}:{keys}:records`;
  const versionKey = `${prefix}:{keys}:version`;
  const usedKey = `${prefix}:{keys}:used`;
  const channel = `${prefix}:keys:changes`;
  // Fail fast while Redis is away: no offline queue, no retries; ioredis reconnects in the background.
  const common = { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: Math.max(1000, o.timeoutMs), commandTimeout: o.timeoutMs, retryStrategy: (n: number) => Math.min(50 * n, 1000) };
  const cmd = new Redis(o.url, common) as Scripted;
  cmd.on('error', () => undefined);
  cmd.defineCommand('mgKeyCas', { numberOfKeys: 2, lua: CAS });
  cmd.defineCommand('mgKeyUsed', { numberOfKeys: 1, lua: USED_MAX });
  let sub: Redis | null = null;
  let subscribed = false;
  /** A connection still being made (start-up, reconnect) gets a moment before a load fails. */
  const ready = (): Promise<void> => (cmd.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => {
    const done = (): void => { clearTimeout(t); cmd.off('ready', done); resolve(); };
    const t = setTimeout(done, Math.max(1000, o.timeoutMs));
    cmd.once('ready', done);
  }));
  return {
    kind: 'redis',
    async load() {
      await ready();
      const res = await cmd.multi().hgetall(records).get(versionKey).exec();
      if (res === null) throw new Error('key store snapshot aborted');
      const [all, ver] = res;
      if (all?.[0] || ver?.[0]) throw (all?.[0] ?? ver?.[0]) as Error;
      return { keys: new Map(Object.entries((all?.[1] ?? {}) as Record<string, string>)), version: Number(ver?.[1] ?? 0) };
    },
    version: async () => Number((await cmd.get(versionKey)) ?? 0),
    get: (id) => cmd.hget(records, id),
    async cas(id, expect, next): Promise<CasResult> {
      const v = await cmd.mgKeyCas(records, versionKey, id, expect ?? '', next ?? '', channel);
      if (v === -1) return { ok: false, reason: 'exists' };
      if (v === -2) return { ok: false, reason: 'changed' };
      return { ok: true, version: v };
    },
    subscribe(onChange, resync) {
      if (o.pubsub === false || sub !== null) return;
      const s = new Redis(o.url, { ...common, commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null });
      sub = s;
      s.on('error', () => undefined);
      s.on('close', () => { subscribed = false; });
      s.on('message', (_ch: string, msg: string) => {
        const sp = msg.lastIndexOf(' ');
        const v = Number(msg.slice(sp + 1));
        if (sp > 0 && Number.isSafeInteger(v)) onChange(msg.slice(0, sp), v);
      });
      // (Re)subscribed: events may have been missed while the connection was down.
      s.on('ready', () => {
        s.subscribe(channel).then(() => { subscribed = true; resync(); }, () => undefined);
      });
    },
    async recordUse(seen) {
      if (seen.size === 0) return;
      await cmd.mgKeyUsed(usedKey, ...[...seen].flatMap(([id, t]) => [id, String(t)]));
    },
    async lastUsed() {
      const all = await cmd.hgetall(usedKey);
      return new Map(Object.entries(all).map(([id, t]) => [id, Number(t)]));
    },
    connected: () => (o.pubsub === false ? cmd.status === 'ready' : subscribed),
    async close() {
      sub?.disconnect();
      cmd.disconnect();
    },
  };
}
