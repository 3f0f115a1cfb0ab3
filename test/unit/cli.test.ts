// The CLI as a user runs it: --help everywhere, keys generate, check-config's exit codes and
// messages, start refusing a bad config, and the demo answering a real request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = 'dist/src/cli/main.js';
const run = (args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 120_000 }); // a cap for a hung CLI only: start-up takes seconds on a busy machine
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'mg-cli-'));
const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };

test('--help on every command', () => {
  assert.equal(run(['--help']).code, 0);
  for (const c of ['start', 'check-config', 'keys', 'demo', 'simulate', 'schema']) {
    const r = run([c, '--help']);
    assert.equal(r.code, 0, `${c}: ${r.err}`);
    assert.match(r.out, new RegExp(`modelgate ${c}`));
  }
  assert.equal(run(['nope']).code, 2);
});

test('the CLI file is executable, so `npx modelgate` runs it in a checkout (npm exec runs the project bin directly)', () => {
  assert.ok((statSync(BIN).mode & 0o111) !== 0, `${BIN} is not executable`);
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^modelgate \d/);
});

test('keys generate: a 256-bit mg_ key and the matching hash line', () => {
  const r = run(['keys', 'generate', '--id', 'acme']);
  assert.equal(r.code, 0);
  const key = /(mg_[A-Za-z0-9_-]{43})/.exec(r.out)?.[1];
  assert.ok(key, r.out);
  const hash = createHash('sha256').update(key).digest('hex');
  assert.match(r.out, new RegExp(`- id: acme\\n\\s+hash: sha256:${hash}`));
  assert.notEqual(run(['keys', 'generate']).out, r.out, 'keys are random');
});

const GOOD = `
auth: { keys: [ { id: k, hash: "sha256:${'a'.repeat(64)}" } ] }
upstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`;

test('check-config: 0 when valid; 1 with every problem and its path otherwise', () => {
  assert.equal(run(['check-config', file('good.yaml', GOOD)]).code, 0);
  const bad = file('bad.yaml', `${GOOD.replace('targets:', 'bogusKey: 1, targets:')}
server: { cors: { origins: ["*"] } }
admin: { token: "\${ADMIN_TOKEN_NOT_SET}" }
`);
  const r = run(['check-config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.err, /upstreams\.llm\.bogusKey: unknown key/);
  assert.match(r.err, /server\.cors\.origins\[0\]: a wildcard origin is not allowed/);
  assert.match(r.err, /admin\.token: environment variable ADMIN_TOKEN_NOT_SET is not set/);
  assert.equal(run(['check-config', join(dir, 'missing.yaml')]).code, 1);
});

test('start exits non-zero with a clear message on a bad config', () => {
  const r = run(['start', '--config', file('bad2.yaml', 'routes: 1')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid configuration/);
});

test('demo starts the simulator and the gateway and answers with the printed key', async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--port', '0', '--admin-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    // Wait for the banner's last line (an event), however long start-up takes on a busy machine.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { out += String(d); if (out.includes('Ctrl-C')) resolve(); });
      child.on('exit', (code) => reject(new Error(`demo exited (${code}) before it was ready: ${out}`)));
    });
    const key = /(mg_[A-Za-z0-9_-]{43})/.exec(out)?.[1];
    const base = /gateway at (http:\/\/[0-9.:]+)/.exec(out)?.[1];
    assert.ok(key && base, out);
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    assert.equal(res.status, 200);
    assert.match(out, /new OpenAI\(\{ baseURL/);
    // The tensor examples it prints work as described.
    const tensor = (data: number[]): Promise<Response> => fetch(`${base}/v2/models/tiny/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'INT8', data }] }),
    });
    assert.equal((await tensor([1, 2, 3, 4])).status, 200);
    const bad = await tensor([1, 2, 300, 4]);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'MG_TENSOR_DATATYPE');
  } finally {
    child.kill('SIGINT');
  }
});
