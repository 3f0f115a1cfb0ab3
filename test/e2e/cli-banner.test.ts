// The first hour: the start-up banner tells the truth (the address really bound, one line per
// listener, each route's protections, the store, risky settings), every command names its config
// file the same way, and `modelgate simulate` runs the simulator alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startCli, cliConfig, type CliGateway } from './cli-process.js';

const BIN = 'dist/src/cli/main.js';
const running: CliGateway[] = [];
let sim: Simulator | undefined;
after(async () => {
  for (const g of running) { g.child.kill('SIGKILL'); await g.exited; }
  await sim?.close();
});

test('bound to 0.0.0.0 through MODELGATE_CONFIG: the banner says 0.0.0.0, gives a reachable URL, lists protections and warns', async () => {
  sim ??= await startSimulator();
  const yaml = cliConfig(sim.url).replace('server: { host: 127.0.0.1, port: 0 }', 'server: { host: 0.0.0.0, port: 0 }')
    .replace('{ path: /v1/chat/completions, protocol: openai-chat, upstream: llm }', '{ path: /v1/chat/completions, protocol: openai-chat, upstream: llm, output: { redact: [email], canary: true } }');
  const g = await startCli(yaml, [], 'env');
  running.push(g);
  const pub = await g.waitLine((l) => l.listener === 'public', 'public banner');
  assert.match(String(pub.bound), /^0\.0\.0\.0:\d+$/);
  assert.match(String(pub.msg), /^modelgate listening on 0\.0\.0\.0:\d+ \(http:\/\/127\.0\.0\.1:\d+\)$/);
  assert.equal((await fetch(`${g.url}/v1/models`)).status, 404, 'the printed URL reaches the gateway');
  const admin = await g.waitLine((l) => l.listener === 'admin', 'admin banner');
  assert.match(String(admin.bound), /^127\.0\.0\.1:\d+$/);
  assert.equal((await fetch(`${g.adminUrl}/healthz`)).status, 200);
  const route = await g.waitLine((l) => l.route === '/v1/chat/completions', 'route banner');
  const prot = route.protections as string[];
  for (const p of ['api-key', 'injection:block', 'output:redact(email)', 'leak-detection']) assert.ok(prot.includes(p), `${p} in ${prot.join(' ')}`);
  assert.ok(prot.some((p) => p.startsWith('body<=')) && prot.some((p) => p.startsWith('max_tokens<=')));
  const store = await g.waitLine((l) => l.store !== undefined, 'store banner');
  assert.equal(store.store, 'memory');
  const risks = g.lines.filter((l) => l.risk === true).map((l) => l.msg);
  assert.ok(risks.some((m) => /admin listener is on the loopback .*unreachable from outside/.test(m)), risks.join('\n'));
  assert.ok(risks.some((m) => /no TLS and no trusted proxy/.test(m)), risks.join('\n'));
});

test('a quiet configuration (loopback only) logs no risk warnings; the positional file name still works', async () => {
  sim ??= await startSimulator();
  const g = await startCli(cliConfig(sim.url), [], 'positional');
  running.push(g);
  await g.waitLine((l) => l.store !== undefined, 'store banner');
  assert.deepEqual(g.lines.filter((l) => l.risk === true).map((l) => l.msg), []);
});

test('check-config takes --config, MODELGATE_CONFIG or the positional file; two different names is a usage error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-cfg-'));
  const file = join(dir, 'm.yaml');
  writeFileSync(file, `auth: { keys: [ { id: k, hash: "sha256:${'a'.repeat(64)}" } ] }\nupstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }\nroutes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]\n`);
  const run = (args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [BIN, 'check-config', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 120_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  assert.equal(run(['--config', file]).code, 0);
  assert.equal(run(['-c', file]).code, 0);
  assert.equal(run([file]).code, 0);
  assert.equal(run([], { MODELGATE_CONFIG: file }).code, 0);
  const none = run([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /MODELGATE_CONFIG/);
  const two = run(['--config', file, join(dir, 'other.yaml')]);
  assert.equal(two.code, 2);
  assert.match(two.err, /two configuration files/);
});

test('modelgate simulate runs the simulator alone: it answers chat and /health, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'simulate', '--port', '0', '--ms-per-token', '0', '--slots', '2'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(l);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error('simulate exited before listening')));
    });
    assert.equal((await fetch(`${url}/health`)).status, 200);
    const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }) });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { object: string }).object, 'chat.completion');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  const bad = spawnSync(process.execPath, [BIN, 'simulate', '--mode', 'nonsense'], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 120_000 });
  assert.equal(bad.status, 2);
});
