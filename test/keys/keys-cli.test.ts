// The real CLI against a real gateway process: `modelgate keys create|list|rotate|revoke|update
// --admin URL` with the token from the environment; SIGHUP and `--watch` reload keys and tiers
// while a stream is in flight (it finishes untouched), and an invalid file changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startCli } from '../e2e/cli-process.js';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';
import { bearer, chat, post } from '../helpers.js';
import { waitFor } from '../wait.js';

const TOKEN = 'cli-admin-token-0123456789abcdef';
let sim: Simulator;
before(async () => { sim = await startSimulator({ eventDelayMs: 40 }); });
after(async () => { await sim.close(); });

function yaml(keys: string, tiers = 'tiers: { pro: { concurrency: 8 } }'): string {
  return `
server: { host: 127.0.0.1, port: 0, shutdown: { delay: 0s, timeout: 5s } }
admin: { host: 127.0.0.1, port: 0, token: "${TOKEN}" }
logging: { level: info }
auth:
  keys:
    - { id: test-key, hash: "KEY_HASH" }
${keys}
${tiers}
upstreams: { llm: { targets: ["${sim.url}"], timeout: 60s } }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm }
`;
}

function cli(args: string[], token: string | null = TOKEN): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    if (token !== null) env.MODELGATE_ADMIN_TOKEN = token;
    execFile(process.execPath, ['dist/src/cli/main.js', 'keys', ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? 1, stdout, stderr });
    });
  });
}

const ok = async (url: string, key: string): Promise<number> => (await post(url, '/v1/chat/completions', chat('hi', { max_tokens: 2 }), bearer(key))).status;

/** A stream that takes a while (40 ms an event); resolves with its status and whole body. */
async function slowStream(url: string, key: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(chat('hi', { max_tokens: 25, stream: true })) });
  return { status: r.status, body: await r.text() };
}

test('the CLI: create prints the key once, list never shows it, update/rotate/revoke take effect; no token: usage error', async () => {
  const gw = await startCli(yaml(''));
  try {
    const made = await cli(['create', '--id', 'cli-key', '--tier', 'pro', '--routes', '/v1/chat/completions', '--admin', gw.adminUrl]);
    assert.equal(made.code, 0, made.stderr);
    const key = (JSON.parse(made.stdout) as { key: string }).key;
    assert.equal(await ok(gw.url, key), 200);
    const listed = await cli(['list', '--admin', gw.adminUrl]);
    assert.equal(listed.code, 0);
    assert.ok(listed.stdout.includes('"cli-key"') && !listed.stdout.includes(key));
    assert.equal((await cli(['update', '--id', 'cli-key', '--routes', '/v1/completions', '--admin', gw.adminUrl])).code, 0);
    assert.equal(await ok(gw.url, key), 403);
    assert.equal((await cli(['update', '--id', 'cli-key', '--routes', 'none', '--admin', gw.adminUrl])).code, 0);
    const rot = await cli(['rotate', '--id', 'cli-key', '--grace', '0s', '--admin', gw.adminUrl]);
    assert.equal(rot.code, 0, rot.stderr);
    const fresh = (JSON.parse(rot.stdout) as { key: string }).key;
    assert.equal(await ok(gw.url, key), 401);
    assert.equal(await ok(gw.url, fresh), 200);
    assert.equal((await cli(['revoke', '--id', 'cli-key', '--admin', gw.adminUrl])).code, 0);
    assert.equal(await ok(gw.url, fresh), 401);
    const missing = await cli(['revoke', '--id', 'cli-key', '--admin', gw.adminUrl]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /MG_KEY_NOT_FOUND/);
    assert.equal((await cli(['list', '--admin', gw.adminUrl], null)).code, 2);
    assert.equal((await cli(['list', '--admin', gw.adminUrl], 'wrong-token-0123456789')).code, 1);
    // Every change was one audit line naming the key id, never the key.
    const audits = gw.lines.filter((l) => l.audit === 'keys');
    assert.deepEqual(audits.map((l) => l.op), ['create', 'update', 'update', 'rotate', 'revoke']);
    assert.ok(!JSON.stringify(gw.lines).includes(key) && !JSON.stringify(gw.lines).includes(fresh));
  } finally {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
});

test('SIGHUP: a new key works, a stream in flight finishes untouched; a broken file changes nothing and names its problems', async () => {
  const gw = await startCli(yaml(''));
  try {
    const stream = slowStream(gw.url, gw.key);
    const added = generateKey();
    writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace('  keys:\n', `  keys:\n    - { id: added, hash: "${keyHashLine(added)}", tier: gold }\n`).replace('tiers: { pro:', 'tiers: { gold: { concurrency: 2 }, pro:'));
    gw.child.kill('SIGHUP');
    await waitFor(async () => (await ok(gw.url, added)) === 200, 'the key added to the file works');
    const s = await stream;
    assert.equal(s.status, 200);
    assert.match(s.body, /data: \[DONE\]/);
    const reload = await gw.waitLine((l) => l.audit === 'keys' && l.op === 'reload', 'reload audit line');
    assert.equal(reload.ok, true);
    assert.deepEqual(reload.added, ['added']);
    assert.equal(reload.who, 'SIGHUP');
    // Broken: an unknown tier and a bad expiry. Nothing changes; each problem is logged with its path.
    writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace('tier: gold }', 'tier: platinum, expiresAt: soon }'));
    gw.child.kill('SIGHUP');
    const refused = await gw.waitLine((l) => l.msg.startsWith('config reload refused') && l.path === 'auth.keys[0].tier', 'the tier problem');
    assert.equal(refused.file, gw.file);
    await gw.waitLine((l) => l.msg.startsWith('config reload refused') && l.path === 'auth.keys[0].expiresAt', 'the expiry problem');
    assert.equal(await ok(gw.url, added), 200);
    assert.equal(await ok(gw.url, gw.key), 200);
  } finally {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
});

test('--watch: a change of the file reloads the keys without a signal', async () => {
  const gw = await startCli(yaml(''), ['--watch']);
  try {
    const added = generateKey();
    writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace('  keys:\n', `  keys:\n    - { id: watched, hash: "${keyHashLine(added)}" }\n`));
    await waitFor(async () => (await ok(gw.url, added)) === 200, 'the key added to the watched file works');
    const line = await gw.waitLine((l) => l.audit === 'keys' && l.op === 'reload', 'reload audit line');
    assert.equal(line.who, 'watch');
  } finally {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
});
