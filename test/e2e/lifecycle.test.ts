// One request, one owner: whatever a request takes (reservation, lease, GPU slot) is released
// exactly once on every exit, and settle runs once after both the pipeline and the response are
// over. The regression this file is named for: a client that leaves while the store is slow to
// answer used to be settled before admission finished, so its lease and GPU slot leaked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { loadConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMemoryStore } from '../../src/limits/stores/memory.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { FaultyStore, turns, type Fault } from '../faulty-store.js';
import { startScriptedUpstream, UPSTREAM_MODES, type ScriptedUpstream, type UpstreamMode } from '../scripted-upstream.js';

const FAULTS: readonly Fault[] = ['none', 'consume-fails', 'acquire-fails', 'slow'];
const BUDGET_PERIOD = 86_400_000;

interface Rig { gw: Gateway; up: ScriptedUpstream; store: FaultyStore; keys: Record<Fault, string>; logs: string[]; close(): Promise<void>; }

async function rig(): Promise<Rig> {
  const up = await startScriptedUpstream();
  const store = new FaultyStore(createMemoryStore());
  const keys = {} as Record<Fault, string>;
  let lines = '';
  for (const f of FAULTS) {
    keys[f] = generateKey();
    store.faults.set(`k-${f}`, f);
    lines += `    - { id: k-${f}, hash: "${keyHashLine(keys[f])}" }\n`;
  }
  const logs: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } });
  const config = loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
auth:
  keys:
${lines}tiers:
  default: std
  std:
    requests: { rate: 100000, per: 1m }
    cost: { rate: 10000000, per: 1m }
    budget: { cost: 1000000000, per: 1d }
    concurrency: 3
upstreams:
  llm:
    targets: ["${up.url}"]
    maxConcurrent: 2
    queue: { size: 50, timeout: 60s }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
`);
  const gw = createGateway(config, { store, logger: createLogger('info', sink), defaultMetrics: false });
  await gw.start();
  return { gw, up, store, keys, logs, async close() { await gw.close(); await up.close(); } };
}

function requestBytes(key: string, mode: UpstreamMode, stream: boolean): string {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `please answer mode:${mode}` }], max_tokens: 30, stream });
  return `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** The gateway's side of the next accepted connection. */
function nextServerSocket(gw: Gateway): Promise<Socket> {
  return once(gw.app.server, 'connection').then(([s]) => s as Socket);
}

async function assertNothingHeld(r: Rig): Promise<void> {
  await r.gw.resources.whenIdle();
  assert.equal(r.gw.resources.total(), 0, JSON.stringify(r.gw.resources.held));
  const gpu = r.gw.admissions.get('llm');
  assert.equal(gpu?.slotsInUse, 0, 'GPU slots in use');
  assert.equal(gpu?.queueLength, 0, 'queue length');
  // Every key's full concurrency is free: the store holds no lease of any request.
  for (const f of FAULTS) {
    const k = `key:k-${f}:conc`;
    const got = await r.store.inner.acquire(k, 'probe', 1, 1000);
    assert.equal(got.acquired, true, `${k}: a lease is still held`);
    await r.store.inner.release(k, 'probe');
  }
}

/** Budget spent by a key equals the sum of what its access-log lines say it was charged. */
async function assertChargedOnce(r: Rig): Promise<void> {
  const charged = new Map<string, number>();
  for (const line of r.logs) {
    const l = JSON.parse(line) as { msg?: string; keyId?: string; cost?: { actual?: number } };
    if (l.msg !== 'request' || l.keyId === undefined) continue;
    charged.set(l.keyId, (charged.get(l.keyId) ?? 0) + (l.cost?.actual ?? 0));
  }
  for (const f of FAULTS) {
    const spent = await r.store.inner.budgetSpent(`key:k-${f}:budget`, BUDGET_PERIOD);
    assert.equal(spent, charged.get(`k-${f}`) ?? 0, `k-${f}: budget spent vs charged in the access log`);
  }
}

test('a client that leaves while the store is slow to admit it leaks nothing (100 times)', async () => {
  const r = await rig();
  try {
    for (let i = 0; i < 100; i++) {
      let entered!: () => void;
      let open!: () => void;
      const inStore = new Promise<void>((res) => { entered = res; });
      r.store.gate = { entered, open: new Promise<void>((res) => { open = res; }) };
      const serverSide = nextServerSocket(r.gw);
      const client = connect(Number(new URL(r.gw.url).port), '127.0.0.1');
      client.on('error', () => undefined);
      client.write(requestBytes(r.keys.none, 'json', i % 2 === 0));
      await inStore; // admission is waiting for the store
      client.destroy(); // … and the client leaves
      const s = await serverSide;
      if (!s.destroyed) await once(s, 'close');
      r.store.gate = null;
      open(); // the store answers after the client has gone
      await assertNothingHeld(r);
    }
    assert.equal(r.up.received, 0, 'nothing reached the model server');
    await assertChargedOnce(r);
    const spent = await r.store.inner.budgetSpent('key:k-none:budget', BUDGET_PERIOD);
    assert.equal(spent, 0, 'requests that never reached the model server cost nothing');
  } finally {
    await r.close();
  }
});

type Abort = { at: 'never' } | { at: 'turns'; n: number } | { at: 'first-byte' };

interface Cmd { fault: Fault; mode: UpstreamMode; stream: boolean; abort: Abort; }

/** Send one request on a raw socket; abort it as the command says. Resolves when the socket is closed. */
function send(r: Rig, cmd: Cmd): Promise<void> {
  const client = connect(Number(new URL(r.gw.url).port), '127.0.0.1');
  client.on('error', () => undefined);
  client.write(requestBytes(r.keys[cmd.fault], cmd.mode, cmd.stream));
  client.resume();
  const closed = once(client, 'close').then(() => undefined);
  const a = cmd.abort;
  if (a.at === 'turns') void turns(a.n).then(() => client.destroy());
  if (a.at === 'first-byte') client.once('data', () => client.destroy());
  return closed;
}

test('property: any mix of requests, aborts, upstream and store failures leaves nothing held and charges each request once', async () => {
  const r = await rig();
  try {
    const cmd = fc.record<Cmd>({
      fault: fc.constantFrom(...FAULTS),
      mode: fc.constantFrom(...UPSTREAM_MODES),
      stream: fc.boolean(),
      abort: fc.oneof(
        fc.constant<Abort>({ at: 'never' }),
        fc.integer({ min: 0, max: 40 }).map<Abort>((n) => ({ at: 'turns', n })),
        fc.constant<Abort>({ at: 'first-byte' }),
      ),
    });
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 8 }), async (cmds) => {
      await Promise.all(cmds.map((c) => send(r, c)));
      await assertNothingHeld(r);
      await assertChargedOnce(r);
    }), { numRuns: 40 });
  } finally {
    await r.close();
  }
});
